// A stand-in for the object store behind a Girder S3 assetstore: Girder answers a download with a
// redirect to a signed URL here, and this serves the file's bytes as S3 does (Range, 206, its XML
// errors, 403 once the signature expired). Faults: a connection cut mid-body, a store that ignores
// Range, signatures expired early.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { parseRanges } from './download.js';
import type { FileStorage } from './file-storage.js';

export interface ObjectStoreOptions {
  /** Serve HTTPS with this certificate (default plain HTTP). */
  tls?: { key: string; cert: string } | undefined;
  /** How long a signed URL is good for, in ms (default 60 s). */
  expiresMs?: number | undefined;
}

export interface StoreRequest {
  method: string;
  /** The object's key (the Girder file id). */
  key: string;
  headers: http.IncomingHttpHeaders;
  status: number;
  /** Arrival and end of the answer, ms since the epoch (fractional); finishedAt undefined before. */
  at: number;
  finishedAt?: number | undefined;
}

export class ObjectStore {
  readonly requests: StoreRequest[] = [];
  readonly #secret = randomBytes(32);
  readonly #server: http.Server;
  readonly #expiresMs: number;
  #origin = '';
  #drops: { key: string; afterBytes: number; times: number }[] = [];
  #stalls: { key: string; afterBytes: number; ms: number; times: number }[] = [];
  #ignoreRange = 0;
  #notBefore = 0;
  #closing: Promise<void> | undefined;

  private constructor(
    readonly storage: FileStorage,
    options: ObjectStoreOptions,
  ) {
    this.#expiresMs = options.expiresMs ?? 60_000;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    this.#server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  }

  static async start(storage: FileStorage, options: ObjectStoreOptions = {}): Promise<ObjectStore> {
    const store = new ObjectStore(storage, options);
    await new Promise<void>((resolve) => store.#server.listen(0, '127.0.0.1', resolve));
    const { port } = store.#server.address() as AddressInfo;
    store.#origin = `${options.tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`;
    return store;
  }

  get origin(): string {
    return this.#origin;
  }

  /** A presigned URL for the object, as Girder's S3 adapter makes one (query: expiry and signature). */
  signedUrl(key: string, name: string): string {
    const expires = Date.now() + this.#expiresMs;
    const signature = this.#sign(key, expires);
    return `${this.#origin}/bucket/${key}/${encodeURIComponent(name)}?X-Amz-Expires=${expires}&X-Amz-Signature=${signature}`;
  }

  /** The next `times` requests for the object send headers and `afterBytes` of body, then lose the connection. */
  dropDownload(key: string, afterBytes: number, times = 1): void {
    this.#drops.push({ key, afterBytes, times });
  }

  /** The next `times` requests for the object send `afterBytes` of body, then nothing for `ms`, then the rest. */
  stallDownload(key: string, afterBytes: number, ms: number, times = 1): void {
    this.#stalls.push({ key, afterBytes, ms, times });
  }

  /** The next `times` requests with a Range answer 200 with the whole object. */
  ignoreRange(times = 1): void {
    this.#ignoreRange = times;
  }

  /** Every URL signed until now is refused as expired. */
  expireSignatures(): void {
    this.#notBefore = Date.now() + 1;
  }

  reset(): void {
    this.#drops = [];
    this.#stalls = [];
    this.#ignoreRange = 0;
    this.requests.length = 0;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #sign(key: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${key}\n${expires}`).digest('hex');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://store.invalid');
    const key = /^\/bucket\/([^/]+)/.exec(url.pathname)?.[1] ?? '';
    const record: StoreRequest = {
      method: req.method ?? 'GET',
      key,
      headers: { ...req.headers },
      status: 0,
      at: performance.timeOrigin + performance.now(),
    };
    this.requests.push(record);
    res.once('finish', () => (record.status = res.statusCode));
    res.once('close', () => (record.finishedAt = performance.timeOrigin + performance.now()));
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    const given = Buffer.from(url.searchParams.get('X-Amz-Signature') ?? '', 'hex');
    const wanted = Buffer.from(this.#sign(key, expires), 'hex');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      record.status = 403;
      return s3Error(
        res,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match.',
      );
    }
    if (Date.now() > expires || expires < this.#notBefore + this.#expiresMs) {
      record.status = 403;
      return s3Error(res, 403, 'AccessDenied', 'Request has expired');
    }
    const path = this.storage.filePath(key);
    if (!existsSync(path)) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    const { size } = await stat(path);
    let [start, end] = [0, size];
    let range = parseRanges(req.headers.range, size)?.[0];
    if (range && this.#ignoreRange > 0) {
      this.#ignoreRange -= 1;
      range = undefined;
    }
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    if (range) {
      [start, end] = range;
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${size}`);
    }
    res.setHeader('Content-Length', String(end - start));
    record.status = res.statusCode;
    const stall = this.#stalls.find((d) => d.key === key);
    if (stall && --stall.times <= 0) this.#stalls.splice(this.#stalls.indexOf(stall), 1);
    if (stall && stall.afterBytes < end - start) {
      const pauseAt = start + stall.afterBytes;
      await pipeline(createReadStream(path, { start, end: pauseAt - 1 }), res, { end: false }).catch(
        () => {},
      );
      await new Promise((resolve) => setTimeout(resolve, stall.ms));
      if (res.destroyed) return;
      start = pauseAt;
    }
    const drop = this.#drops.find((d) => d.key === key);
    if (drop && --drop.times <= 0) this.#drops.splice(this.#drops.indexOf(drop), 1);
    const stop = drop ? Math.min(end, start + drop.afterBytes) : end;
    if (stop > start) {
      const source = createReadStream(path, { start, end: stop - 1, highWaterMark: 1 << 20 });
      await pipeline(source, res, { end: !drop }).catch(() => {});
    } else if (!drop) res.end();
    if (!drop) return;
    res.flushHeaders();
    const socket = res.socket;
    socket?.end(() => socket.destroy());
  }
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<StringToSign>GET\nsecret-looking-signed-text</StringToSign><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
