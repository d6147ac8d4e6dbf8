import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BROKER_ENV,
  WORKER_POLICY_ENV,
  Worker,
  loadPolicyFile,
  secureDefaultPolicy,
  type WorkerOptions,
} from '../index.js';
import { messageOf } from '../core/errors.js';
import { redactUrl } from '../core/secrets.js';
import {
  UsageError,
  formatOptions,
  parseCommandLine,
  stringList,
  stringValue,
  type OptionTable,
  type OptionValues,
} from './args.js';
import { applySettings, loadSettings, type CliSettings } from './cli-config.js';
import type { CliCommand, CliIo } from './command.js';
import { LOG_OPTIONS, commandLogger, logFlagsOf } from './log-options.js';
import { BROKER_TLS_OPTIONS, brokerTlsFromFlags } from './broker-tls-flags.js';

const OPTIONS: OptionTable = {
  broker: {
    type: 'string',
    short: 'b',
    valueName: 'URL',
    description: `the broker (default: $${BROKER_ENV}, else 'longshore config'), e.g. amqp://guest:guest@localhost:5672//`,
  },
  ...BROKER_TLS_OPTIONS,
  concurrency: {
    type: 'string',
    short: 'c',
    valueName: 'N',
    description: `tasks run at the same time (default: the number of CPUs, here ${availableParallelism()})`,
  },
  queues: {
    type: 'string',
    short: 'Q',
    valueName: 'A,B',
    description: 'queues to consume, comma-separated (default: the defaultQueue setting, else celery)',
  },
  hostname: {
    type: 'string',
    short: 'n',
    valueName: 'NAME',
    description: 'the node name (default: longshore@<host>)',
  },
  'prefetch-multiplier': {
    type: 'string',
    valueName: 'N',
    description: 'unacknowledged messages per task slot (default 1)',
  },
  tasks: {
    type: 'string',
    short: 'T',
    multiple: true,
    valueName: 'MODULES',
    description: 'ES modules that register tasks (app.task) when imported, comma-separated; repeatable',
  },
  'grace-period': {
    type: 'string',
    valueName: 'SECONDS',
    description: 'on SIGTERM/SIGINT, how long running tasks may finish before they are stopped (default 60)',
  },
  'task-events': {
    type: 'boolean',
    short: 'E',
    description: "send task events for monitors such as Flower (the default; as Celery's -E)",
  },
  'without-task-events': {
    type: 'boolean',
    description: 'no task events until a monitor asks for them (enable_events, which Flower sends)',
  },
  'without-events': {
    type: 'boolean',
    description: 'publish no Celery events at all: no heartbeats either, so Flower will not see this worker',
  },
  policy: {
    type: 'string',
    valueName: 'FILE',
    description: `the worker policy (JSON): what docker_run messages may ask of this host (default: $${WORKER_POLICY_ENV}, else the secure default)`,
  },
  'print-policy': {
    type: 'boolean',
    description: 'print the policy in force (JSON, defaults filled in) and exit',
  },
  ...LOG_OPTIONS,
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function workerHelp(): string {
  return `\
Usage: longshore worker [OPTIONS]

Serve tasks from a Celery broker (RabbitMQ): Girder Worker's docker_run, sent by longshore
or by Python (Celery, Girder Worker), and the tasks of the modules given with --tasks.
Results go back through Celery's rpc:// backend. A message is acknowledged once its task
has ended, so a task whose worker dies is delivered again.

Options:
${formatOptions(OPTIONS)}

One line is logged on stderr per task received, succeeded, failed, retried or revoked
(with --log-format json, one JSON object a line with level, time, hostname and taskId).
Monitoring works as with a Celery worker: events on the celeryev exchange (worker-online,
a heartbeat every 2 s, worker-offline, and task events) for Flower or \`celery events\`, and
remote control (app.control.ping(), inspect().stats() / active() / registered() ...,
revoke, enable_events / disable_events).
docker_run messages are checked against the worker policy (--policy) before anything is
created on the host; without one, no privileges, host namespaces, devices, system
directories, Docker socket or URL outside the task's Girder (README, "Worker policy").
An unreachable broker is retried with backoff (up to 30 s apart) until it answers.
SIGTERM or SIGINT stops gracefully: no new tasks, waiting ones go back to the queue,
running ones get the grace period, then their containers are stopped and their
messages given back; the exit status is then 0. A second signal stops at once.

Examples:
  longshore worker --broker amqp://guest:guest@localhost:5672// --concurrency 4
  longshore worker --broker amqps://longshore:PASS@broker.example.org:5671// --broker-ca /etc/longshore/ca.pem
  longshore worker -Q gpu,default --tasks ./dist/tasks.js
  longshore worker --policy /etc/longshore/policy.json --print-policy
`;
}

export interface WorkerInvocation {
  options: WorkerOptions;
  taskModules: string[];
  /** --log-level and --log-format, when given. */
  logFlags?: OptionValues;
}

/** Reads `longshore worker`'s arguments; undefined means --help. Throws UsageError for bad usage. */
export function parseWorkerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  settings: CliSettings = {},
): WorkerInvocation | undefined {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const policy = policyFileOf(values, env, cwd);
  // Flags first, then the settings (`longshore config`, the environment over the file).
  const broker = stringValue(values.broker) ?? (env[BROKER_ENV]?.trim() || settings.broker);
  if (!broker)
    throw new UsageError(
      `no broker: give --broker URL, set ${BROKER_ENV} or 'longshore config set broker URL'`,
    );
  if (!/^amqps?:\/\//.test(broker)) {
    throw new UsageError(`invalid --broker '${redactUrl(broker)}': expected an amqp:// or amqps:// URL`);
  }
  const options: WorkerOptions = { broker, ...(policy !== undefined ? { policy } : {}) };
  const brokerTls = brokerTlsFromFlags(values, settings, cwd);
  if (brokerTls) options.brokerTls = brokerTls;
  const concurrency = stringValue(values.concurrency);
  if (concurrency !== undefined) options.concurrency = positiveInteger(concurrency, '--concurrency');
  else if (settings.concurrency !== undefined) options.concurrency = settings.concurrency;
  const multiplier = stringValue(values['prefetch-multiplier']);
  if (multiplier !== undefined)
    options.prefetchMultiplier = positiveInteger(multiplier, '--prefetch-multiplier');
  const queues = stringValue(values.queues);
  if (queues !== undefined) {
    const list = queues.split(',').map((q) => q.trim());
    if (list.some((q) => q === '' || /\s/.test(q))) {
      throw new UsageError(`invalid --queues '${queues}': expected names separated by commas`);
    }
    options.queues = list;
  } else if (settings.defaultQueue !== undefined) options.queues = [settings.defaultQueue];
  const hostname = stringValue(values.hostname);
  if (hostname !== undefined) {
    if (hostname === '' || /\s/.test(hostname)) throw new UsageError(`invalid --hostname '${hostname}'`);
    options.hostname = hostname;
  }
  const grace = stringValue(values['grace-period']);
  if (grace !== undefined) {
    const seconds = Number(grace);
    if (grace.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
      throw new UsageError(`invalid --grace-period '${grace}': expected a number of seconds`);
    }
    options.shutdownGraceSeconds = seconds;
  }
  if (values['without-events'] === true) options.sendEvents = false;
  if (values['without-task-events'] === true) {
    if (values['task-events'] === true) {
      throw new UsageError('--task-events and --without-task-events contradict each other');
    }
    options.taskEvents = false;
  }
  const taskModules = (values.tasks === undefined ? (settings.tasks ?? []) : stringList(values.tasks))
    .flatMap((list) => list.split(','))
    .map((m) => m.trim())
    .filter((m) => m !== '')
    .map((m) => (m.startsWith('.') || m.startsWith('/') ? pathToFileURL(path.resolve(cwd, m)).href : m));
  return { options, taskModules, ...logFlagsOf(values) };
}

