// GET file/:id/download: the Range header (CherryPy's get_ranges; only the first range is served and
// it wins over the query), offset/endByte (endByte exclusive), Girder's content headers, and the
// bytes streamed from disk. A dropDownload fault cuts the connection after a number of body bytes,
// a stallDownload fault pauses the body, a chunkDownload fault re-frames it as a proxy would.
import { createReadStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from './context.js';
import { GirderInternalError, RestError } from './errors.js';
import type { FileDoc } from './store.js';

/** cherrypy.lib.httputil.get_ranges: [start, stop) pairs, null when there is no usable header. */
export function parseRanges(header: string | undefined, size: number): [number, number][] | null {
  if (!header) return null;
  const eq = header.indexOf('=');
  if (eq < 0) return null;
  const result: [number, number][] = [];
  for (const spec of header.slice(eq + 1).split(',')) {
    const dash = spec.indexOf('-');
    if (dash < 0) return null;
    const startText = spec.slice(0, dash).trim();
    const stopText = spec.slice(dash + 1).trim();
    if (startText) {
      const start = Number.parseInt(startText, 10);
      const stop = stopText ? Number.parseInt(stopText, 10) : size - 1;
      if (Number.isNaN(start) || Number.isNaN(stop)) return null;
      // Unsatisfiable ranges are skipped; a backwards one voids the header.
      if (start >= size) continue;
      if (stop < start) return null;
      result.push([start, stop + 1]);
    } else {
      if (!stopText) return null;
      const suffix = Number.parseInt(stopText, 10);
      if (Number.isNaN(suffix)) return null;
      result.push(suffix > size ? [0, size] : [size - suffix, size]);
    }
  }
  return result;
}

/** rest.setContentDisposition: a Latin-1 filename, plus filename* when the name is not plain ASCII. */
export function contentDisposition(filename: string, disposition: string): string {
  if (!filename) throw new RestError('Error: Content-Disposition filename is empty.');
  const latin1 = [...filename].filter((c) => (c.codePointAt(0) ?? 0) <= 0xff).join('');
  let value = `${disposition}; filename="${latin1.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (/[^\x20-\x7e]/.test(filename)) {
    const quoted = encodeURIComponent(filename).replace(
      /[!'()*]/g,
      (c) => `%${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}`,
    );
    value += `; filename*=UTF-8''${quoted}`;
  }
  return value;
}

export async function sendFile(
  ctx: RequestContext,
  file: FileDoc,
  offset: number,
  requestedEnd: number | undefined,
  disposition: string,
): Promise<void> {
  const { res, server } = ctx;
  const endByte = requestedEnd === undefined || requestedEnd > file.size ? file.size : requestedEnd;
  const path = server.storage.filePath(file._id);
  if (!existsSync(path)) {
    throw new GirderInternalError(
      `File ${path} does not exist.`,
      'girder.utility.filesystem_assetstore_adapter.file-does-not-exist',
    );
  }
  const length = Math.max(endByte - offset, 0);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', file.mimeType || 'application/octet-stream');
  res.setHeader('Content-Disposition', contentDisposition(file.name, disposition));
  const chunked = ctx.req.method !== 'HEAD' && server.faults.takeChunked(file._id);
  // Without a Content-Length, Node's server frames the body in chunks.
  if (!chunked) res.setHeader('Content-Length', String(length));
  // The endpoint answers 206 whenever the adapter set a Content-Range.
  if ((offset || endByte < file.size) && file.size) {
    res.setHeader('Content-Range', `bytes ${offset}-${endByte - 1}/${file.size}`);
    res.statusCode = 206;
  } else {
    res.statusCode = 200;
  }
  res.setHeader('Girder-Request-Uid', ctx.requestUid);

  const drop = ctx.req.method === 'HEAD' ? undefined : server.faults.takeDrop(file._id);
  if (ctx.req.method === 'HEAD' || length === 0 || (drop !== undefined && drop <= 0)) {
    if (drop === undefined) {
      res.end();
      return;
    }
    res.flushHeaders();
    cutConnection(ctx);
    return;
  }
  const stall = ctx.req.method === 'HEAD' ? undefined : server.faults.takeStall(file._id);
  if (stall && drop === undefined && stall.afterBytes < length) {
    const pauseAt = offset + stall.afterBytes;
    await pipeline(createReadStream(path, { start: offset, end: pauseAt - 1 }), res, { end: false });
    await new Promise((resolve) => setTimeout(resolve, stall.ms));
    if (res.destroyed) return;
    await pipeline(createReadStream(path, { start: pauseAt, end: endByte - 1, highWaterMark: 1 << 20 }), res);
    return;
  }
  const stop = drop === undefined ? endByte : Math.min(endByte, offset + drop);
  const source = createReadStream(path, { start: offset, end: stop - 1, highWaterMark: 1 << 20 });
  if (drop === undefined) {
    await pipeline(source, res);
    return;
  }
  // Headers and the first `drop` bytes go out, then the connection goes away mid-body.
  await pipeline(source, res, { end: false });
  cutConnection(ctx);
}

function cutConnection(ctx: RequestContext): void {
  const socket = ctx.res.socket;
  if (!socket) return;
  // end() flushes what is queued (and uncorks) before the FIN; then the socket is destroyed outright.
  socket.end(() => socket.destroy());
}
