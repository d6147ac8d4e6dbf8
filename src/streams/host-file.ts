import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { StreamError, messageOf } from '../core/errors.js';
import { markFileSource } from '../direct-io/direct-copy.js';

/** Big reads: fewer syscalls and chunks for the pump and the pipe. */
const CHUNK = 1024 * 1024;

/**
 * Opens a host file to stream from. The file is opened now so that a missing file fails here,
 * naming the path, rather than as a stream error later.
 */
export async function openHostFileReader(path: string): Promise<Readable> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path, 'r');
  } catch (error) {
    throw new StreamError(`Cannot read host file ${path}: ${messageOf(error)}`, { cause: error });
  }
  try {
    // Reading a directory would fail only later, at the first read.
    if ((await handle.stat()).isDirectory())
      throw new StreamError(`Cannot read host file ${path}: it is a directory`);
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof StreamError) throw error;
    throw new StreamError(`Cannot read host file ${path}: ${messageOf(error)}`, { cause: error });
  }
  const stream = handle.createReadStream({ highWaterMark: CHUNK });
  markFileSource(stream, handle.fd);
  return stream;
}

/** Opens (creates or truncates) a host file to stream into. */
export async function openHostFileWriter(path: string): Promise<Writable> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path, 'w');
  } catch (error) {
    throw new StreamError(`Cannot write host file ${path}: ${messageOf(error)}`, { cause: error });
  }
  return handle.createWriteStream({ highWaterMark: CHUNK });
}
