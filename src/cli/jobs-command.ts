import { z } from 'zod';
import { UsageError, formatOptions, parseCommandLine, stringValue, type OptionTable } from './args.js';
import { getMonitorSettings } from '../config/configuration.js';
import { DEFAULT_MONITOR_URL, loadSettings } from './cli-config.js';
import { CommandError } from './cli-error.js';
import type { CliCommand, CliIo } from './command.js';
import { getFromMonitor, monitorError } from './monitor-client.js';
import { formatRecord, formatTable, recordTime, summaryLine, taskRecordSchema } from './task-record-view.js';

const STATES = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'];

const OPTIONS: OptionTable = {
  user: { type: 'string', short: 'u', valueName: 'USER', description: "only this user's tasks" },
  group: { type: 'string', short: 'g', valueName: 'GROUP', description: "only this group's tasks" },
  state: {
    type: 'string',
    short: 's',
    valueName: 'STATE',
    description: `only tasks in this state (${STATES.join(', ')})`,
  },
  limit: {
    type: 'string',
    short: 'n',
    valueName: 'N',
    description: 'at most N tasks, the newest (default 100)',
  },
  summary: { type: 'boolean', description: 'one line per task (date, id, state), as moi userjobs --summary' },
  full: { type: 'boolean', description: "each task's whole record, one after the other" },
  json: { type: 'boolean', description: 'print the records as a JSON array' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function jobsHelp(): string {
  return `\
Usage: longshore jobs [OPTIONS]

List tasks the monitor has seen, oldest first: a table, one line each (--summary), or
every record in full (--full). Tasks are tagged with the user and group given to
'longshore submit' (the longshore_user / longshore_group headers). Reads the monitor's
HTTP API (monitorUrl, default ${DEFAULT_MONITOR_URL}).

Options:
${formatOptions(OPTIONS)}

Examples:
  longshore jobs --user alice --summary
  longshore jobs --group lab --state FAILURE
`;
}

async function runJobs(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(jobsHelp());
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const query = new URLSearchParams();
  for (const key of ['user', 'group'] as const) {
    const value = stringValue(values[key]);
    if (value !== undefined) {
      if (value === '') throw new UsageError(`invalid --${key}: expected a name`);
      query.set(key, value);
    }
  }
  const state = stringValue(values.state);
  if (state !== undefined) {
    if (!STATES.includes(state.toUpperCase())) {
      throw new UsageError(`invalid --state '${state}': expected one of ${STATES.join(', ')}`);
    }
    query.set('state', state.toUpperCase());
  }
  const limit = stringValue(values.limit) ?? '100';
  if (!/^[1-9]\d*$/.test(limit))
    throw new UsageError(`invalid --limit '${limit}': expected a positive integer`);
  query.set('limit', limit);

  const monitorUrl = loadSettings(io.env).settings.monitorUrl ?? DEFAULT_MONITOR_URL;
  const reply = await getFromMonitor(
    monitorUrl,
    `api/tasks?${query.toString()}`,
    getMonitorSettings(io.env).token,
  );
  if (reply.status !== 200)
    throw new CommandError(`the monitor at ${monitorUrl} failed: ${monitorError(reply)}`);
  const parsed = z.looseObject({ tasks: z.array(taskRecordSchema) }).safeParse(reply.body);
  if (!parsed.success)
    throw new CommandError(`the monitor at ${monitorUrl} sent a list longshore cannot read`);
  // The API gives the newest first; people read a history oldest first, as moi's userjobs prints it.
  const tasks = [...parsed.data.tasks].sort((a, b) => recordTime(a).localeCompare(recordTime(b)));
  if (values.json) io.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
  else if (values.summary) io.stdout.write(tasks.map((t) => `${summaryLine(t)}\n`).join(''));
  else if (values.full)
    io.stdout.write(tasks.map((t) => `********** ${t.id} **********\n${formatRecord(t)}`).join('\n'));
  else if (tasks.length === 0) io.stderr.write('no tasks\n');
  else io.stdout.write(formatTable(tasks));
  return 0;
}

export const jobsCommand: CliCommand = { name: 'jobs', help: jobsHelp, run: runJobs };
