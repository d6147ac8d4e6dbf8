import type { Readable } from 'node:stream';
import { GirderTransferError } from '../errors.js';
import { Resumption } from './resumption.js';

/** The bytes not received yet, through Node's HTTP client, resuming as often as allowed. */
export async function* downloadedBytes(resumption: Resumption): AsyncGenerator<Buffer> {
  for (;;) {
    let dropped: unknown;
    let body: Readable | undefined;
    try {
      body = (await resumption.open<Readable>('stream', (data) => data.destroy())).data;
    } catch (error) {
      if (!Resumption.retryable(error)) throw error;
      dropped = error;
    }
    if (body) {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          resumption.add(chunk.length);
          yield chunk;
        }
      } catch (error) {
        if (error instanceof GirderTransferError) throw error;
        dropped = error;
      } finally {
        body.destroy();
      }
    }
    if (await resumption.next(dropped)) return;
  }
}
