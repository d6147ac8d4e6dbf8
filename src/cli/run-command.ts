import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import {
  Connect,
  ContainerStdErr,
  ContainerStdOut,
  BindMountVolume,
  ContainerExitError,
  TaskCancelledError,
  ValidationError,
  dockerRun,
  type DockerRunOptions,
  type DockerRunResult,
  type TaskHandle,
} from '../index.js';
import { parseBindString } from '../docker-run/run-defaults.js';
import {
  UsageError,
  formatOptions,
  parseCommandLine,
  stringList,
  stringValue,
  type OptionTable,
} from './args.js';
import { applySettings, loadSettings } from './cli-config.js';
import type { CliCommand, CliIo } from './command.js';
import { ConsoleSink, PlainDisplay, TerminalDisplay, type Display } from './display.js';
import { EXIT_BROKEN_PIPE, describeError, exitCodeFor, messageOfError } from './exit-codes.js';
import {
  PLACEHOLDER_HELP,
  buildContainerArgs,
  inputFiles,
  outputFiles,
  parseContainerArgs,
  type ArgSpec,
} from './placeholders.js';

const OPTIONS: OptionTable = {
  volume: {
    type: 'string',
    short: 'v',
    multiple: true,
    valueName: 'HOST:CONTAINER[:MODE]',
    description: 'bind-mount a host path (MODE: ro, or rw by default); repeatable',
  },
  env: {
    type: 'string',
    short: 'e',
    multiple: true,
    valueName: 'NAME[=VALUE]',
    description: "set a variable; NAME alone copies this shell's value; repeatable",
  },
  pull: {
    type: 'string',
    valueName: 'WHEN',
    description: 'pull IMAGE: always, never or missing (default: missing)',
  },
  entrypoint: { type: 'string', valueName: 'CMD', description: "override the image's entrypoint" },
  workdir: {
    type: 'string',
    short: 'w',
    valueName: 'DIR',
    description: 'working directory in the container',
  },
  user: { type: 'string', short: 'u', valueName: 'USER[:GROUP]', description: 'user to run as' },
  network: { type: 'string', valueName: 'NAME', description: 'network to connect the container to' },
  gpus: { type: 'string', valueName: 'GPUS', description: 'GPUs: all, a number, or device=ID[,ID...]' },
  memory: { type: 'string', valueName: 'SIZE', description: 'memory limit (512m, 2g...)' },
  cpus: { type: 'string', valueName: 'N', description: 'CPU limit (1.5 = one and a half CPUs)' },
  'shm-size': { type: 'string', valueName: 'SIZE', description: 'size of /dev/shm (64m, 1g...)' },
  name: { type: 'string', valueName: 'NAME', description: 'name of the container' },
  keep: { type: 'boolean', description: 'keep the container after it exits (default: remove it)' },
  'stop-timeout': {
    type: 'string',
    valueName: 'SECONDS',
    description: 'from SIGTERM to SIGKILL when stopping it (default 10)',
  },
  quiet: {
    type: 'boolean',
    short: 'q',
    description: 'no progress bar: progress and pull status as plain lines',
  },
  json: {
    type: 'boolean',
    description: 'print the result as JSON on stdout (container stdout: stderr)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const SIZE = /^\d+(\.\d+)?\s*[bkmgt]?i?b?$/i;
const ENV_NAME = /^[^=\0]+$/;

export function runHelp(): string {
  return `\
Usage: longshore run [OPTIONS] IMAGE [ARGS...]

Run IMAGE as a longshore task (Girder Worker's docker_run): the container's stdout and
stderr stream here live, and longshore exits with the container's exit code. Options
come before IMAGE; everything after IMAGE goes to the container as it is (so container
options such as -m are never read as longshore's). '--' also ends longshore's options.

Options:
${formatOptions(OPTIONS)}

Placeholders in ARGS:
${PLACEHOLDER_HELP}

Progress (pulls and {progress} reports) is drawn as a bar on stderr when it is a
terminal, else written as plain lines ("progress: 1/2 message", "pull: <status>").
The task's temporary directory is always mounted, and removed with the container.

Exit status:
  the container's exit code when it ran; 125 when it could not be started (image
  missing or not pulled, host path missing, Docker engine error or refusal);
  130 / 143 when interrupted by SIGINT / SIGTERM (the container is stopped and
  removed; a second signal exits at once); 2 for a usage error; 1 for other failures.

Examples:
  longshore run alpine echo hello
  longshore run -v /data:/data:ro my/tool --input /data/in.csv --output {out:result.csv}
  longshore run my/tool convert {in:input.csv} {out:-} --progress {progress} > out.csv
`;
}

export interface RunInvocation {
  image: string;
  options: DockerRunOptions;
  args: ArgSpec[];
  quiet: boolean;
  json: boolean;
}

/** Reads `longshore run`'s arguments; undefined means --help. Throws UsageError for bad usage. */
export function parseRunArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): RunInvocation | undefined {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, { stopAtPositional: true });
  if (values.help) return undefined;
  const [image, ...rest] = positionals;
  if (image === undefined) throw new UsageError('missing IMAGE');
  if (image === '' || /\s/.test(image)) throw new UsageError(`invalid IMAGE '${image}'`);

  const options: DockerRunOptions = {};
  const volumes = stringList(values.volume).map((spec) => {
    const mount = asUsageError(() => parseBindString(spec, '--volume', 'rw'));
    return asUsageError(
      () => new BindMountVolume(mount.hostPath, mount.containerPath, mount.mode),
      `invalid --volume '${spec}': `,
    );
  });
  if (volumes.length > 0) options.volumes = volumes;

  const environment: string[] = [];
  for (const entry of stringList(values.env)) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!ENV_NAME.test(name)) throw new UsageError(`invalid --env '${entry}': expected NAME=VALUE or NAME`);
    if (eq >= 0) environment.push(entry);
    else if (env[name] !== undefined) environment.push(`${name}=${env[name]}`);
    // NAME alone, unset here: left out, as `docker run -e NAME` does.
  }
  if (environment.length > 0) options.environment = environment;

  const pull = stringValue(values.pull);
  if (pull !== undefined) {
    const policies = { always: true, never: false, missing: 'ifNotPresent' } as const;
    if (!Object.hasOwn(policies, pull)) {
      throw new UsageError(`invalid --pull '${pull}': expected always, never or missing`);
    }
    options.pullImage = policies[pull as keyof typeof policies];
  }

  const entrypoint = stringValue(values.entrypoint);
  if (entrypoint !== undefined) options.entrypoint = entrypoint;
  const workdir = stringValue(values.workdir);
  if (workdir !== undefined) {
    if (!workdir.startsWith('/'))
      throw new UsageError(`invalid --workdir '${workdir}': expected an absolute path`);
    options.workingDir = workdir;
  }
  const user = stringValue(values.user);
  if (user !== undefined) options.user = user;
  const network = stringValue(values.network);
  if (network !== undefined) options.network = network;
  const name = stringValue(values.name);
  if (name !== undefined) options.name = name;

  const gpus = stringValue(values.gpus);
  if (gpus !== undefined) options.gpus = parseGpus(gpus);
  const memory = stringValue(values.memory);
  if (memory !== undefined) options.memory = parseSize(memory, '--memory');
  const shmSize = stringValue(values['shm-size']);
  if (shmSize !== undefined) options.shmSize = parseSize(shmSize, '--shm-size');
  const cpus = stringValue(values.cpus);
  if (cpus !== undefined) options.cpus = parseNumber(cpus, '--cpus', (n) => n > 0, 'a positive number');
  const stopTimeout = stringValue(values['stop-timeout']);
  if (stopTimeout !== undefined) {
    options.stopTimeout = parseNumber(stopTimeout, '--stop-timeout', (n) => n >= 0, 'a number of seconds');
  }
  if (values.keep) options.removeContainer = false;

  return {
    image,
    options,
    args: parseContainerArgs(rest, cwd),
    quiet: values.quiet === true,
    json: values.json === true,
  };
}

