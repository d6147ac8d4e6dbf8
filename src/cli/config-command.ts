import { UsageError, formatOptions, parseCommandLine, type OptionTable } from './args.js';
import {
  SETTINGS,
  SETTING_KEYS,
  checkSetting,
  configFilePath,
  displayValue,
  isSettingKey,
  loadSettings,
  readConfigFile,
  writeConfigFile,
  type SettingKey,
} from './cli-config.js';
import type { CliCommand, CliIo } from './command.js';

const OPTIONS: OptionTable = {
  json: { type: 'boolean', description: 'list and get: print JSON (list masks secrets all the same)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function configHelp(): string {
  const width = Math.max(...SETTING_KEYS.map((k) => k.length)) + 2;
  return `\
Usage: longshore config list|get KEY|set KEY VALUE|rm KEY [OPTIONS]

Show or change longshore's settings: a JSON file ($LONGSHORE_CONFIG, else
$XDG_CONFIG_HOME/longshore/config.json, else ~/.config/longshore/config.json).
Environment variables override the file; 'list' shows where each value comes from.

Keys:
${SETTING_KEYS.map((k) => `  ${k.padEnd(width)}${SETTINGS[k].description}${SETTINGS[k].env ? ` ($${SETTINGS[k].env})` : ''}`).join('\n')}

Options:
${formatOptions(OPTIONS)}

Examples:
  longshore config set broker amqp://guest:guest@rabbit:5672//
  longshore config set concurrency 4
  longshore config set tasks ./dist/tasks.js,./dist/more.js
  longshore config get monitorUrl
`;
}

function keyOf(word: string | undefined, action: string): SettingKey {
  if (word === undefined) throw new UsageError(`${action} needs a KEY`);
  if (!isSettingKey(word)) throw new UsageError(`unknown key '${word}' (known: ${SETTING_KEYS.join(', ')})`);
  return word;
}

// eslint-disable-next-line @typescript-eslint/require-await -- async so that a UsageError rejects, as for every command
async function runConfig(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(configHelp());
    return 0;
  }
  const [action, ...rest] = positionals;
  const json = values.json === true;
  const file = configFilePath(io.env);
  const extra = (n: number): void => {
    if (rest.length > n) throw new UsageError(`unexpected argument '${rest[n]}'`);
  };
  switch (action) {
    case undefined:
      throw new UsageError('missing an action: list, get, set or rm');
    case 'list': {
      extra(0);
      const { settings, origins } = loadSettings(io.env);
      const keys = SETTING_KEYS.filter((k) => settings[k] !== undefined);
      if (json) {
        const out: Record<string, string> = {};
        for (const k of keys) out[k] = displayValue(k, settings[k]);
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return 0;
      }
      io.stdout.write(`# ${file}\n`);
      const width = Math.max(0, ...keys.map((k) => k.length)) + 1;
      for (const k of keys) {
        const origin = origins[k] === file ? '' : `  (from $${origins[k]})`;
        io.stdout.write(`${`${k}:`.padEnd(width + 1)} ${displayValue(k, settings[k])}${origin}\n`);
      }
      return 0;
    }
    case 'get': {
      const key = keyOf(rest[0], 'get');
      extra(1);
      const value = loadSettings(io.env).settings[key];
      // Nothing set: exit 1 with nothing on stdout, as `git config KEY` does.
      if (value === undefined) return 1;
      io.stdout.write(
        json ? `${JSON.stringify(value)}\n` : `${Array.isArray(value) ? value.join(',') : String(value)}\n`,
      );
      return 0;
    }
    case 'set': {
      const key = keyOf(rest[0], 'set');
      const text = rest[1];
      if (text === undefined) throw new UsageError(`set ${key} needs a VALUE`);
      extra(2);
      const value = checkSetting(key, SETTINGS[key].fromText(text));
      const settings = readConfigFile(file);
      writeConfigFile(file, { ...settings, [key]: value });
      return 0;
    }
    case 'rm':
    case 'unset': {
      const key = keyOf(rest[0], 'rm');
      extra(1);
      const settings = readConfigFile(file);
      if (settings[key] === undefined) return 0;
      const { [key]: _removed, ...others } = settings;
      writeConfigFile(file, others);
      return 0;
    }
    default:
      throw new UsageError(`unknown action '${action}': expected list, get, set or rm`);
  }
}

export const configCommand: CliCommand = { name: 'config', help: configHelp, run: runConfig };
