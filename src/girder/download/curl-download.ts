import type { DirectCopyResult, FifoTarget } from '../../direct-io/direct-copy.js';
import { curlAvailable, curlToFd } from '../../direct-io/curl-copy.js';
import { Resumption } from './resumption.js';
import { writeThroughNode } from './fifo-writes.js';

/** curl's exit codes for a transfer cut short: worth a resumption from the last byte. */
const DROPPED = new Set([7, 16, 18, 28, 52, 55, 56, 92]);

/**
 * A download into a FIFO over HTTPS (or wherever a raw socket cannot go) by a curl child writing
 * the body straight into the pipe: Node's TLS client moves a third of curl's bytes per second.
 * curl only moves bytes; every judgement stays with Resumption: redirects are checked and
 * followed there (the token never leaves Girder's origin), and an answer curl does not take as
 * plain bytes (an error status, a Range ignored, a certificate refused) is asked again through
 * Node's client, which gives Girder's own error, a refreshed signed URL, or the bytes.
 *
 * Resolves undefined, having asked nothing, where no curl can run.
 */
export async function curlDownload(
  resumption: Resumption,
  fifo: FifoTarget,
  copySignal: AbortSignal | undefined,
): Promise<DirectCopyResult | undefined> {
  const { client } = resumption;
  if (!(await curlAvailable())) return undefined;
  const signal = copySignal ?? resumption.options.signal;
  const result = (endedEarly: boolean, path: 'curl' | 'node' = 'curl'): DirectCopyResult => ({
    endedEarly,
    path,
    bytes: resumption.received,
  });
  for (let hops = 0; ;) {
    const { url, headers } = await resumption.nextRequest();
    if (!client.curlReaches(url)) break;
    const got = await curlToFd({
      url,
      headers,
      resumeAt: resumption.received,
      maxBytes: resumption.file.size - resumption.received,
      fd: fifo.fd,
      caFile: client.caFile(),
      idleTimeoutMs: client.policy.timeoutMs,
      signal,
    });
    if (got.endedEarly) return result(true);
    if (got.exitCode === 47) {
      // size_download counts the redirect's body, which curl discarded.
      resumption.follow(got.redirectUrl, url, ++hops);
      continue;
    }
    hops = 0;
    if (got.exitCode !== 0 && !DROPPED.has(got.exitCode)) break;
    // Any other answer (a 3xx without a Location) is Node's to judge: it names what went wrong.
    if (got.exitCode === 0 && got.status !== 200 && got.status !== 206) break;
    // Only a body's bytes reached the pipe (200, or 206 to a resumption).
    if (got.status === 200 || got.status === 206) resumption.add(got.bytes);
    const dropped = got.exitCode === 0 ? undefined : new Error(got.error ?? `curl exit ${got.exitCode}`);
    if (await resumption.next(dropped)) return result(false);
  }
  return result((await writeThroughNode(resumption, fifo.stream)).endedEarly, 'node');
}