/** --policy, else the setting; a relative path is the working directory's. */
function policyFileOf(values: OptionValues, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const file = stringValue(values.policy) ?? (env[WORKER_POLICY_ENV]?.trim() || undefined);
  if (file === '') throw new UsageError('invalid --policy: expected a file');
  return file === undefined ? undefined : path.resolve(cwd, file);
}

/** `--print-policy`: the policy this worker would apply, needing no broker. */
function printPolicy(argv: readonly string[], io: CliIo): number {
  const { values } = parseCommandLine(argv, OPTIONS);
  const file = policyFileOf(values, io.env, io.cwd);
  const policy = file === undefined ? secureDefaultPolicy() : loadPolicyFile(file);
  io.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  return 0;
}

function positiveInteger(value: string, flag: string): number {
  if (!/^[1-9]\d*$/.test(value))
    throw new UsageError(`invalid ${flag} '${value}': expected a positive integer`);
  return Number(value);
}

async function runWorker(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(workerHelp());
    return 0;
  }
  if (argv.includes('--print-policy')) return printPolicy(argv, io);
  const { settings } = loadSettings(io.env);
  const invocation = parseWorkerArgs(argv, io.env, io.cwd, settings);
  if (!invocation) {
    io.stdout.write(workerHelp());
    return 0;
  }
  const logger = commandLogger(invocation.logFlags ?? {}, io);
  // Girder and the temporary root, for the tasks this worker runs.
  applySettings({ ...settings, broker: invocation.options.broker }, io.env, invocation.options.brokerTls);
  for (const module of invocation.taskModules) {
    try {
      await import(module);
    } catch (error) {
      throw new UsageError(`cannot load task module '${module}': ${messageOf(error)}`);
    }
  }
  const worker = new Worker({ ...invocation.options, logger });
  let signals = 0;
  let stopRequested!: (stopped: Promise<void>) => void;
  // Settles once a signal came and the stop it started has finished.
  const stopping = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      io.stderr.write(
        `longshore worker: ${signal} received: stopping gracefully (${signal} again stops at once)\n`,
      );
      stopRequested(worker.stop());
    } else {
      io.stderr.write(`longshore worker: ${signal} again: stopping running tasks now\n`);
      void worker.close();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await Promise.race([worker.start(), stopping]);
    // Runs until a signal stops it.
    await stopping;
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await worker.close();
  }
}

export const workerCommand: CliCommand = {
  name: 'worker',
  help: workerHelp,
  run: runWorker,
};
