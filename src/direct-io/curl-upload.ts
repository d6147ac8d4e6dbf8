import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StreamError, messageOf } from '../core/errors.js';
import { curlQuote as quote } from './curl-config.js';
import { findProgram } from './find-program.js';

export interface CurlUploadRequest {
  /** The URL, query included; goes to curl on a config pipe, never in argv. */
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  /** The body: bytes [start, start + length) of this host file, read by a `dd` child. */
  hostPath: string;
  start: number;
  length: number;
  caFile?: string | undefined;
  idleTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface CurlUploadResult {
  /** curl's exit code (0: an answer came, whatever its status). */
  exitCode: number;
  /** 0 when no answer came. */
  status: number;
  /** The answer's body (Girder's JSON), its first MiB. */
  body: string;
  /** curl's own message when the exchange failed. */
  error: string | undefined;
  /** dd's message when reading the file failed (or it gave fewer bytes than asked). */
  readError: string | undefined;
}

const ANSWER_LIMIT = 1024 * 1024;
const run = promisify(execFile);

/**
 * Sends a slice of a host file as one request's body with curl reading it from a `dd` child, over
 * HTTPS at curl's speed (Node's TLS client sends about half of it). The body's length is sent as
 * Content-Length and chunked framing is turned off: dd ends the body after exactly `length` bytes,
 * and the answer comes back on curl's stdout for the caller to read as its own client would.
 */
export async function curlUpload(request: CurlUploadRequest): Promise<CurlUploadResult> {
  const [curl, dd, mkfifo] = await Promise.all([
    findProgram('curl'),
    findProgram('dd'),
    findProgram('mkfifo'),
  ]);
  if (!curl || !dd || !mkfifo) throw new StreamError('curl, dd and mkfifo are needed for this upload');
  const idle = String(Math.max(1, Math.ceil(request.idleTimeoutMs / 1000)));
  const config = [
    `url = ${quote(request.url)}`,
    `request = ${quote(request.method)}`,
    ...Object.entries({
      ...request.headers,
      'Content-Length': String(request.length),
      'Transfer-Encoding': '',
      Expect: '',
    }).map(([name, value]) => `header = ${quote(`${name}:${value ? ` ${value}` : ''}`)}`),
  ].join('\n');
  // The body goes through a FIFO of a private directory: curl's stdin carries its config (the
  // token), and Node's own pipes are sockets, which curl cannot open by name.
  const dir = await mkdtemp(join(tmpdir(), 'longshore-curl-'));
  try {
    const fifo = join(dir, 'body');
    await run(mkfifo, [fifo]);
    return await exchange(curl, dd, fifo, config, idle, request);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function exchange(
  curl: string,
  dd: string,
  fifo: string,
  config: string,
  idle: string,
  request: CurlUploadRequest,
): Promise<CurlUploadResult> {
  const reader = spawn(
    dd,
    [
      `if=${request.hostPath}`,
      `of=${fifo}`,
      'iflag=skip_bytes,count_bytes',
      `skip=${request.start}`,
      `count=${request.length}`,
      'bs=1M',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const sender = spawn(
    curl,
    [
      '--config',
      '-',
      '--silent',
      '--show-error',
      '--http1.1',
      '--proto',
      '=http,https',
      '--noproxy',
      '*',
      '--connect-timeout',
      idle,
      '--speed-limit',
      '1',
      '--speed-time',
      idle,
      '--upload-file',
      fifo,
      '--write-out',
      '%{stderr}\n%{http_code}\n',
      ...(request.caFile ? ['--cacert', request.caFile] : []),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  sender.stdin.on('error', () => {});
  sender.stdin.end(`${config}\n`);
  // Either may end without ever opening the FIFO, leaving the other blocked on it.
  let stopped = false;
  const kill = (): void => {
    stopped = true;
    reader.kill('SIGKILL');
    sender.kill('SIGKILL');
  };
  request.signal?.addEventListener('abort', kill, { once: true });
  const curlExit = exited(sender).finally(() => reader.kill('SIGKILL'));
  const ddExit = exited(reader).then((code) => {
    if (code !== 0) sender.kill('SIGKILL');
    return code;
  });
  try {
    const [answer, curlErr, ddErr, curlCode, ddCode] = await Promise.all([
      collect(sender.stdout, ANSWER_LIMIT),
      collect(sender.stderr, 4096),
      collect(reader.stderr, 4096),
      curlExit,
      ddExit,
    ]);
    if (request.signal?.aborted || stopped) {
      throw new StreamError(`Stream stopped: ${messageOf(request.signal?.reason)}`, {
        cause: request.signal?.reason,
      });
    }
    const lines = curlErr.trimEnd().split('\n');
    const status = Number(/^(\d{3})$/.exec(lines.at(-1) ?? '')?.[1] ?? 0);
    return {
      exitCode: curlCode ?? -1,
      status,
      body: answer,
      error: lines.slice(0, -1).join(' ').trim() || (curlCode === null ? 'curl was stopped' : undefined),
      readError: readErrorOf(ddCode, ddErr, curlCode, status, request.length),
    };
  } finally {
    request.signal?.removeEventListener('abort', kill);
  }
}

/**
 * What went wrong reading the file, if that is what failed: a short read always (the file
 * shrank); dd's failure only when it was not stopped by curl ending first (an early answer, a
 * broken connection), which is curl's to report.
 */
function readErrorOf(
  dd: number | null,
  stderr: string,
  curl: number | null,
  status: number,
  length: number,
): string | undefined {
  if (dd === 0) return readError(dd, stderr, length);
  if (status >= 400 || curl !== 0 || dd === null || /writing|broken pipe/i.test(stderr)) return undefined;
  return readError(dd, stderr, length);
}

/** dd's failure, or a short read (the file shrank): its last line says how many bytes it copied. */
function readError(exit: number | null, stderr: string, length: number): string | undefined {
  if (exit !== 0) return stderr.trim().split('\n')[0] || `dd exit ${exit}`;
  const copied = Number(/^(\d+) bytes/m.exec(stderr)?.[1] ?? NaN);
  return copied === length ? undefined : `${copied} of ${length} bytes could be read`;
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

async function collect(stream: NodeJS.ReadableStream | null, limit: number): Promise<string> {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>)
    if (text.length < limit) text += chunk.toString('utf8');
  return text;
}
