/** One thing a message asks that the policy forbids: where (relative to its option), what, why. */
export interface Violation {
  /** The option path, e.g. `createOptions.HostConfig.CapAdd[0]` or `containerArgs[1].hostPath`. */
  field: string;
  value: unknown;
  rule: string;
}