/** A ValidationError of a flag's value is a usage error: exit 2, its message kept. */
function asUsageError<T>(make: () => T, prefix = ''): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`${prefix}${error.message}`);
    throw error;
  }
}

function parseGpus(value: string): 'all' | number | string[] {
  if (value === 'all') return 'all';
  if (/^[1-9]\d*$/.test(value)) return Number(value);
  const ids = value.startsWith('device=') ? value.slice('device='.length).split(',') : [];
  if (ids.length > 0 && ids.every((id) => id !== '')) return ids;
  throw new UsageError(`invalid --gpus '${value}': expected all, a number, or device=ID[,ID...]`);
}

function parseSize(value: string, flag: string): string {
  if (!SIZE.test(value))
    throw new UsageError(`invalid ${flag} '${value}': expected a size such as 512m or 2g`);
  return value;
}

function parseNumber(value: string, flag: string, ok: (n: number) => boolean, expected: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`invalid ${flag} '${value}': expected ${expected}`);
  return n;
}

/**
 * Fails early, before any container, when a --volume's host path is missing, an {in:FILE} cannot
 * be read or an {out:FILE} cannot be made.
 */
async function checkHostFiles(options: DockerRunOptions, args: readonly ArgSpec[]): Promise<void> {
  for (const volume of Array.isArray(options.volumes) ? options.volumes : []) {
    if (!(volume instanceof BindMountVolume)) continue;
    try {
      await stat(volume.hostPath);
    } catch (error) {
      throw new ValidationError('--volume', volume.hostPath, `an existing host path: ${errnoText(error)}`);
    }
  }
  for (const file of inputFiles(args)) {
    try {
      await access(file, fsConstants.R_OK);
    } catch (error) {
      throw new ValidationError(`{in:${file}}`, file, `a readable host file: ${errnoText(error)}`);
    }
  }
  for (const file of outputFiles(args)) {
    const dir = path.dirname(file);
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw new ValidationError(`{out:${file}}`, file, `a file in an existing directory`);
  }
}

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return code ?? messageOfError(error);
}

