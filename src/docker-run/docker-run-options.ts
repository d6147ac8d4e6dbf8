import { z } from 'zod';
import { isResultHook, type ResultHook } from '../transforms/transform.js';
import { Connect, Volume } from '../transforms/index.js';
import { parseOrThrow } from '../core/parse.js';

const byteSize = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?\s*[bkmgt]?i?b?$/i, 'expected a size such as 512m or 2g'),
]);

const volumeDict = z.record(
  z.string().startsWith('/', 'expected an absolute host path'),
  z.strictObject({
    bind: z.string().startsWith('/', 'expected an absolute container path'),
    mode: z.enum(['ro', 'rw']).optional(),
  }),
);

export const dockerRunOptionsSchema = z.strictObject({
  /** true pulls always, false never, 'ifNotPresent' (the default) only when the engine lacks the image. */
  pullImage: z.union([z.boolean(), z.literal('ifNotPresent')]).optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
  containerArgs: z.array(z.unknown()).optional(),
  /** Docker-SDK dict syntax `{hostPath: {bind, mode}}`, or a list of volume transforms. */
  volumes: z
    .union([volumeDict, z.array(z.instanceof(Volume, { message: 'expected a volume transform' }))])
    .optional(),
  removeContainer: z.boolean().optional(),
  environment: z
    .union([z.record(z.string(), z.string()), z.array(z.string().regex(/^[^=]+=/, 'expected NAME=value'))])
    .optional(),
  workingDir: z.string().startsWith('/', 'expected an absolute path').optional(),
  user: z.string().min(1).optional(),
  network: z.string().min(1).optional(),
  /** 'all', a number of GPUs, or a list of device ids. */
  gpus: z.union([z.literal('all'), z.number().int().positive(), z.array(z.string()).min(1)]).optional(),
  memory: byteSize.optional(),
  cpus: z.number().positive().optional(),
  shmSize: byteSize.optional(),
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a container name')
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** Seconds between SIGTERM and SIGKILL when the task is cancelled. */
  stopTimeout: z.number().nonnegative().optional(),
  /** Any other field of the engine's container-create body, merged over what longshore builds. */
  createOptions: z.record(z.string(), z.unknown()).optional(),
  streamConnectors: z.array(z.instanceof(Connect, { message: 'expected a Connect' })).optional(),
  girderResultHooks: z
    .array(z.custom<ResultHook>(isResultHook, { message: 'expected a result hook (an object with run())' }))
    .optional(),
});

export type DockerRunOptions = z.input<typeof dockerRunOptionsSchema>;
export type ParsedDockerRunOptions = z.output<typeof dockerRunOptionsSchema>;

/**
 * Docker's image reference grammar (distribution/reference): [host[:port]/]path[:tag][@digest].
 * Checked here because the engine's answer to a malformed one is no clear error (a `//` in the
 * name even makes dockerode crash the process).
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(
  `^(?:(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?/)?` +
    `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    '(?::[\\w][\\w.-]{0,127})?' +
    '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

export const imageSchema = z
  .string()
  .min(1, 'expected an image reference')
  .max(512, 'an image reference is at most 512 characters')
  .regex(
    IMAGE_REFERENCE,
    'expected an image reference such as name, name:tag or host:port/name@sha256:digest',
  );

export function parseDockerRunOptions(options: unknown, root = 'options'): ParsedDockerRunOptions {
  return parseOrThrow(dockerRunOptionsSchema, options ?? {}, root);
}

export function parseImage(image: unknown): string {
  return parseOrThrow(imageSchema, image, 'image');
}
