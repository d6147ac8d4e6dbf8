// Request bodies: read whole (form bodies), streamed into a file (upload chunks, counted and cut at a
// limit), or drained unread. Every byte is counted for the request log, whoever reads it.
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from './context.js';
import { RestError } from './errors.js';

/** Form bodies are small; this only guards the test process against a runaway client. */
const MAX_FORM_BODY = 64 << 20;

function markConsumed(ctx: RequestContext): void {
  if (ctx.bodyConsumed) throw new Error('the request body was already consumed');
  ctx.bodyConsumed = true;
}

export async function readRequestBody(ctx: RequestContext): Promise<Buffer> {
  markConsumed(ctx);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    ctx.bodyBytes += chunk.length;
    size += chunk.length;
    if (size > MAX_FORM_BODY) throw new RestError('Request body too large.', 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Appends the body to `path`, writing at most `max` bytes. More than that is read and dropped, and
 * reported as overflow (Girder stops at the first buffer past the limit and refuses the chunk).
 */
export async function appendRequestBody(
  ctx: RequestContext,
  path: string,
  max: number,
): Promise<{ written: number; overflow: boolean }> {
  markConsumed(ctx);
  let written = 0;
  let overflow = false;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      ctx.bodyBytes += chunk.length;
      const room = max - written;
      if (chunk.length > room) overflow = true;
      const keep = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
      written += keep.length;
      callback(null, keep.length > 0 ? keep : undefined);
    },
  });
  await pipeline(ctx.req, limiter, createWriteStream(path, { flags: 'a', highWaterMark: 1 << 20 }));
  return { written, overflow };
}

/** Reads and discards whatever body nobody read, so the connection stays usable. */
export function drainRequestBody(ctx: RequestContext): void {
  if (ctx.bodyConsumed || ctx.req.readableEnded) return;
  ctx.bodyConsumed = true;
  ctx.req.on('data', (chunk: Buffer) => {
    ctx.bodyBytes += chunk.length;
  });
  ctx.req.on('error', () => {});
  ctx.req.resume();
}
