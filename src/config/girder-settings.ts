import { z } from 'zod';

/** How longshore reaches one Girder server: a setting, and what a `GirderClient` is made with. */
export interface GirderClientOptions {
  /** The REST API root, e.g. `https://girder.example.org/api/v1`. */
  apiUrl: string;
  /** A Girder token, sent as `Girder-Token`. */
  token?: string | null | undefined;
  /** An API key, exchanged once for a token (`POST api_key/token`). */
  apiKey?: string | undefined;
  /** Socket inactivity limit per request, in ms (default 60 000). */
  timeoutMs?: number | undefined;
  /** Retries after a connection error or a 5xx (default 5). */
  retries?: number | undefined;
  /** First retry delay, doubling after each (default 250 ms). */
  retryDelayMs?: number | undefined;
  /** Bytes per upload chunk (default 64 MiB, girder_client's; at least 5 MiB, Girder's minimum). */
  chunkSize?: number | undefined;
  /**
   * Certificates to trust for HTTPS, besides the system's and `NODE_EXTRA_CA_CERTS`: PEM text, or
   * the path of a PEM file (default `LONGSHORE_GIRDER_CA`). Certificates are always verified.
   */
  ca?: string | undefined;
  /** The proxies to go through (default: `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`); false for none. */
  proxy?: ProxyOptions | false | undefined;
}

export interface ProxyOptions {
  httpProxy?: string | undefined;
  httpsProxy?: string | undefined;
  noProxy?: string[] | undefined;
}

const proxyUrlSchema = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, 'expected an http:// or https:// proxy URL')
  .refine((url) => URL.canParse(url), 'expected a well-formed URL');

export const girderClientOptionsSchema = z.strictObject({
  apiUrl: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'expected an http:// or https:// URL')
    .refine((url) => URL.canParse(url), 'expected a well-formed URL'),
  token: z.string().min(1).nullish(),
  apiKey: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().optional(),
  retries: z.number().int().nonnegative().max(100).optional(),
  retryDelayMs: z.number().int().nonnegative().optional(),
  chunkSize: z
    .number()
    .int()
    // Girder refuses smaller chunks but the last (its core.upload_minimum_chunk_size).
    .min(5 * 1024 * 1024, 'at least 5 MiB: Girder refuses smaller chunks')
    .max(2 ** 31, 'at most 2 GiB')
    .optional(),
  ca: z.string().min(1).optional(),
  proxy: z
    .union([
      z.literal(false),
      z.strictObject({
        httpProxy: proxyUrlSchema.optional(),
        httpsProxy: proxyUrlSchema.optional(),
        noProxy: z.array(z.string()).optional(),
      }),
    ])
    .optional(),
});
