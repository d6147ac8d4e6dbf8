import { broadcastInspect } from '../celery/client/inspect.js';
import { UsageError, formatOptions, parseCommandLine, stringValue, type OptionTable } from './args.js';
import { brokerTlsOf, loadSettings, requireBroker } from './cli-config.js';
import { CommandError, explainBrokerError } from './cli-error.js';
import type { CliCommand, CliIo } from './command.js';

const METHODS = [
  'ping',
  'active',
  'registered',
  'stats',
  'reserved',
  'scheduled',
  'revoked',
  'active_queues',
];

const OPTIONS: OptionTable = {
  json: { type: 'boolean', description: 'print the replies as JSON, by node name' },
  timeout: {
    type: 'string',
    short: 't',
    valueName: 'SECONDS',
    description: 'how long to wait for replies (default 1)',
  },
  destination: {
    type: 'string',
    short: 'd',
    valueName: 'NODE,NODE',
    description: 'ask only these workers (node names, comma-separated)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function inspectHelp(): string {
  return `\
Usage: longshore inspect COMMAND [OPTIONS]

Ask the workers through Celery's remote control, as 'celery inspect' does: longshore and
Python Celery workers answer alike. COMMAND: ${METHODS.join(', ')}.

Options:
${formatOptions(OPTIONS)}

Exit status: 0 when at least one worker answered; 1 when none did within the timeout.
`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** One worker's reply, for people: the shapes Celery's inspect commands have. */
function describeReply(method: string, reply: unknown): string {
  if (method === 'ping' && typeof reply === 'object' && reply !== null && 'ok' in reply) {
    return `    ${String(reply.ok)}`;
  }
  if (Array.isArray(reply)) {
    if (reply.length === 0) return '    - empty -';
    return reply
      .map((item) => {
        if (typeof item === 'string') return `    * ${item}`;
        const task = item as { id?: unknown; name?: unknown; args?: unknown; hostname?: unknown };
        if (typeof task.id === 'string') {
          return `    * ${typeof task.name === 'string' ? task.name : '?'}[${task.id}] ${typeof task.args === 'string' ? task.args : ''}`.trimEnd();
        }
        return indent(JSON.stringify(item));
      })
      .join('\n');
  }
  return indent(JSON.stringify(reply, null, 2));
}

async function runInspect(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(inspectHelp());
    return 0;
  }
  const [method, ...rest] = positionals;
  if (method === undefined) throw new UsageError(`missing COMMAND: one of ${METHODS.join(', ')}`);
  if (!METHODS.includes(method)) {
    throw new UsageError(`unknown inspect command '${method}': expected one of ${METHODS.join(', ')}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const timeoutText = stringValue(values.timeout) ?? '1';
  const timeout = Number(timeoutText);
  if (timeoutText.trim() === '' || !Number.isFinite(timeout) || timeout <= 0 || timeout > 600) {
    throw new UsageError(`invalid --timeout '${timeoutText}': expected a number of seconds`);
  }
  const destination = stringValue(values.destination)
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const { settings } = loadSettings(io.env);
  const broker = requireBroker(settings, 'inspect');
  const tls = brokerTlsOf(settings);
  let replies: Record<string, unknown>;
  try {
    replies = await broadcastInspect(broker, method, {
      timeoutSeconds: timeout,
      ...(tls ? { tls } : {}),
      ...(destination && destination.length > 0 ? { destination } : {}),
    });
  } catch (error) {
    throw explainBrokerError(error);
  }
  const nodes = Object.keys(replies).sort();
  if (values.json) io.stdout.write(`${JSON.stringify(replies, null, 2)}\n`);
  else {
    for (const node of nodes) io.stdout.write(`-> ${node}: OK\n${describeReply(method, replies[node])}\n`);
  }
  if (nodes.length === 0) {
    throw new CommandError(`no worker answered within ${timeout} s; are workers running on this broker?`);
  }
  if (!values.json) io.stdout.write(`\n${nodes.length} node${nodes.length === 1 ? '' : 's'} online.\n`);
  return 0;
}

export const inspectCommand: CliCommand = { name: 'inspect', help: inspectHelp, run: runInspect };
