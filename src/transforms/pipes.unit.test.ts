import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { runConnection } from '../execution/connection.js';
import { LocalTaskContext } from '../execution/local-task-context.js';
import { EventReporter, type Progress } from '../execution/reporter.js';
import {
  ContainerStdOut,
  Connect,
  HostFile,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
  ResolvedInputFifo,
  ResolvedOutputFifo,
  TemporaryVolume,
  resolveArgs,
  type StreamIO,
} from './index.js';

/** Task contexts, each with its own temporary root, disposed (roots removed) after each test. */
function useTaskContexts() {
  const contexts: LocalTaskContext[] = [];
  const roots: string[] = [];
  const root = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'longshore-transforms-test-'));
    roots.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const ctx of contexts.splice(0)) await ctx.dispose();
    for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    root,
    async make(reporter?: EventReporter) {
      const ctx = new LocalTaskContext({ tempRoot: await root(), ...(reporter ? { reporter } : {}) });
      contexts.push(ctx);
      return ctx;
    },
  };
}

function streamIO(reporter = new EventReporter()): StreamIO & { exited: AbortController } {
  const exited = new AbortController();
  return {
    exited,
    signal: new AbortController().signal,
    containerExited: exited.signal,
    reporter,
    containerOutput: () => Readable.from([]),
  };
}

async function isFifo(hostPath: string): Promise<boolean> {
  return (await stat(hostPath)).isFIFO();
}

