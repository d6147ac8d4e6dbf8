import { UsageError, formatOptions, parseCommandLine, type OptionTable } from './args.js';
import { getMonitorSettings } from '../config/configuration.js';
import { DEFAULT_MONITOR_URL, loadSettings } from './cli-config.js';
import { CommandError } from './cli-error.js';
import type { CliCommand, CliIo } from './command.js';
import { getFromMonitor, monitorError } from './monitor-client.js';
import { formatRecord, taskRecordSchema } from './task-record-view.js';

const OPTIONS: OptionTable = {
  json: { type: 'boolean', description: "print the monitor's record as JSON" },
  log: { type: 'boolean', short: 'l', description: 'also print the tail of the task’s log' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function statusHelp(): string {
  return `\
Usage: longshore status [OPTIONS] ID

Print a task's record as the monitor keeps it: id, name, image, state, worker, times,
runtime, exit code, progress, result or error, user and group. Reads the monitor's HTTP
API (monitorUrl, default ${DEFAULT_MONITOR_URL}; start one with 'longshore monitor').

Options:
${formatOptions(OPTIONS)}

Exit status: 0 when the record was printed; 1 when the monitor does not know the task or
cannot be reached; 2 for a usage error.
`;
}

/** Task ids are Celery's: UUIDs usually, any text without spaces or slashes at least. */
export function checkTaskId(id: string | undefined): string {
  if (id === undefined) throw new UsageError('missing ID');
  if (id === '' || id.length > 255 || /[\s/?#]/.test(id)) {
    throw new UsageError(
      `invalid ID '${id}': expected a task id such as 2f0b7c1e-9a4d-4c1b-8f3e-5d6a7b8c9d0e`,
    );
  }
  return id;
}

async function runStatus(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(statusHelp());
    return 0;
  }
  const id = checkTaskId(positionals[0]);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const monitorUrl = loadSettings(io.env).settings.monitorUrl ?? DEFAULT_MONITOR_URL;
  const reply = await getFromMonitor(
    monitorUrl,
    `api/tasks/${encodeURIComponent(id)}`,
    getMonitorSettings(io.env).token,
  );
  if (reply.status === 404) {
    throw new CommandError(
      `no task ${id} at the monitor (${monitorError(reply)}); check the id with 'longshore jobs'`,
    );
  }
  if (reply.status !== 200)
    throw new CommandError(`the monitor at ${monitorUrl} failed: ${monitorError(reply)}`);
  const parsed = taskRecordSchema.safeParse(reply.body);
  if (!parsed.success)
    throw new CommandError(`the monitor at ${monitorUrl} sent a record longshore cannot read`);
  io.stdout.write(
    values.json
      ? `${JSON.stringify(reply.body, null, 2)}\n`
      : formatRecord(parsed.data, { log: values.log === true }),
  );
  return 0;
}

export const statusCommand: CliCommand = { name: 'status', help: statusHelp, run: runStatus };
