import { z } from 'zod';
import { GirderHttpError } from './errors.js';
import type { GirderClient, RequestOptions } from './girder-client.js';

/** The fields of Girder's documents that longshore relies on, checked where they arrive. */
export const girderFileSchema = z.looseObject({
  _id: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  itemId: z.string().optional(),
  mimeType: z.string().nullish(),
});
export type GirderFile = z.output<typeof girderFileSchema>;

export const girderItemSchema = z.looseObject({
  _id: z.string(),
  name: z.string(),
  folderId: z.string().optional(),
});
export type GirderItem = z.output<typeof girderItemSchema>;

export const girderFolderSchema = z.looseObject({
  _id: z.string(),
  name: z.string(),
  parentId: z.string().optional(),
  parentCollection: z.string().optional(),
});
export type GirderFolder = z.output<typeof girderFolderSchema>;

/** GET one document and check its shape. */
export async function getDocument<S extends z.ZodType>(
  client: GirderClient,
  schema: S,
  path: string,
  options: RequestOptions = {},
): Promise<z.output<S>> {
  const body = await client.get<unknown>(path, undefined, options);
  return checkDocument(schema, body, path, options.action);
}

/** Every document of a paged listing, each checked. */
export async function listDocuments<S extends z.ZodType>(
  client: GirderClient,
  schema: S,
  path: string,
  query: Record<string, string>,
  options: RequestOptions = {},
): Promise<z.output<S>[]> {
  const out: z.output<S>[] = [];
  for await (const doc of client.pages<unknown>(path, query, options)) {
    out.push(checkDocument(schema, doc, path, options.action));
  }
  return out;
}

function checkDocument<S extends z.ZodType>(
  schema: S,
  body: unknown,
  path: string,
  action: string | undefined,
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new GirderHttpError({
    method: 'GET',
    path,
    status: 200,
    girderMessage: `unexpected answer: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed'}`,
    action,
  });
}

/** The fields of a Girder job document longshore relies on. */
export const girderJobSchema = z.looseObject({
  _id: z.string().min(1),
  title: z.string().optional(),
  type: z.string().optional(),
  status: z.number().optional(),
  handler: z.string().optional(),
});
export type GirderJob = z.output<typeof girderJobSchema>;
