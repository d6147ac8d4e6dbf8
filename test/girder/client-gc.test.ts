// A longshore client with Girder configured sends each Girder transform's `gc` as Girder does,
// which is all a Python Girder Worker reads: the message it publishes, decoded by real Python
// jsonpickle into a stand-in `girder_client.GirderClient`, has the client's urlBase and token in
// every transform and hook. A longshore worker with no Girder of its own runs the same message.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Connect,
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderItemIdToVolume,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  NamedInputPipe,
  VolumePath,
  configure,
  dockerRun,
  type DockerRunOptions,
} from '../../src/index.js';
import type { DeliveredMessage } from '../../src/celery/amqp/connection.js';
import { BUSYBOX } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { BROKER, useBroker } from '../celery/helpers/broker.js';
import { GIRDER_WORKER_STUBS } from '../celery/helpers/python.js';
import { useWorkerProcesses } from '../celery/helpers/worker-process.js';
import { PYTHON } from '../celery/jsonpickle-python-helper.js';
import { useGirder } from './helpers/girder.js';

const leaks = useLeakChecks({ fds: false });
const broker = useBroker();
const spawnWorker = useWorkerProcesses();
const girder = useGirder();

/** This test's own `girder_client`, first on PYTHONPATH (the girder_worker stand-ins after it). */
const modules = mkdtempSync(join(tmpdir(), 'longshore-test-gc-'));
mkdirSync(join(modules, 'girder_client'));
writeFileSync(
  join(modules, 'girder_client', '__init__.py'),
  `class _NoopProgressReporter:
    pass


class GirderClient:
    """Restored by jsonpickle without __init__: only the attributes the message carries."""
    STAND_IN = 'client-gc.test.ts'
`,
);
afterAll(() => rmSync(modules, { recursive: true, force: true }));

/** Decodes a published message as Girder Worker does (body by jsonpickle, each hook by an Unpickler). */
const DECODE = `
import json, sys, jsonpickle
from jsonpickle.unpickler import Unpickler
import girder_client
message = json.load(sys.stdin)
args, kwargs, embed = jsonpickle.decode(message['body'])
hooks = [Unpickler().restore(h) for h in message['headers']['girder_result_hooks']]
objects = [a for a in kwargs['container_args'] if not isinstance(a, str)]
transforms = objects[:3] + [objects[3]._input]
name = lambda o: type(o).__module__ + '.' + type(o).__name__
gc = transforms[0].gc
print(json.dumps({
    'transforms': [name(t) for t in transforms],
    'hooks': [name(h) for h in hooks],
    'gc': name(gc),
    'stand_in': getattr(gc, 'STAND_IN', None),
    'urlBase': gc.urlBase,
    'token': gc.token,
    'shared': [t.gc is gc for t in transforms],
    'hook_gcs': [[name(h.gc), h.gc.STAND_IN, h.gc.urlBase, h.gc.token] for h in hooks],
}))
`;

interface Decoded {
  transforms: string[];
  hooks: string[];
  gc: string;
  stand_in: string | null;
  urlBase: string;
  token: string;
  shared: boolean[];
  hook_gcs: [string, string, string, string][];
}

