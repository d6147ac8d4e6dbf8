import { z } from 'zod';

const text = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/**
 * A task as the monitor's HTTP API gives it (`GET /api/tasks/:id`), read leniently: a field the
 * monitor leaves out is null, extra ones are kept.
 */
export const taskRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: text,
  image: text,
  state: z.string().min(1),
  worker: text,
  queue: text,
  user: text,
  group: text,
  args: text,
  kwargs: text,
  created: text,
  received: text,
  started: text,
  ended: text,
  runtime: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
  exitCode: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
  result: z.unknown().transform((v) => (v === undefined ? null : v)),
  error: z.unknown().transform((v) => (v === undefined ? null : v)),
  progress: z
    .looseObject({
      current: z.number().nullish(),
      total: z.number().nullish(),
      message: z.string().nullish(),
    })
    .nullish()
    .transform((v) => v ?? null),
  log: z.string().optional(),
});

export type TaskRecordView = z.output<typeof taskRecordSchema>;

/** The order and names of a record's lines (moi's `key : value` dump, aligned). */
const FIELDS: readonly (keyof TaskRecordView)[] = [
  'id',
  'name',
  'image',
  'state',
  'worker',
  'queue',
  'user',
  'group',
  'args',
  'kwargs',
  'created',
  'received',
  'started',
  'ended',
  'runtime',
  'exitCode',
  'progress',
  'result',
  'error',
];

function valueText(key: keyof TaskRecordView, value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (key === 'runtime' && typeof value === 'number') return `${value.toFixed(3)} s`;
  if (key === 'progress' && typeof value === 'object') {
    const p = value as { current?: number | null; total?: number | null; message?: string | null };
    const count = p.current != null ? (p.total != null ? `${p.current}/${p.total}` : String(p.current)) : '';
    return [count, p.message ?? ''].filter((s) => s !== '').join(' ') || '-';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A record as aligned `key: value` lines; the log, when there is one, after them. */
export function formatRecord(record: TaskRecordView, options: { log?: boolean } = {}): string {
  const width = Math.max(...FIELDS.map((f) => f.length)) + 1;
  const lines = FIELDS.map(
    (f) => `${`${f}:`.padEnd(width)} ${valueText(f, record[f]).replace(/\n/g, `\n${' '.repeat(width + 1)}`)}`,
  );
  if (options.log && record.log) lines.push('log:', record.log.replace(/\n$/, ''));
  return `${lines.join('\n')}\n`;
}

/** The time a task is sorted by: when it was created, else received or started. */
export function recordTime(record: TaskRecordView): string {
  return record.created ?? record.received ?? record.started ?? '';
}

/** One line per task, like moi's `userjobs --summary`. */
export function summaryLine(record: TaskRecordView): string {
  return `date: ${recordTime(record) || '-'}    id: ${record.id}    state: ${record.state}${record.exitCode !== null ? `    exit: ${record.exitCode}` : ''}`;
}

/** A table of tasks: a header and one aligned row each. */
export function formatTable(records: readonly TaskRecordView[]): string {
  const header = ['CREATED', 'ID', 'STATE', 'IMAGE', 'USER', 'GROUP', 'WORKER', 'RUNTIME', 'EXIT'];
  const rows = records.map((r) => [
    recordTime(r) || '-',
    r.id,
    r.state,
    r.image ?? r.name ?? '-',
    r.user ?? '-',
    r.group ?? '-',
    r.worker ?? '-',
    r.runtime !== null ? `${r.runtime.toFixed(1)}s` : '-',
    r.exitCode !== null ? String(r.exitCode) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
