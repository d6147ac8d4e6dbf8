import { randomUUID } from 'node:crypto';
import { RemoteTaskError, TaskCancelledError, closeAll, dockerRun, type DockerRunResult } from '../index.js';
import { publishTaskSent } from '../celery/events/task-sent.js';
import { GROUP_HEADER, USER_HEADER } from '../celery/events/event-fields.js';
import { CeleryEventReader, type CeleryEvent } from '../celery/events/event-reader.js';
import { argsRepr, kwargsRepr } from '../celery/protocol/python-values.js';
import { DOCKER_RUN_TASK_NAME } from '../docker-run/docker-run-task.js';
import { UsageError, formatOptions, parseCommandLine, stringValue, type OptionTable } from './args.js';
import { applySettings, brokerTlsOf, loadSettings, requireBroker } from './cli-config.js';
import { explainBrokerError } from './cli-error.js';
import type { CliCommand, CliIo } from './command.js';
import { PlainDisplay, TerminalDisplay, type Display } from './display.js';
import { EXIT_FAILURE, messageOfError, oneLine } from './exit-codes.js';
import { PLACEHOLDER_HELP, buildContainerArgs, parseContainerArgs, type ArgSpec } from './placeholders.js';
import { formatRecord, type TaskRecordView } from './task-record-view.js';

const QUEUE = /^[^\s]{1,255}$/;

