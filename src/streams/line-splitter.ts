export interface LineSplitterOptions {
  /** Longest line kept, in UTF-16 code units; longer lines are dropped, not buffered. */
  maxLineLength: number;
  onLine(line: string): void;
  /** Called once per dropped line, with its start and its full length. */
  onOverlong(prefix: string, length: number): void;
}

const PREFIX_KEPT = 200;

/**
 * Splits decoded text into lines across arbitrary chunk boundaries. A writer that never sends a
 * newline cannot make it grow without bound: past `maxLineLength` the line is counted, not kept.
 * A trailing "\r" is removed so that CRLF writers work too.
 */
export class LineSplitter {
  readonly #options: LineSplitterOptions;
  #parts: string[] = [];
  #length = 0;
  #overlong = false;
  #prefix = '';

  constructor(options: LineSplitterOptions) {
    this.#options = options;
  }

  push(text: string): void {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) {
        this.#append(text.slice(start));
        return;
      }
      this.#append(text.slice(start, newline));
      this.#flush();
      start = newline + 1;
    }
  }

  /** The last line, if the text did not end with a newline. */
  end(): void {
    if (this.#length > 0 || this.#overlong) this.#flush();
  }

  #append(piece: string): void {
    if (piece.length === 0) return;
    this.#length += piece.length;
    if (this.#overlong) return;
    if (this.#length > this.#options.maxLineLength) {
      this.#overlong = true;
      this.#prefix = (this.#parts.join('') + piece).slice(0, PREFIX_KEPT);
      this.#parts = [];
      return;
    }
    this.#parts.push(piece);
  }

  #flush(): void {
    const length = this.#length;
    if (this.#overlong) {
      const prefix = this.#prefix;
      this.#reset();
      this.#options.onOverlong(prefix, length);
      return;
    }
    let line = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
    this.#reset();
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.#options.onLine(line);
  }

  #reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#overlong = false;
    this.#prefix = '';
  }
}