interface SignalTrap {
  readonly received: NodeJS.Signals | undefined;
  release(): void;
}

/** SIGINT / SIGTERM cancel the task (its container is stopped); a second one exits at once. */
function trapSignals(handle: TaskHandle<DockerRunResult>, display: Display, io: CliIo): SignalTrap {
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = 128 + (osConstants.signals[signal] ?? 0);
    if (received) {
      display.close();
      io.stderr.write(`longshore: ${signal} again: exiting without waiting for the container\n`);
      process.exit(code);
    }
    received = signal;
    display.note(`longshore: ${signal} received: stopping the container (${signal} again exits at once)`);
    handle.cancel(`interrupted by ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get received() {
      return received;
    },
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

interface JsonResult {
  taskId: string;
  status: string;
  exitCode: number | null;
  hookResults?: unknown[];
  error?: { name: string; code?: string; message: string };
}

async function runRun(argv: readonly string[], io: CliIo): Promise<number> {
  const invocation = parseRunArgs(argv, io.env, io.cwd);
  if (!invocation) {
    io.stdout.write(runHelp());
    return 0;
  }
  // Girder and the temporary root from the settings (`longshore config`, the environment over it).
  applySettings(loadSettings(io.env).settings, io.env);
  await checkHostFiles(invocation.options, invocation.args);

  const display: Display =
    !invocation.quiet && io.stderr.isTTY ? new TerminalDisplay(io.stderr) : new PlainDisplay(io.stderr);
  let handle: TaskHandle<DockerRunResult> | undefined;
  let brokenPipe = false;
  const onBrokenPipe = (): void => {
    if (brokenPipe) return;
    brokenPipe = true;
    // Like a process killed by SIGPIPE.
    handle?.cancel('stopped: its standard output was closed');
  };
  // With --json the result is the only thing on stdout.
  const stdoutTarget = invocation.json ? io.stderr : io.stdout;
  const stdoutSink = new ConsoleSink(stdoutTarget, display, onBrokenPipe);

  let trap: SignalTrap | undefined;
  let result: DockerRunResult | undefined;
  let failure: unknown;
  try {
    const containerArgs = buildContainerArgs(invocation.args, { stdout: stdoutSink });
    // Byte for byte, with backpressure: binary output survives a redirection.
    const streamConnectors = [
      new Connect(new ContainerStdOut(), stdoutSink),
      new Connect(new ContainerStdErr(), new ConsoleSink(io.stderr, display)),
    ];
    // `run` is this machine's container, streaming to this terminal, whatever broker is configured.
    handle = dockerRun.applyAsync(
      [invocation.image],
      { ...invocation.options, containerArgs, streamConnectors },
      { inProcess: true },
    );
    handle.on('progress', (progress) => display.progress(progress));
    handle.on('pull', (pull) => display.pull(pull));
    handle.on('warning', (message) => display.note(`longshore: warning: ${message}`));
    trap = trapSignals(handle, display, io);
    result = await handle.get();
  } catch (error) {
    failure = error;
  } finally {
    trap?.release();
    display.close();
  }

  const signal = trap?.received;
  const cancelled = failure instanceof TaskCancelledError;
  let code: number;
  if (failure === undefined) code = 0;
  else if (cancelled && signal) code = 128 + (osConstants.signals[signal] ?? 0);
  else if (cancelled && brokenPipe) code = EXIT_BROKEN_PIPE;
  else code = exitCodeFor(failure);

  if (failure !== undefined && !(cancelled && (signal || brokenPipe))) {
    io.stderr.write(`${describeError(failure, Boolean(io.env.LONGSHORE_DEBUG))}\n`);
  }
  if (invocation.json) {
    const json: JsonResult = {
      taskId: handle?.id ?? '',
      status: handle?.status ?? 'FAILURE',
      exitCode: result?.exitCode ?? (failure instanceof ContainerExitError ? failure.exitCode : null),
    };
    if (result) json.hookResults = result.hookResults;
    if (failure !== undefined) {
      json.error = {
        name: failure instanceof Error ? failure.name : 'Error',
        ...(typeof (failure as { code?: unknown }).code === 'string'
          ? { code: (failure as { code: string }).code }
          : {}),
        message: messageOfError(failure),
      };
    }
    io.stdout.write(`${JSON.stringify(json)}\n`);
  }
  return code;
}

export const runCommand: CliCommand = {
  name: 'run',
  help: runHelp,
  run: runRun,
};