const OPTIONS: OptionTable = {
  queue: {
    type: 'string',
    short: 'Q',
    valueName: 'QUEUE',
    description: 'the queue (default: defaultQueue, else celery)',
  },
  user: {
    type: 'string',
    short: 'u',
    valueName: 'USER',
    description: 'tag the task with a user (longshore_user header)',
  },
  group: {
    type: 'string',
    short: 'g',
    valueName: 'GROUP',
    description: 'tag the task with a group (longshore_group header)',
  },
  wait: { type: 'boolean', short: 'w', description: 'follow the task: progress, log, then its final record' },
  json: { type: 'boolean', description: 'print JSON on stdout: {"id"}, or with --wait the final record' },
  quiet: { type: 'boolean', short: 'q', description: 'with --wait: no progress bar, plain progress lines' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function submitHelp(): string {
  return `\
Usage: longshore submit [OPTIONS] IMAGE [ARGS...]

Send IMAGE to the workers as Girder Worker's docker_run (ARGS become its container_args)
and print the task id. A longshore worker or a Python Girder Worker runs it. Options come
before IMAGE; everything after IMAGE goes to the container as it is.

Options:
${formatOptions(OPTIONS)}

Placeholders in ARGS ({in:...} and {out:...} need this machine's files: use 'longshore run'):
${PLACEHOLDER_HELP.split('\n')
  .filter((line) => !/\{(in|out):|\(\{(in|out):-\}/.test(line))
  .join('\n')}

With --wait, progress is drawn as a bar on stderr when it is a terminal (plain lines
otherwise), the container's output is printed as the worker sends it (a longshore worker;
Python workers send no output), and the final record is printed.

Exit status: 0 once sent (or, with --wait, when the task succeeded); with --wait, the
container's exit code when it exited non-zero, 1 when the task failed or was revoked;
2 for a usage error.

Examples:
  longshore submit --user alice alpine echo hello
  longshore submit --wait --queue gpu my/tool --progress {progress} --out {tmp:out.csv}
`;
}

interface SubmitInvocation {
  image: string;
  args: ArgSpec[];
  queue: string | undefined;
  user: string | undefined;
  group: string | undefined;
  wait: boolean;
  json: boolean;
  quiet: boolean;
}

export function parseSubmitArgs(argv: readonly string[], cwd: string): SubmitInvocation | undefined {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, { stopAtPositional: true });
  if (values.help) return undefined;
  const [image, ...rest] = positionals;
  if (image === undefined) throw new UsageError('missing IMAGE');
  if (image === '' || /\s/.test(image)) throw new UsageError(`invalid IMAGE '${image}'`);
  const args = parseContainerArgs(rest, cwd);
  const local = args.find(
    (a) => a.kind === 'in' || a.kind === 'in-stdin' || a.kind === 'out' || a.kind === 'out-stdout',
  );
  if (local) {
    throw new UsageError(
      "{in:...} and {out:...} read and write this machine's files, which a worker elsewhere cannot: use 'longshore run'",
    );
  }
  const queue = stringValue(values.queue);
  if (queue !== undefined && !QUEUE.test(queue)) {
    throw new UsageError(`invalid --queue '${queue}': expected a queue name without spaces`);
  }
  for (const key of ['user', 'group'] as const) {
    const value = stringValue(values[key]);
    if (value !== undefined && (value === '' || value.length > 255 || /[\r\n]/.test(value))) {
      throw new UsageError(`invalid --${key} '${value}': expected a name on one line`);
    }
  }
  return {
    image,
    args,
    queue,
    user: stringValue(values.user),
    group: stringValue(values.group),
    wait: values.wait === true,
    json: values.json === true,
    quiet: values.quiet === true,
  };
}

/** The exit code of a container that exited non-zero, from the worker's ContainerExitError. */
export function containerExitCode(error: unknown): number | undefined {
  if (!(error instanceof RemoteTaskError) || error.excType !== 'ContainerExitError') return undefined;
  const match = /\((\d+)\)/.exec(error.excMessage);
  const code = match ? Number(match[1]) : NaN;
  return Number.isInteger(code) && code > 0 && code < 256 ? code : undefined;
}

/** What --wait learns of a task from its events, to print its final record. */
class FollowedTask {
  record: TaskRecordView;

  constructor(id: string, invocation: SubmitInvocation, queue: string, args: unknown[]) {
    this.record = {
      id,
      name: DOCKER_RUN_TASK_NAME,
      image: invocation.image,
      state: 'PENDING',
      worker: null,
      queue,
      user: invocation.user ?? null,
      group: invocation.group ?? null,
      args: argsRepr([invocation.image]),
      // Transforms shown by their class (`<ProgressPipe>`): the record is for people.
      kwargs: kwargsRepr({
        container_args: args.map((a) =>
          typeof a === 'string' ? a : `<${(a as object | null)?.constructor?.name ?? 'object'}>`,
        ),
      }),
      created: new Date().toISOString(),
      received: null,
      started: null,
      ended: null,
      runtime: null,
      exitCode: null,
      result: null,
      error: null,
      progress: null,
    };
  }

  onEvent(event: CeleryEvent): void {
    const at = typeof event.timestamp === 'number' ? new Date(event.timestamp * 1000).toISOString() : null;
    const r = this.record;
    if (typeof event.hostname === 'string' && event.type !== 'task-sent') r.worker = event.hostname;
    switch (event.type) {
      case 'task-received':
        r.received = at;
        if (r.state === 'PENDING') r.state = 'RECEIVED';
        break;
      case 'task-started':
        r.started = at;
        r.state = 'STARTED';
        break;
      case 'task-progress':
        r.progress = {
          current: typeof event.current === 'number' ? event.current : null,
          total: typeof event.total === 'number' ? event.total : null,
          message: typeof event.message === 'string' ? event.message : null,
        };
        break;
      case 'task-succeeded':
        if (typeof event.runtime === 'number') r.runtime = event.runtime;
        break;
    }
  }

  end(state: string, result: unknown, error: string | null, exitCode: number | null): void {
    const r = this.record;
    r.state = state;
    r.ended = new Date().toISOString();
    if (r.runtime === null && r.started) r.runtime = (Date.parse(r.ended) - Date.parse(r.started)) / 1000;
    r.result = result ?? null;
    r.error = error;
    r.exitCode = exitCode;
  }
}

async function runSubmit(argv: readonly string[], io: CliIo): Promise<number> {
  const invocation = parseSubmitArgs(argv, io.cwd);
  if (!invocation) {
    io.stdout.write(submitHelp());
    return 0;
  }
  const { settings } = loadSettings(io.env);
  const broker = requireBroker(settings, 'submit');
  const tls = brokerTlsOf(settings);
  applySettings(settings, io.env, tls);
  const queue = invocation.queue ?? settings.defaultQueue ?? 'celery';
  const id = randomUUID();
  // Only transforms that cross the wire ({tmp}, {tmp:NAME}, {progress}) are left after parsing.
  const containerArgs = buildContainerArgs(invocation.args, {
    stdout: { openSink: () => Promise.resolve(null), describe: () => 'nothing' },
  });
  const headers: Record<string, unknown> = {};
  if (invocation.user) headers[USER_HEADER] = invocation.user;
  if (invocation.group) headers[GROUP_HEADER] = invocation.group;

  const followed = new FollowedTask(id, invocation, queue, containerArgs);
  const display: Display | undefined = invocation.wait
    ? !invocation.quiet && io.stderr.isTTY
      ? new TerminalDisplay(io.stderr)
      : new PlainDisplay(io.stderr)
    : undefined;
  let reader: CeleryEventReader | undefined;
  try {
    if (display) {
      // Open before sending: the first events of a fast task must not be missed.
      reader = await CeleryEventReader.open(
        broker,
        (event) => {
          if (event.uuid !== id) return;
          followed.onEvent(event);
          if (event.type === 'task-progress') {
            display.progress({
              ...(typeof event.current === 'number' ? { current: event.current } : {}),
              ...(typeof event.total === 'number' ? { total: event.total } : {}),
              ...(typeof event.message === 'string' ? { message: event.message } : {}),
            });
          }
          if (event.type === 'task-log' && typeof event.text === 'string') {
            // With --json, stdout holds the record alone: the container's output goes to stderr.
            const target = event.stream === 'stderr' || invocation.json ? io.stderr : io.stdout;
            display.write(target, event.text, () => undefined);
          } else if (event.type === 'task-started' && !invocation.json) {
            display.note(`longshore: ${id} started on ${String(event.hostname)}`);
          }
        },
        { bindings: ['task.#'], connectionName: 'longshore submit', tls },
      );
    }
    // task-sent first: a monitor then knows the task's user and group before any worker speaks of it.
    await publishTaskSent(
      broker,
      {
        uuid: id,
        name: DOCKER_RUN_TASK_NAME,
        args: followed.record.args ?? '()',
        kwargs: followed.record.kwargs ?? '{}',
        queue,
        user: invocation.user,
        group: invocation.group,
        image: invocation.image,
      },
      { tls },
    );
    const handle = dockerRun.applyAsync(
      [invocation.image],
      { containerArgs },
      // Without --wait nobody reads the result: the worker stores none, and get() resolves once the broker has the message.
      { taskId: id, queue, headers, ignoreResult: !invocation.wait },
    );
    if (!display) {
      await handle.get();
      io.stdout.write(invocation.json ? `${JSON.stringify({ id, queue })}\n` : `${id}\n`);
      return 0;
    }
    if (!invocation.json) display.note(`longshore: submitted ${id} to queue ${queue}`);
    let code = 0;
    try {
      const result: DockerRunResult = await handle.get();
      followed.end('SUCCESS', result, null, result?.exitCode ?? 0);
    } catch (error) {
      const exit = containerExitCode(error);
      const cancelled =
        error instanceof TaskCancelledError ||
        (error instanceof RemoteTaskError && /Cancelled|Revoked|Terminated/.test(error.excType));
      if (!(error instanceof RemoteTaskError) && !(error instanceof TaskCancelledError)) throw error;
      followed.end(
        cancelled ? 'REVOKED' : 'FAILURE',
        null,
        oneLine(
          error instanceof RemoteTaskError ? `${error.excType}: ${error.excMessage}` : messageOfError(error),
        ),
        exit ?? null,
      );
      code = exit ?? EXIT_FAILURE;
    }
    // Output still on its way (batched by the worker) arrives before the outcome; give stragglers a moment.
    await new Promise((resolve) => setTimeout(resolve, 100));
    display.close();
    io.stdout.write(invocation.json ? `${JSON.stringify(followed.record)}\n` : formatRecord(followed.record));
    return code;
  } catch (error) {
    throw explainBrokerError(error);
  } finally {
    display?.close();
    await reader?.close();
    await closeAll();
  }
}

export const submitCommand: CliCommand = { name: 'submit', help: submitHelp, run: runSubmit };