describe('named pipes', () => {
  const contexts = useTaskContexts();

  it('make a FIFO on the default volume, once per task, removed at the end of the task', async () => {
    const ctx = await contexts.make();
    const input = new NamedInputPipe('to_container');
    const output = new NamedOutputPipe('from_container');
    const [a, b, c] = (await resolveArgs([input, output, input], ctx)) as string[];
    const mount = await ctx.defaultVolume();
    expect(a).toBe(`${mount.containerPath}/to_container`);
    expect(b).toBe(`${mount.containerPath}/from_container`);
    expect(c).toBe(a);

    const inputEnd = await input.endpoint(ctx);
    expect(inputEnd).toBeInstanceOf(ResolvedInputFifo);
    expect(inputEnd.hostPath).toBe(path.join(mount.hostPath, 'to_container'));
    expect(await isFifo(inputEnd.hostPath)).toBe(true);
    const outputEnd = await output.endpoint(ctx);
    expect(outputEnd).toBeInstanceOf(ResolvedOutputFifo);
    expect(await isFifo(outputEnd.hostPath)).toBe(true);
    // A bare pipe connects nothing.
    expect(ctx.connectionList()).toEqual([]);

    expect(await ctx.dispose()).toEqual([]);
    await expect(stat(inputEnd.hostPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(outputEnd.hostPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('the same pipe object in another task is another FIFO', async () => {
    const a = await contexts.make();
    const b = await contexts.make();
    const pipe = new NamedOutputPipe('p');
    const inA = await pipe.endpoint(a);
    const inB = await pipe.endpoint(b);
    expect(inB.hostPath).not.toBe(inA.hostPath);
    expect(await isFifo(inB.hostPath)).toBe(true);
  });

  it('with explicit directories, the pipe is <dir>/<name> and nothing is mounted', async () => {
    const ctx = await contexts.make();
    const hostDir = await contexts.root();
    const pipe = new NamedInputPipe('feed', '/mnt/pipes', hostDir);
    expect(await pipe.resolve(ctx)).toBe('/mnt/pipes/feed');
    expect((await pipe.endpoint(ctx)).hostPath).toBe(path.join(hostDir, 'feed'));
    expect(await isFifo(path.join(hostDir, 'feed'))).toBe(true);
    expect(ctx.mountList()).toEqual([]);
  });

  it('on a given volume, the pipe lives there', async () => {
    const ctx = await contexts.make();
    const volume = new TemporaryVolume();
    const pipe = new NamedOutputPipe('out', undefined, undefined, volume);
    const mount = await volume.mount(ctx);
    expect(await pipe.resolve(ctx)).toBe(`${mount.containerPath}/out`);
    expect(ctx.mountList()).toEqual([mount]);
  });
});

describe('Connect', () => {
  const contexts = useTaskContexts();

  it('returns the input pipe path for a container-read pipe and registers one connection per task', async () => {
    const ctx = await contexts.make();
    const data = Readable.from(['hello']);
    const pipe = new NamedInputPipe('in');
    const connect = new Connect(data, pipe);
    const [first, second, bare] = (await resolveArgs([connect, { again: connect }, pipe], ctx)) as [
      string,
      { again: string },
      string,
    ];
    const mount = await ctx.defaultVolume();
    expect(first).toBe(`${mount.containerPath}/in`);
    expect(second.again).toBe(first);
    expect(bare).toBe(first);
    expect(await connect.resolve(ctx)).toBe(first);

    const connections = ctx.connectionList();
    expect(connections).toHaveLength(1);
    const { source, sink } = connections[0]!;
    expect(sink).toBe(await pipe.endpoint(ctx));
    expect(source.describe()).toContain('Readable');
  });

  it('returns the output pipe path when both sides are pipes, and the input pipe path otherwise', async () => {
    const ctx = await contexts.make();
    const from = new NamedOutputPipe('from');
    const to = new NamedInputPipe('to');
    const mount = await ctx.defaultVolume();
    expect(await new Connect(from, to).resolve(ctx)).toBe(`${mount.containerPath}/to`);
    const other = new NamedOutputPipe('other');
    const file = new HostFile(path.join(mount.hostPath, 'copy.bin'));
    expect(await new Connect(other, file).resolve(ctx)).toBe(`${mount.containerPath}/other`);
    const connections = ctx.connectionList();
    expect(connections).toHaveLength(2);
    expect(connections[0]).toEqual({ source: await from.endpoint(ctx), sink: await to.endpoint(ctx) });
    expect(connections[1]).toEqual({ source: await other.endpoint(ctx), sink: file });
  });

  it("returns '' when no side is a pipe", async () => {
    const ctx = await contexts.make();
    const source = new ContainerStdOut();
    const sink = new HostFile('/tmp/never-written');
    expect(await new Connect(source, sink).resolve(ctx)).toBe('');
    expect(ctx.connectionList()).toEqual([{ source, sink }]);
  });

  it('refuses to connect one pipe twice in a task', async () => {
    const ctx = await contexts.make();
    const pipe = new NamedOutputPipe('once');
    await new Connect(pipe, new HostFile('/tmp/a')).resolve(ctx);
    const error = await new Connect(pipe, new HostFile('/tmp/b')).resolve(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'input', value: pipe });
  });

  it('destroys a Node stream that never got connected, and refuses it to a second task', async () => {
    const a = await contexts.make();
    const b = await contexts.make();
    const data = new PassThrough();
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const connect = new Connect(data, new NamedInputPipe('in'));
    const drain = new Connect(new NamedOutputPipe('out'), sink);
    await connect.resolve(a);
    await drain.resolve(a);
    const error = await connect.resolve(b).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'input', value: data });
    expect(data.destroyed).toBe(false);
    await a.dispose();
    expect(data.destroyed).toBe(true);
    expect(sink.destroyed).toBe(true);
  });

  it('streams a Readable into the pipe the container reads', async () => {
    const ctx = await contexts.make();
    const pipe = new NamedInputPipe('in');
    await new Connect(Readable.from([Buffer.from('hello '), Buffer.from('container')]), pipe).resolve(ctx);
    const { source, sink } = ctx.connectionList()[0]!;
    const io = streamIO();
    const copying = runConnection(source, sink, io);
    // The "container": reads the FIFO to its end.
    const received = await readFile((await pipe.endpoint(ctx)).hostPath, 'utf8');
    await copying;
    expect(received).toBe('hello container');
    // Opened, so left to the connection: dispose does not fail on it.
    expect(await ctx.dispose()).toEqual([]);
  });
});

describe('ProgressPipe', () => {
  const contexts = useTaskContexts();

  it('resolves to a FIFO named .girder_progress whose JSON lines reach the reporter', async () => {
    const reporter = new EventReporter();
    const progress: Progress[] = [];
    const warnings: string[] = [];
    reporter.on('progress', (p) => progress.push(p));
    reporter.on('warning', (w) => warnings.push(w));
    const ctx = await contexts.make(reporter);
    const pipe = new ProgressPipe();
    const [containerPath, again] = (await resolveArgs([pipe, pipe], ctx)) as [string, string];
    const mount = await ctx.defaultVolume();
    expect(containerPath).toBe(`${mount.containerPath}/.girder_progress`);
    expect(again).toBe(containerPath);
    const hostPath = path.join(mount.hostPath, '.girder_progress');
    expect(await isFifo(hostPath)).toBe(true);
    expect(ctx.connectionList()).toHaveLength(1);

    const { source, sink } = ctx.connectionList()[0]!;
    expect(sink.describe()).toBe('task progress');
    const io = streamIO(reporter);
    const copying = runConnection(source, sink, io);
    // The "container": writes two progress lines, then exits.
    await writeFile(
      hostPath,
      '{"current": 1, "total": 2, "message": "half"}\nnot json\n{"current": 2, "total": 2}\n',
    );
    io.exited.abort();
    await copying;
    expect(progress).toEqual([
      { current: 1, total: 2, message: 'half' },
      { current: 2, total: 2 },
    ]);
    expect(warnings).toHaveLength(1);
  });

  it('can use another name and volume', async () => {
    const ctx = await contexts.make();
    const volume = new TemporaryVolume();
    const pipe = new ProgressPipe('progress', volume);
    const mount = await volume.mount(ctx);
    expect(await pipe.resolve(ctx)).toBe(`${mount.containerPath}/progress`);
  });
});
