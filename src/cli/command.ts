/** What a command may use of the process; the real streams, environment and directory in production. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** One `longshore <name>` command, in its own file. */
export interface CliCommand {
  name: string;
  /** The command's full `--help` text. */
  help(): string;
  /** Runs the command; resolves with the process exit code. Throws a UsageError for bad usage. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** A command as the dispatch table lists it: loaded only when it runs, so start-up stays light. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
