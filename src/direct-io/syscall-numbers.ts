import os from 'node:os';

/** The system calls the perl children make, by number, where longshore knows them (Linux). */
const NUMBERS: Partial<Record<string, { sendfile: number; splice: number }>> = {
  x64: { sendfile: 40, splice: 275 },
  arm64: { sendfile: 71, splice: 76 },
};

/** This machine's numbers; undefined on an architecture longshore does not know. */
export function syscallNumbers(): { sendfile: number; splice: number } | undefined {
  return NUMBERS[os.arch()];
}
