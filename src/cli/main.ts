import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { CommandError } from './cli-error.js';
import { processIo, type CliIo, type CommandEntry } from './command.js';
import { EXIT_USAGE, describeError, exitCodeFor } from './exit-codes.js';

/** The dispatch table: one entry per command, each in its own file, loaded when it runs. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'run a container as a task, streaming its output here',
    load: async () => (await import('./run-command.js')).runCommand,
  },
  {
    name: 'worker',
    summary: 'serve tasks from a Celery broker (RabbitMQ)',
    load: async () => (await import('./worker-command.js')).workerCommand,
  },
  {
    name: 'monitor',
    summary: 'watch workers and tasks: a live dashboard, a JSON API and the task history',
    load: async () => (await import('./monitor-command.js')).monitorCommand,
  },
  {
    name: 'config',
    summary: 'show or change settings (a JSON file; environment variables override it)',
    load: async () => (await import('./config-command.js')).configCommand,
  },
  {
    name: 'submit',
    summary: 'send a container to the workers as a task; --wait to follow it',
    load: async () => (await import('./submit-command.js')).submitCommand,
  },
  {
    name: 'status',
    summary: "a task's record, from the monitor",
    load: async () => (await import('./status-command.js')).statusCommand,
  },
  {
    name: 'jobs',
    summary: "tasks by user, group or state, from the monitor (moi's userjobs)",
    load: async () => (await import('./jobs-command.js')).jobsCommand,
  },
  {
    name: 'cancel',
    summary: 'revoke a task, stopping its container',
    load: async () => (await import('./cancel-command.js')).cancelCommand,
  },
  {
    name: 'inspect',
    summary: "the workers' answers: ping, active, registered, stats...",
    load: async () => (await import('./inspect-command.js')).inspectCommand,
  },
];

export function version(): string {
  // src/cli/main.ts and dist/cli/main.js both sit two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `\
Usage: longshore COMMAND [OPTIONS] [ARGS...]

Run Docker containers as tasks (a TypeScript Girder Worker docker_run).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Options:
  -h, --help     show this help ('longshore COMMAND --help' for a command's)
  -V, --version  print longshore's version

Errors are reported as one line on stderr; set LONGSHORE_DEBUG=1 for stack traces.
`;
}

function usageLine(error: UsageError, command: string | undefined): string {
  const prefix = command ? `longshore ${command}` : 'longshore';
  return `${prefix}: ${error.message} (see '${prefix} --help')`;
}

/** Runs the CLI and resolves with the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  let command: string | undefined;
  try {
    if (first === undefined) {
      io.stderr.write(mainHelp());
      return EXIT_USAGE;
    }
    if (first === '-h' || first === '--help') {
      io.stdout.write(mainHelp());
      return 0;
    }
    if (first === '-V' || first === '--version' || first === 'version') {
      io.stdout.write(`longshore ${version()}\n`);
      return 0;
    }
    if (first === 'help') {
      const topic = rest[0];
      const entry = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
      if (topic !== undefined && !entry) throw new UsageError(`unknown command '${topic}'`);
      io.stdout.write(entry ? (await entry.load()).help() : mainHelp());
      return 0;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`);
    const entry = COMMANDS.find((c) => c.name === first);
    if (!entry) throw new UsageError(`unknown command '${first}'`);
    command = entry.name;
    return await (await entry.load()).run(rest, io);
  } catch (error) {
    if (error instanceof CommandError) {
      io.stderr.write(`longshore${command ? ` ${command}` : ''}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(
      error instanceof UsageError
        ? `${usageLine(error, command)}\n`
        : `${describeError(error, Boolean(io.env.LONGSHORE_DEBUG))}\n`,
    );
    return exitCodeFor(error);
  }
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** The process entry point (bin/longshore.js): runs the CLI and exits with its code. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  // A closed pipe (`longshore run ... | head`) is handled where it happens, never a crash.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const code = await main(argv);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
