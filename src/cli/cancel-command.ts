import { CeleryClient } from '../index.js';
import { UsageError, formatOptions, parseCommandLine, stringValue, type OptionTable } from './args.js';
import { brokerTlsOf, loadSettings, requireBroker } from './cli-config.js';
import { explainBrokerError } from './cli-error.js';
import type { CliCommand, CliIo } from './command.js';
import { checkTaskId } from './status-command.js';

const OPTIONS: OptionTable = {
  signal: {
    type: 'string',
    valueName: 'SIG',
    description: 'SIGTERM (default: stop, then kill after the grace period) or SIGKILL',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function cancelHelp(): string {
  return `\
Usage: longshore cancel [OPTIONS] ID

Cancel a task: Celery's revoke with terminate, broadcast to every worker through the
broker. A task still waiting never runs; a running one has its container stopped and
ends REVOKED. Python Celery workers obey it too.

Options:
${formatOptions(OPTIONS)}
`;
}

async function runCancel(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(cancelHelp());
    return 0;
  }
  const id = checkTaskId(positionals[0]);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const signal = (stringValue(values.signal) ?? 'SIGTERM').toUpperCase();
  if (!['SIGTERM', 'SIGKILL', 'TERM', 'KILL'].includes(signal)) {
    throw new UsageError(`invalid --signal '${signal}': expected SIGTERM or SIGKILL`);
  }
  const { settings } = loadSettings(io.env);
  const broker = requireBroker(settings, 'cancel');
  const client = new CeleryClient(broker, { maxConnectAttempts: 2, tls: brokerTlsOf(settings) });
  try {
    await client.revoke(id, { terminate: true, signal: signal.startsWith('SIG') ? signal : `SIG${signal}` });
  } catch (error) {
    throw explainBrokerError(error);
  } finally {
    await client.close();
  }
  io.stderr.write(`revoke sent for ${id}\n`);
  return 0;
}

export const cancelCommand: CliCommand = { name: 'cancel', help: cancelHelp, run: runCancel };
