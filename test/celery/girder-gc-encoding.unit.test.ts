// What a longshore client with Girder configured sends a Python Girder Worker: each Girder
// transform's `gc` as Girder itself serializes it (fixtures/docker_run_girder.json), since a
// Python worker reads only that; and the refusal of the longshore-only transforms at delay().
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll } from '../../src/app/send-task.js';
import { configure, resetConfiguration } from '../../src/config/configuration.js';
import { ProtocolError } from '../../src/core/protocol-error.js';
import { redact } from '../../src/core/secrets.js';
import { dockerRun } from '../../src/docker-run/docker-run-task.js';
import { clientGirderConnection } from '../../src/girder/client-girder.js';
import { createGirderConnection, isGirderConnection } from '../../src/girder/girder-connection.js';
import {
  Connect,
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderUploadJobArtifact,
  GirderUploadStream,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  NamedInputPipe,
  NamedOutputPipe,
  VolumePath,
} from '../../src/index.js';
import { readFixture } from './jsonpickle-python-helper.js';
import { NO_EMBED } from './helpers/task-headers.js';

interface Capture {
  headers: Record<string, unknown>;
  body: { 'py/tuple': [unknown, { container_args: Record<string, unknown>[] }, unknown] };
}

const capture = readFixture('docker_run_girder.json') as Capture;
const API = 'http://127.0.0.1:8080/api/v1';
const TOKEN = 'GIRDER_TOKEN_EXAMPLE';
const id = (n: number): string => `5f${String(n).padStart(22, '0')}`;

/** The captured call, made with longshore's transforms. */
function capturedCall() {
  return {
    pullImage: true,
    containerArgs: [
      '--file',
      new GirderFileIdToVolume(id(1)),
      '--folder',
      new GirderFolderIdToVolume(id(3)),
      '--item',
      new GirderItemIdToVolume(id(4)),
      '--stream',
      new Connect(new GirderFileIdToStream(id(5)), new NamedInputPipe('big_input')),
    ],
    girderResultHooks: [
      new GirderUploadVolumePathToItem(new VolumePath('result.txt'), `5f${'0'.repeat(20)}aa`),
      new GirderUploadVolumePathToFolder(new VolumePath('outdir'), `5f${'0'.repeat(20)}bb`),
      new GirderUploadVolumePathJobArtifact(new VolumePath('artifacts'), { uploadOnException: true }),
    ],
  };
}

/** longshore sends the body as a list (Python reads it as the tuple), kwargs second. */
function containerArgs(call: ReturnType<typeof dockerRun.toWire>): Record<string, unknown>[] {
  const body = JSON.parse(call.encodeBody!([call.args, call.kwargs, NO_EMBED])) as [
    unknown,
    { container_args: Record<string, unknown>[] },
  ];
  return body[1].container_args;
}

afterEach(async () => {
  resetConfiguration();
  await closeAll();
});

