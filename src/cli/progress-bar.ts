import type { Progress, PullProgress } from '../index.js';

const BAR_WIDTH = 20;

/** `[#####     ] 50% message`; without a fraction, just the message. */
export function formatBar(fraction: number | undefined, message = '', width = BAR_WIDTH): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return message;
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  const bar = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(clamped * 100)}%`;
  return message ? `${bar} ${message}` : bar;
}

/** A ProgressPipe report as a bar line. */
export function formatProgressBar(progress: Progress, width = BAR_WIDTH): string {
  const { current, total, message = '' } = progress;
  if (current !== undefined && total !== undefined && total > 0) {
    return formatBar(current / total, message, width);
  }
  if (current !== undefined) return message ? `${current} ${message}` : String(current);
  return message;
}

/** A ProgressPipe report as a plain line: `progress: 1/2 message`. */
export function formatPlainProgress(progress: Progress): string {
  const { current, total, message } = progress;
  const parts: string[] = [];
  if (current !== undefined) parts.push(total !== undefined ? `${current}/${total}` : String(current));
  else if (total !== undefined) parts.push(`?/${total}`);
  if (message) parts.push(message);
  return parts.length > 0 ? `progress: ${parts.join(' ')}` : 'progress:';
}

/** A pull report as a plain line: `pull: <layer>: <status>` (the layer when there is one). */
export function formatPlainPull(pull: PullProgress): string {
  return `pull: ${pull.layer ? `${pull.layer}: ` : ''}${pull.status}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`;
}

const LAYER_DONE = /^(Download complete|Pull complete|Already exists|Verifying Checksum)$/;

/** Adds up an image pull's per-layer download progress into one bar. */
export class PullTracker {
  readonly #layers = new Map<string, { current: number; total: number }>();
  #image = '';
  #status = '';

  update(pull: PullProgress): void {
    this.#image = pull.image;
    const layer = pull.layer;
    if (layer !== undefined && pull.status === 'Downloading' && pull.total !== undefined && pull.total > 0) {
      this.#layers.set(layer, { current: pull.current ?? 0, total: pull.total });
    } else if (layer !== undefined && LAYER_DONE.test(pull.status)) {
      const known = this.#layers.get(layer);
      if (known) known.current = known.total;
    }
    this.#status = pull.status;
  }

  /** The fraction downloaded, when any layer has told its size. */
  get fraction(): number | undefined {
    let current = 0;
    let total = 0;
    for (const layer of this.#layers.values()) {
      current += Math.min(layer.current, layer.total);
      total += layer.total;
    }
    return total > 0 ? current / total : undefined;
  }

  get line(): string {
    let current = 0;
    let total = 0;
    for (const layer of this.#layers.values()) {
      current += Math.min(layer.current, layer.total);
      total += layer.total;
    }
    const message = `pulling ${this.#image}: ${this.#status}`;
    return total > 0
      ? formatBar(current / total, `${message} ${formatBytes(current)}/${formatBytes(total)}`)
      : message;
  }
}

const CLEAR_LINE = '\r\x1b[K';

/**
 * One status line at the bottom of a terminal (stderr). Output written through `write()` clears
 * it first; it is redrawn only while the cursor is at the start of a line, so a partial line of
 * the container's output is never overwritten.
 */
export class StatusLine {
  readonly #terminal: NodeJS.WriteStream;
  #text = '';
  #shown = false;
  #atLineStart = true;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(terminal: NodeJS.WriteStream) {
    this.#terminal = terminal;
  }

  /** Sets the line's text ('' hides it). */
  set(text: string): void {
    if (this.#closed) return;
    this.#text = text;
    this.#schedule(0);
  }

  /** Writes output to `target`, keeping the status line out of its way. */
  write(target: NodeJS.WriteStream, chunk: Buffer | string, callback: (error?: Error | null) => void): void {
    const onTerminal = target === this.#terminal || (target.isTTY === true && this.#terminal.isTTY === true);
    if (onTerminal) {
      this.#hide();
      const last =
        typeof chunk === 'string' ? chunk.at(-1) : chunk.length > 0 ? chunk[chunk.length - 1] : undefined;
      if (last !== undefined) this.#atLineStart = last === '\n' || last === 0x0a;
    }
    target.write(chunk, callback);
    if (onTerminal && this.#text) this.#schedule(100);
  }

  /** Removes the line for good. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#hide();
    this.#text = '';
  }

  #schedule(delayMs: number): void {
    if (this.#timer) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#draw();
    }, delayMs);
    this.#timer.unref();
  }

  #draw(): void {
    if (this.#closed) return;
    if (!this.#text) {
      this.#hide();
      return;
    }
    if (!this.#atLineStart) return;
    const columns = this.#terminal.columns || 80;
    const text = this.#text.length >= columns ? `${this.#text.slice(0, columns - 2)}…` : this.#text;
    this.#terminal.write(`${CLEAR_LINE}${text}`);
    this.#shown = true;
  }

  #hide(): void {
    if (!this.#shown) return;
    this.#terminal.write(CLEAR_LINE);
    this.#shown = false;
  }
}
