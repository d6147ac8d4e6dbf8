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

/**
 * A broker that cannot be reached, as one line that says what to do; other errors unchanged.
 * (BrokerConnectionError's message never carries a password.)
 */
export function explainBrokerError(error: unknown): unknown {
  if (error instanceof Error && (error as { code?: unknown }).code === 'ERR_BROKER_CONNECTION') {
    return new CommandError(
      `${error.message.replace(/\.$/, '')}; check that RabbitMQ runs there, or set the broker with 'longshore config set broker URL' or $LONGSHORE_BROKER_URL`,
    );
  }
  return error;
}