describe("the client's Girder as each transform's gc", () => {
  it("writes the gc and the hooks Girder writes, the client's Girder in the headers too", () => {
    const gc = createGirderConnection(API, TOKEN);
    const call = dockerRun.toWire(['example/image:latest'], capturedCall(), { girder: gc });
    // Each hook is flattened on its own, as Girder Worker's before_task_publish does.
    expect(call.headers).toEqual({
      girder_api_url: API,
      girder_client_token: TOKEN,
      girder_result_hooks: capture.headers.girder_result_hooks,
    });
    const args = containerArgs(call);
    const captured = capture.body['py/tuple'][1].container_args;
    // The first transform carries the GirderClient; the others refer to that one object (the
    // number differs from the capture's: the outer list counts, a tuple does not).
    expect(args[1]).toEqual(captured[1]);
    expect(captured[1]?.gc).toMatchObject({ urlBase: `${API}/`, token: TOKEN });
    const first = { 'py/id': 5 };
    expect([args[3]?.gc, args[5]?.gc, (args[7]?._input as Record<string, unknown>).gc]).toEqual([
      first,
      first,
      first,
    ]);
  });

  it("keeps a transform's own connection, and sends None without a Girder (no girder headers)", () => {
    const own = createGirderConnection('http://other.example:8080/api/v1/', 'OTHER_TOKEN_1');
    const gc = createGirderConnection(API, TOKEN);
    const call = dockerRun.toWire(
      ['img'],
      { containerArgs: [new GirderFileIdToVolume(id(1), { gc: own }), new GirderFileIdToStream(id(2))] },
      { girder: gc },
    );
    const args = containerArgs(call);
    expect(args[0]?.gc).toMatchObject({
      urlBase: 'http://other.example:8080/api/v1/',
      token: 'OTHER_TOKEN_1',
    });
    expect(args[1]?.gc).toMatchObject({ urlBase: `${API}/`, token: TOKEN });

    const plain = dockerRun.toWire(['img'], capturedCall());
    expect(plain.headers).not.toHaveProperty('girder_api_url');
    expect(plain.headers).not.toHaveProperty('girder_client_token');
    const hooks = plain.headers?.girder_result_hooks as Record<string, unknown>[];
    expect(hooks.map((hook) => hook.gc)).toEqual([null, null, null]);
    expect(JSON.stringify(plain.kwargs)).not.toContain(TOKEN);
  });

  it('a configured token: one connection at once, its token a secret', () => {
    const girder = { apiUrl: `${API}/`, token: 'CONFIGURED_TOKEN_7' };
    const connection = clientGirderConnection(girder);
    expect(isGirderConnection(connection)).toBe(true);
    expect(connection).toBe(clientGirderConnection({ ...girder }));
    expect(connection).toMatchObject({ apiUrl: API, token: 'CONFIGURED_TOKEN_7' });
    expect(redact('token CONFIGURED_TOKEN_7')).toBe('token **');
    // No token nor key: an anonymous client, as girder_client's without one.
    expect(clientGirderConnection({ apiUrl: 'http://anon.example/api/v1' })).toMatchObject({ token: null });
  });

  it('an API key: the connection once the key is exchanged, once, its token a secret', async () => {
    let exchanges = 0;
    const server: Server = createServer((req, res) => {
      exchanges += 1;
      expect(`${req.method} ${req.url}`).toBe('POST /api/v1/api_key/token');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ authToken: { token: 'EXCHANGED_TOKEN_42' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const girder = { apiUrl: `http://127.0.0.1:${port}/api/v1`, apiKey: 'k'.repeat(40), retries: 0 };
      const pending = clientGirderConnection(girder);
      expect(pending).toBeInstanceOf(Promise);
      const connection = await pending;
      expect(connection).toMatchObject({ token: 'EXCHANGED_TOKEN_42' });
      expect(clientGirderConnection(girder)).toBe(connection);
      expect(exchanges).toBe(1);
      expect(redact('EXCHANGED_TOKEN_42')).toBe('**');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('longshore-only transforms', () => {
  it('are refused at delay(), by name, as only longshore runs them', () => {
    // Nothing connects: the message is built, and refused, before delay() returns.
    configure({ broker: 'amqp://guest:guest@127.0.0.1:1//', girder: { apiUrl: API, token: TOKEN } });
    const stream = new GirderUploadStream({ itemId: id(9), name: 'out.bin' });
    const sent = (): unknown =>
      dockerRun.delay('img', { containerArgs: [new Connect(new NamedOutputPipe('out'), stream)] });
    expect(sent).toThrow(ProtocolError);
    expect(sent).toThrow(
      /^GirderUploadStream\("out\.bin" -> item 5f0+9\) \(a GirderUploadStream\) at \$\[1\]\.container_args\[0\]\._output cannot be sent to another process: GirderUploadStream is longshore-only .*only longshore runs it/,
    );
    const artifact = (): unknown =>
      dockerRun.delay('img', { girderResultHooks: [new GirderUploadJobArtifact('/tmp/logs')] });
    expect(artifact).toThrow(/\(a GirderUploadJobArtifact\) at \$ cannot be sent .*longshore-only/);
  });
});
