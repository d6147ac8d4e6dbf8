import { parseArgs } from 'node:util';

/** A mistake in how the CLI was invoked: reported as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's name in the help text (`HOST:CONTAINER[:MODE]`). */
  valueName?: string;
  description: string;
}

export type OptionTable = Record<string, OptionSpec>;

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedCommandLine {
  values: OptionValues;
  positionals: string[];
}

export interface ParseOptions {
  /**
   * Stop at the first positional argument: it and everything after it are positionals, taken
   * verbatim (`longshore run [OPTIONS] IMAGE [ARGS...]`, where ARGS may look like options).
   */
  stopAtPositional?: boolean;
}

/**
 * Parses a command's arguments with `node:util` parseArgs, after a first pass of our own that
 * finds where the options end, rejects unknown options with a clear message, and hands parseArgs
 * only unambiguous `--name=value` tokens (so that a value may start with '-').
 */
export function parseCommandLine(
  argv: readonly string[],
  table: OptionTable,
  options: ParseOptions = {},
): ParsedCommandLine {
  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) if (spec.short) shorts.set(spec.short, name);

  const tokens: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      const spec = table[name];
      if (!spec) throw new UsageError(`unknown option '--${name}'`);
      if (spec.type === 'boolean') {
        if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
        tokens.push(`--${name}`);
      } else {
        const value = eq >= 0 ? token.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new UsageError(`option '--${name}' needs a value`);
        tokens.push(`--${name}=${value}`);
      }
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      // One or more short options: -q, -qv VALUE, -vVALUE.
      for (let j = 1; j < token.length; j++) {
        const letter = token[j]!;
        const name = shorts.get(letter);
        if (name === undefined) {
          throw new UsageError(
            token.length > 2 && j > 1
              ? `unknown option '-${letter}' (in '${token}')`
              : `unknown option '${token.length > 2 ? token : `-${letter}`}'`,
          );
        }
        if (table[name]!.type === 'boolean') {
          tokens.push(`--${name}`);
          continue;
        }
        const rest = token.slice(j + 1);
        const value = rest !== '' ? rest : argv[++i];
        if (value === undefined) throw new UsageError(`option '-${letter}' (--${name}) needs a value`);
        tokens.push(`--${name}=${value}`);
        break;
      }
      continue;
    }
    if (options.stopAtPositional) {
      positionals.push(...argv.slice(i));
      break;
    }
    positionals.push(token);
  }

  const config: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {};
  for (const [name, spec] of Object.entries(table)) {
    config[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values } = parseArgs({ args: tokens, options: config, strict: true, allowPositionals: false });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    // Not expected after the first pass; still a usage problem, never a stack trace.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The options section of a help text, generated from the same table the parser uses. */
export function formatOptions(table: OptionTable): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.valueName ? ` ${spec.valueName}` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.min(Math.max(...rows.map(([flag]) => flag.length)) + 2, 40);
  return rows
    .map(([flag, description]) =>
      flag.length + 2 > width
        ? `  ${flag}\n  ${' '.repeat(width)}${description}`
        : `  ${flag.padEnd(width)}${description}`,
    )
    .join('\n');
}

/** The string values of a repeatable option, in order. */
export function stringList(value: OptionValues[string]): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

export function stringValue(value: OptionValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
