/**
 * The Girder test server (test/girder/server) in a process of its own, for the Girder benchmarks:
 * so that the benchmark's RSS is longshore's alone, and the server's CPU does not sit on
 * longshore's event loop. Seeds a user, a folder and (with --file-bytes N) an item holding a file
 * of N pseudo-random bytes plus an empty one, then prints one line of JSON on stdout (`ServerInfo`
 * in girder-common.ts) and serves until stdin closes (its parent went away) or a signal; then it
 * closes, which deletes its file store. Each line on stdin, `{"id": n, "path": "/file/ID/download"}`,
 * is answered by a line `{"id": n, "requests": [{"at", "finishedAt"}...]}`: the server's own times
 * of the requests to that path since the last such question (ms since the epoch).
 *
 *   npx tsx bench/girder-server-process.ts [--file-bytes N]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { startGirderTestServer } from '../test/girder/server/index.js';

async function serve(): Promise<void> {
  const at = process.argv.indexOf('--file-bytes');
  const fileBytes = at >= 0 ? Number(process.argv[at + 1]) : 0;
  if (!Number.isSafeInteger(fileBytes) || fileBytes < 0) throw new Error('--file-bytes: a byte count');

  // LONGSHORE_BENCH_TLS_DIR: serve HTTPS with its server.pem / server.key (test/helpers/test-ca.ts);
  // LONGSHORE_BENCH_OBJECT_STORE=1: redirect downloads (303) to an object store on the same TLS.
  const tlsDir = process.env.LONGSHORE_BENCH_TLS_DIR;
  const tls = tlsDir
    ? {
        cert: readFileSync(join(tlsDir, 'server.pem'), 'utf8'),
        key: readFileSync(join(tlsDir, 'server.key'), 'utf8'),
      }
    : undefined;
  const server = await startGirderTestServer({
    tls,
    objectStore: process.env.LONGSHORE_BENCH_OBJECT_STORE === '1' ? { tls } : undefined,
  });
  let closing: Promise<void> | undefined;
  const close = (code: number): void => {
    closing ??= server.close().finally(() => process.exit(code));
  };
  process.once('SIGTERM', () => close(0));
  process.once('SIGINT', () => close(0));
  process.stdin.once('end', () => close(0));
  process.stdin.once('error', () => close(0));
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, path } = JSON.parse(line) as { id: number; path: string };
    const key = /^\/file\/([^/]+)\/download$/.exec(path)?.[1];
    const requests = [
      ...server.requests.filter((r) => r.path === path),
      // Redirected downloads: the store's answers carry the bytes.
      ...(server.objectStore?.requests.filter((r) => r.key === key) ?? []),
    ].map((r) => ({ at: r.at, finishedAt: r.finishedAt ?? null }));
    server.clearRequests();
    process.stdout.write(`${JSON.stringify({ id, requests })}\n`);
  });

  try {
    const { user, token } = server.createUser('bench');
    const collection = server.createCollection('bench', { ownerId: user._id });
    const folder = server.createFolder(collection._id, 'work', {
      parentType: 'collection',
      ownerId: user._id,
    });
    const item = server.createItem(folder._id, 'download');
    const file =
      fileBytes > 0 ? server.createFile(item._id, 'big.bin', { size: fileBytes, seed: 'bench' }) : undefined;
    const empty = server.createFile(item._id, 'empty.bin', Buffer.alloc(0));
    const info = {
      apiUrl: server.apiUrl,
      token,
      folderId: folder._id,
      itemId: item._id,
      fileId: file?._id ?? null,
      fileBytes,
      emptyFileId: empty._id,
      filesDir: dirname(server.filePath(empty._id)),
      pid: process.pid,
    };
    process.stdout.write(`${JSON.stringify(info)}\n`);
  } catch (error) {
    console.error(error);
    close(1);
  }
}

serve().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
