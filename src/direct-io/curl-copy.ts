import { StreamError } from '../core/errors.js';
import { runCopier } from './copier-child.js';
import { directIoAllowed } from './direct-io-setting.js';
import { findProgram } from './find-program.js';

export interface CurlCopyRequest {
  /** An http(s) URL; never followed elsewhere: a redirect ends the copy with its target. */
  url: string;
  headers: Record<string, string>;
  /** Resume at this byte (`-C`: curl refuses, writing nothing, an answer that ignores it). */
  resumeAt: number;
  /** The most body bytes allowed (curl refuses a longer announced body before writing). */
  maxBytes: number;
  /** The descriptor the body goes to (a FIFO). */
  fd: number;
  /** A PEM bundle to trust instead of the system's. */
  caFile?: string | undefined;
  /** How long the transfer may stay silent, in ms. */
  idleTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** How a curl copy ended: the reader went away, or an HTTP answer with so many bytes moved. */
export type CurlCopyResult =
  | { endedEarly: true }
  | {
      endedEarly: false;
      /** curl's exit code: 0 done, 47 a redirect not followed, 22 an error status, others a failed transfer. */
      exitCode: number;
      status: number;
      bytes: number;
      /** Where a redirect pointed (exit 47). */
      redirectUrl: string | undefined;
      /** curl's own message when it failed. */
      error: string | undefined;
    };

/** Whether a curl child can carry HTTPS bodies here: direct I/O on and a `curl` on the PATH. */
export async function curlAvailable(): Promise<boolean> {
  return directIoAllowed() && (await findProgram('curl')) !== undefined;
}

/**
 * Downloads one answer's body straight into a descriptor with a `curl` child: TLS and HTTP at
 * curl's speed, where Node's TLS client reaches a third of it and spends more CPU. The request's
 * URL and headers (a token among them) go on stdin as curl's config, never in argv, which any
 * local user can read. curl is told to follow no redirect (it would send a custom token header to
 * any host): a redirect's body is discarded and its target returned, for the caller to judge.
 * Error answers write nothing (`--fail`), and the caller asks again through its own client to
 * read Girder's message.
 */
export async function curlToFd(request: CurlCopyRequest): Promise<CurlCopyResult> {
  const curl = await findProgram('curl');
  if (!curl) throw new StreamError('curl is not available');
  const config = [
    `url = ${quote(request.url)}`,
    ...Object.entries(request.headers).map(([name, value]) => `header = ${quote(`${name}: ${value}`)}`),
  ].join('\n');
  const idle = String(Math.max(1, Math.ceil(request.idleTimeoutMs / 1000)));
  const args = [
    '--config',
    '-',
    '--silent',
    '--show-error',
    '--fail',
    '--http1.1',
    '--proto',
    '=http,https',
    // -L with no redirect allowed: curl then discards a redirect's body rather than writing it.
    '--location',
    '--max-redirs',
    '0',
    '--noproxy',
    '*',
    '--connect-timeout',
    idle,
    '--speed-limit',
    '1',
    '--speed-time',
    idle,
    '--max-filesize',
    String(Math.max(request.maxBytes, 1)),
    '--write-out',
    '%{stderr}\n%{http_code} %{size_download} %{redirect_url}\n',
    ...(request.resumeAt > 0 ? ['--continue-at', String(request.resumeAt)] : []),
    ...(request.caFile ? ['--cacert', request.caFile] : []),
    '--output',
    '-',
  ];
  const exit = await runCopier(curl, args, ['pipe', request.fd, 'pipe'], request.signal, `${config}\n`);
  if (exit.signal === 'SIGPIPE' || exit.code === 23) return { endedEarly: true };
  const lines = exit.stderr.trimEnd().split('\n');
  const report = /^(\d{3}) (\d+) ?(.*)$/.exec(lines.at(-1) ?? '');
  if (exit.code === null || !report) {
    const why = exit.signal ? `killed by ${exit.signal}` : exit.stderr.trim() || `exit code ${exit.code}`;
    throw new StreamError(`curl failed: ${why}`);
  }
  return {
    endedEarly: false,
    exitCode: exit.code,
    status: Number(report[1]),
    bytes: Number(report[2]),
    redirectUrl: report[3] || undefined,
    error: exit.code === 0 ? undefined : lines.slice(0, -1).join(' ').trim() || undefined,
  };
}

/** A value in curl's config syntax: double-quoted, with backslash escapes. */
function quote(value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError('A curl setting holds a line break');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
