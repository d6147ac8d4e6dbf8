import { z } from 'zod';
import { isResultHook, type ResultHook } from '../transforms/transform.js';
import { registerSecret } from '../core/secrets.js';
import { parseOrThrow } from '../core/parse.js';
import { ProtocolError } from '../core/protocol-error.js';
import { decodeResultHooks } from './classes/index.js';

/**
 * Girder Worker's reserved headers, read by the worker for docker_run:
 * `girder_result_hooks` (a list of jsonpickle-flattened hook objects, restored one by one as
 * Girder Worker's `task_prerun` does), `girder_api_url`, `girder_client_token` (registered as a
 * secret: masked in every log and error) and `jobInfoSpec` (the Girder job to report to).
 */
export interface GirderHeaders {
  resultHooks: ResultHook[];
  apiUrl: string | undefined;
  token: string | undefined;
  jobInfoSpec: JobInfoSpec | undefined;
}

const jobInfoSpecSchema = z.looseObject({
  method: z.string().min(1).optional(),
  url: z.string().min(1),
  reference: z.string().nullish(),
  headers: z.record(z.string(), z.string()).optional(),
  logPrint: z.boolean().optional(),
});

export type JobInfoSpec = z.output<typeof jobInfoSpecSchema>;

const headersSchema = z.looseObject({
  girder_result_hooks: z.array(z.unknown()).nullish(),
  girder_api_url: z.string().min(1).nullish(),
  girder_client_token: z.string().min(1).nullish(),
  jobInfoSpec: jobInfoSpecSchema.nullish(),
});

export function readGirderHeaders(headers: Record<string, unknown>): GirderHeaders {
  const parsed = parseOrThrow(headersSchema, headers, 'headers');
  if (parsed.girder_client_token) registerSecret(parsed.girder_client_token);
  for (const value of Object.values(parsed.jobInfoSpec?.headers ?? {})) registerSecret(value);
  const resultHooks = decodeResultHooks(parsed.girder_result_hooks ?? []).map((hook, index) => {
    if (!isResultHook(hook)) {
      throw new ProtocolError(`headers.girder_result_hooks[${index}] is not a result hook`);
    }
    return hook;
  });
  return {
    resultHooks,
    apiUrl: parsed.girder_api_url ?? undefined,
    token: parsed.girder_client_token ?? undefined,
    jobInfoSpec: parsed.jobInfoSpec ?? undefined,
  };
}