function pythonDecode(message: DeliveredMessage): Decoded {
  const result = spawnSync(PYTHON, ['-B', '-c', DECODE], {
    input: JSON.stringify({ body: message.content.toString('utf8'), headers: message.headers }),
    encoding: 'utf8',
    env: {
      ...process.env,
      PYTHONPATH: `${modules}:${GIRDER_WORKER_STUBS}`,
      PYTHONDONTWRITEBYTECODE: '1',
    },
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`python decode failed: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as Decoded;
}

const GW = 'girder_worker.docker.transforms';

/** A client on the broker with the test Girder and its user's token. */
function configureClient(): void {
  configure({
    broker: BROKER,
    girder: { apiUrl: girder.server.apiUrl, token: girder.token, retryDelayMs: 20 },
  });
}

function girderCall(fileId: string, itemId: string): DockerRunOptions {
  return {
    pullImage: false,
    containerArgs: [
      '--file',
      new GirderFileIdToVolume(fileId),
      '--named',
      new GirderFileIdToVolume(fileId, { filename: 'renamed.txt' }),
      '--item',
      new GirderItemIdToVolume(itemId),
      '--stream',
      new Connect(new GirderFileIdToStream(fileId), new NamedInputPipe('in')),
    ],
    girderResultHooks: [
      new GirderUploadVolumePathToItem(new VolumePath('out.txt'), itemId),
      new GirderUploadVolumePathToFolder(new VolumePath('outdir'), girder.folder._id),
      new GirderUploadVolumePathJobArtifact(new VolumePath('logs')),
    ],
  };
}

/** Sends the call to a queue nobody serves and takes the message published there. */
async function published(call: DockerRunOptions): Promise<DeliveredMessage> {
  const queue = broker.queue('gc-capture');
  await dockerRun.applyAsync(['example/image:latest'], call, { queue, ignoreResult: true }).get();
  const channel = await broker.admin.connection.channel();
  try {
    return await new Promise<DeliveredMessage>((resolve, reject) => {
      channel
        .consume(queue, (message) => (message ? resolve(message) : reject(new Error('cancelled'))), {
          noAck: true,
        })
        .catch(reject);
    });
  } finally {
    await channel.close();
  }
}

function expectGirderGc(decoded: Decoded, token: string): void {
  const urlBase = `${girder.server.apiUrl}/`;
  expect(decoded).toEqual({
    transforms: [
      `${GW}.girder.GirderFileIdToVolume`,
      `${GW}.girder.GirderFileIdToVolume`,
      `${GW}.girder.GirderItemIdToVolume`,
      `${GW}.girder.GirderFileIdToStream`,
    ],
    hooks: [
      `${GW}.girder.GirderUploadVolumePathToItem`,
      `${GW}.girder.GirderUploadVolumePathToFolder`,
      `${GW}.girder.GirderUploadVolumePathJobArtifact`,
    ],
    gc: 'girder_client.GirderClient',
    stand_in: 'client-gc.test.ts',
    urlBase,
    token,
    // One GirderClient in the body, as Girder sends it; each hook has its own (flattened alone).
    shared: [true, true, true, true],
    hook_gcs: Array.from({ length: 3 }, () => [
      'girder_client.GirderClient',
      'client-gc.test.ts',
      urlBase,
      token,
    ]),
  });
}

describe('a longshore client with Girder configured → what a Python Girder Worker decodes', () => {
  it('a token: every transform and hook has a girder_client.GirderClient with the urlBase and token', async () => {
    configureClient();
    const { item, files } = girder.item('gc-token', { 'in.txt': 'x' });
    const message = await published(girderCall(files[0]!._id, item._id));
    expectGirderGc(pythonDecode(message), girder.token);
    // Girder's headers too, and the token in no repr (those are logged and shown by monitors).
    expect(message.headers).toMatchObject({
      girder_api_url: girder.server.apiUrl,
      girder_client_token: girder.token,
    });
    expect(`${String(message.headers.argsrepr)} ${String(message.headers.kwargsrepr)}`).not.toContain(
      girder.token,
    );
  });

  it('an API key: the token it is exchanged for (once), in gc and girder_client_token', async () => {
    const apiKey = girder.server.createApiKey(girder.user._id);
    configure({ broker: BROKER, girder: { apiUrl: girder.server.apiUrl, apiKey, retryDelayMs: 20 } });
    const { item, files } = girder.item('gc-key', { 'in.txt': 'x' });
    girder.server.clearRequests();
    // Nothing needs Girder: no exchange before sending, no token in the message.
    const plain = await published({ pullImage: false, containerArgs: ['--out', new VolumePath('o')] });
    expect(girder.server.requests).toEqual([]);
    expect(plain.headers).not.toHaveProperty('girder_client_token');
    expect(plain.headers).not.toHaveProperty('girder_api_url');
    const first = await published(girderCall(files[0]!._id, item._id));
    const second = await published(girderCall(files[0]!._id, item._id));
    const token = first.headers.girder_client_token as string;
    expect(token).toMatch(/\w{20,}/);
    expect(token).not.toBe(apiKey);
    expectGirderGc(pythonDecode(first), token);
    expectGirderGc(pythonDecode(second), token);
    expect(girder.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api_key/token']);
  });
});

describe('the same message on a longshore worker', () => {
  it('runs with the gc and headers alone: the worker has no Girder of its own', async () => {
    const queue = broker.queue('gc-worker');
    const hostname = broker.hostname('gc-worker');
    const worker = spawnWorker(['--queues', queue, '--concurrency', '1', '--hostname', hostname], {
      LONGSHORE_TMP_ROOT: leaks.tempRoot,
    });
    await worker.waitFor(/Connected to/);
    configureClient();
    const content = Buffer.from('streamed lines\n'.repeat(10_000));
    const { item: input, files } = girder.item('gc-run-in', { 'values.txt': content });
    const { item: output } = girder.item('gc-run-out');
    const result = await dockerRun
      .applyAsync(
        [BUSYBOX],
        {
          pullImage: false,
          entrypoint: [
            'sh',
            '-c',
            'sha256sum < "$2" | cut -d" " -f1 > "$3"; cat "$1" "$4"/values.txt >> "$3"',
            'sh',
          ],
          containerArgs: [
            new GirderFileIdToVolume(files[0]!._id),
            new Connect(new GirderFileIdToStream(files[0]!._id), new NamedInputPipe('in')),
            new VolumePath('answer.txt'),
            new GirderItemIdToVolume(input._id),
          ],
          girderResultHooks: [new GirderUploadVolumePathToItem(new VolumePath('answer.txt'), output._id)],
        },
        { queue },
      )
      .get({ timeout: 90_000 });
    expect(result).toMatchObject({ exitCode: 0, hookResults: [output._id] });
    const [uploaded] = girder.server.listFiles(output._id);
    const sha = createHash('sha256').update(content).digest('hex');
    expect((await girder.server.fileContents(uploaded!._id)).toString()).toBe(
      `${sha}\n${content.toString()}${content.toString()}`,
    );
    expect(worker.output).not.toContain(girder.token);
  });
});
