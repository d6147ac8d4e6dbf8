// Injected faults: what a flaky network or an overloaded Girder does to a client. They act after
// routing, before authentication and the handler, the way a proxy or a failing server would.
export interface FaultMatch {
  method?: string;
  /** Tested against the path without /api/v1 and without the query, e.g. '/file/<id>/download'. */
  path: RegExp;
}

interface Counted<T> {
  value: T;
  remaining: number;
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  match.path.lastIndex = 0;
  return match.path.test(path);
}

function take<T>(list: Counted<T>[], pick: (entry: Counted<T>) => boolean): T | undefined {
  const index = list.findIndex(pick);
  if (index < 0) return undefined;
  const entry = list[index];
  if (!entry) return undefined;
  entry.remaining -= 1;
  if (entry.remaining <= 0) list.splice(index, 1);
  return entry.value;
}

/** The Girder-shaped body of an injected failure, by status. */
export function faultBody(status: number, requestUid: string): Record<string, unknown> {
  if (status >= 500)
    return { message: 'An unexpected error occurred on the server.', type: 'internal', uid: requestUid };
  if (status === 401) return { message: 'You must be logged in.', type: 'access' };
  if (status === 403) return { message: 'Access denied.', type: 'access' };
  return { message: `Injected fault (HTTP ${status}).`, type: 'rest' };
}

export class Faults {
  readonly #drops: Counted<{ fileId: string; afterBytes: number }>[] = [];
  readonly #stalls: Counted<{ fileId: string; afterBytes: number; ms: number }>[] = [];
  readonly #chunked: Counted<string>[] = [];
  readonly #failures: Counted<{ match: FaultMatch; status: number }>[] = [];
  readonly #delays: Counted<{ match: FaultMatch; ms: number }>[] = [];
  readonly #redirects: Counted<{ fileId: string; status: number; location: string | undefined }>[] = [];

  /** The next `times` downloads of the file send their headers and `afterBytes` body bytes, then lose the connection. */
  dropDownload(fileId: string, afterBytes: number, times = 1): void {
    this.#drops.push({ value: { fileId, afterBytes }, remaining: times });
  }

  /** The next `times` downloads of the file send `afterBytes` body bytes, then nothing for `ms`, then the rest. */
  stallDownload(fileId: string, afterBytes: number, ms: number, times = 1): void {
    this.#stalls.push({ value: { fileId, afterBytes, ms }, remaining: times });
  }

  /**
   * The next `times` downloads of the file come with `Transfer-Encoding: chunked` and no
   * Content-Length, as a proxy that re-frames the body sends them.
   */
  chunkDownload(fileId: string, times = 1): void {
    this.#chunked.push({ value: fileId, remaining: times });
  }

  /** The next `times` matching requests are answered with `status` and a Girder-shaped error body. */
  failNext(match: FaultMatch, status: number, times = 1): void {
    this.#failures.push({ value: { match, status }, remaining: times });
  }

  /** The next `times` matching requests wait `ms` before being handled. */
  delay(match: FaultMatch, ms: number, times = 1): void {
    this.#delays.push({ value: { match, ms }, remaining: times });
  }

  /**
   * The next `times` downloads of the file answer `status` with this Location (undefined: none),
   * whatever the assetstore: loops, odd schemes and missing hosts, as a misconfigured site sends them.
   */
  redirectDownload(fileId: string, location: string | undefined, status = 302, times = 1): void {
    this.#redirects.push({ value: { fileId, status, location }, remaining: times });
  }

  reset(): void {
    this.#redirects.length = 0;
    this.#drops.length = 0;
    this.#stalls.length = 0;
    this.#chunked.length = 0;
    this.#failures.length = 0;
    this.#delays.length = 0;
  }

  takeDrop(fileId: string): number | undefined {
    return take(this.#drops, (e) => e.value.fileId === fileId)?.afterBytes;
  }

  takeStall(fileId: string): { afterBytes: number; ms: number } | undefined {
    return take(this.#stalls, (e) => e.value.fileId === fileId);
  }

  takeChunked(fileId: string): boolean {
    return take(this.#chunked, (e) => e.value === fileId) !== undefined;
  }

  takeRedirect(fileId: string): { status: number; location: string | undefined } | undefined {
    return take(this.#redirects, (e) => e.value.fileId === fileId);
  }

  takeFailure(method: string, path: string): number | undefined {
    return take(this.#failures, (e) => matches(e.value.match, method, path))?.status;
  }

  takeDelay(method: string, path: string): number | undefined {
    return take(this.#delays, (e) => matches(e.value.match, method, path))?.ms;
  }
}
