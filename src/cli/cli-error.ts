/**
 * A command that cannot do what was asked, for a reason the user can fix (a bad config value, a
 * monitor not running, a broker that cannot be reached): one line on stderr, `longshore
 * COMMAND: message`, and this exit code. Never a stack trace.
 */
export class CommandError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CommandError';
    this.exitCode = exitCode;
  }
}
