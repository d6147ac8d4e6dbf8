import { describe, expect, it } from 'vitest';
import { createLogger, parseLogLevel } from './logger.js';
import { registerSecret } from './secrets.js';

function capture(options: Parameters<typeof createLogger>[0] = {}): {
  lines: string[];
  logger: ReturnType<typeof createLogger>;
} {
  const lines: string[] = [];
  return { lines, logger: createLogger({ ...options, destination: (line) => lines.push(line) }) };
}

describe('createLogger', () => {
  it('writes one JSON object a line, with level, time, the bindings and the fields', () => {
    const { lines, logger } = capture({ format: 'json', bindings: { hostname: 'w1@h' } });
    logger.child({ taskId: 't-1' }).warn({ attempt: 2 }, 'slow');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'warn', hostname: 'w1@h', taskId: 't-1', attempt: 2, msg: 'slow' });
    expect(Date.parse(record.time as string)).not.toBeNaN();
  });

  it('writes a readable line in pretty format: the level unless info, the hostname, then fields', () => {
    const { lines, logger } = capture({ bindings: { hostname: 'w1@h' } });
    logger.info('Connected');
    logger.child({ taskId: 'abc' }).error({ code: 'ERR_X' }, 'Task t[abc] failed');
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] w1@h: Connected$/);
    // A field whose value the message already shows is left out.
    expect(lines[1]).toMatch(/^\[[^\]]+\] ERROR w1@h: Task t\[abc\] failed code=ERR_X$/);
  });

  it('drops what is below its level', () => {
    const { lines, logger } = capture({ level: 'warn' });
    logger.info('no');
    logger.debug('no');
    logger.warn('yes');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARN yes');
  });

  it('masks a registered secret in the message and in every field, in both formats', () => {
    const secret = 'tok-9f8e7d6c5b4a';
    registerSecret(secret);
    for (const format of ['json', 'pretty'] as const) {
      const { lines, logger } = capture({ format });
      logger.info({ header: `Girder-Token: ${secret}` }, `token ${secret}`);
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain(secret);
      expect(lines[0]).toContain('**');
    }
  });
});

describe('parseLogLevel', () => {
  it("reads pino's level names and Celery's, in any case", () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('INFO')).toBe('info');
    expect(parseLogLevel('WARNING')).toBe('warn');
    expect(parseLogLevel('critical')).toBe('fatal');
    expect(parseLogLevel(' error ')).toBe('error');
    expect(parseLogLevel('loud')).toBeUndefined();
  });
});
