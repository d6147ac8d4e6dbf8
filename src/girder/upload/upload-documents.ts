import { z } from 'zod';
import { GirderHttpError, GirderTransferError } from '../errors.js';

/** An upload in progress (`POST file`, `PUT file/{id}/contents`, a chunk that is not the last). */
const uploadSchema = z.looseObject({
  _id: z.string(),
  received: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
});
export type GirderUpload = z.output<typeof uploadSchema>;

/** A finished file: what Girder answers once the last byte is in (or at once for 0 bytes). */
const fileSchema = z.looseObject({
  _id: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  itemId: z.string().optional(),
});
export type GirderFileDoc = z.output<typeof fileSchema>;

const folderSchema = z.looseObject({ _id: z.string(), name: z.string() });
export type GirderFolderDoc = z.output<typeof folderSchema>;

export type UploadAnswer = { kind: 'upload'; upload: GirderUpload } | { kind: 'file'; file: GirderFileDoc };

export interface AnswerSource {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  action: string;
}

/**
 * Tells an upload document (it has `received`) from a file document (the upload is complete),
 * and checks the fields longshore relies on.
 */
export function parseUploadAnswer(body: unknown, source: AnswerSource): UploadAnswer {
  if (typeof body === 'object' && body !== null && 'received' in body) {
    return { kind: 'upload', upload: check(uploadSchema, body, source) };
  }
  return { kind: 'file', file: check(fileSchema, body, source) };
}

export function parseFile(body: unknown, source: AnswerSource): GirderFileDoc {
  return check(fileSchema, body, source);
}

export function parseFolder(body: unknown, source: AnswerSource): GirderFolderDoc {
  return check(folderSchema, body, source);
}

function check<S extends z.ZodType>(schema: S, body: unknown, source: AnswerSource): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new GirderHttpError({
    method: source.method,
    path: source.path,
    status: 200,
    girderMessage: `unexpected answer: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed'}`,
    action: source.action,
  });
}

/**
 * What a chunk of a known-size stream that ended at byte `end` of `size` got: the file when it
 * was the last, nothing when Girder holds exactly `end` bytes; anything else is a transfer error.
 */
export function chunkOutcome(
  answer: UploadAnswer,
  end: number,
  size: number,
  action: string,
): GirderFileDoc | undefined {
  if (answer.kind === 'file') {
    if (end !== size) {
      throw new GirderTransferError(
        `Could not ${action}: Girder finished the file after ${end} of ${size} bytes`,
      );
    }
    return answer.file;
  }
  if (answer.upload.received !== end) {
    throw new GirderTransferError(
      `Could not ${action}: Girder holds ${answer.upload.received} bytes of the upload, expected ${end}`,
    );
  }
  return undefined;
}
