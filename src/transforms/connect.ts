import { Readable, Writable } from 'node:stream';
import { ValidationError } from '../core/errors.js';
import type { TaskContext } from '../execution/task-context.js';
import { HostStdErr, HostStdOut } from './host-stdio.js';
import { NamedInputPipe } from './named-input-pipe.js';
import { NamedOutputPipe } from './named-output-pipe.js';
import type { NamedPipe, ResolvedFifo } from './named-pipe.js';
import { Transform } from './transform.js';
import {
  isStreamSink,
  isStreamSource,
  type StreamIO,
  type StreamSink,
  type StreamSource,
} from '../execution/endpoints.js';

/** What a `Connect` reads: a pipe the container writes, a Node Readable, or any stream source. */
export type ConnectInput = NamedOutputPipe | Readable | StreamSource;
/** What a `Connect` writes: a pipe the container reads, a Node Writable, or any stream sink. */
export type ConnectOutput = NamedInputPipe | Writable | StreamSink;

/** Node streams already handed to a task: each can be consumed only once. */
const claimedStreams = new WeakSet<Readable | Writable>();
/** Pipe endpoints of a task already connected: a FIFO has one reader and one writer on the host. */
const connectedFifos = new WeakSet<ResolvedFifo>();

/** A caller's Readable as a stream source. */
class NodeReadableSource implements StreamSource {
  opened = false;
  constructor(readonly stream: Readable) {}

  openSource(_io: StreamIO): Promise<Readable | null> {
    this.opened = true;
    return Promise.resolve(this.stream);
  }

  describe(): string {
    return `a ${this.stream.constructor.name}`;
  }
}

/** A caller's Writable as a stream sink. */
class NodeWritableSink implements StreamSink {
  opened = false;
  constructor(readonly stream: Writable) {}

  openSink(_io: StreamIO): Promise<Writable | null> {
    this.opened = true;
    return Promise.resolve(this.stream);
  }

  describe(): string {
    return `a ${this.stream.constructor.name}`;
  }
}

interface EndpointSide<E> {
  kind: 'endpoint';
  endpoint: E;
}
type Side<P, S, E> = { kind: 'pipe'; pipe: P } | { kind: 'node'; stream: S } | EndpointSide<E>;
type InputSide = Side<NamedOutputPipe, Readable, StreamSource>;
type OutputSide = Side<NamedInputPipe, Writable, StreamSink>;

/**
 * Streams data between the host and the container while it runs. One side is usually a named
 * pipe: `Connect(source, new NamedInputPipe(name))` feeds the container, `Connect(new
 * NamedOutputPipe(name), sink)` drains it. As an argument it becomes the pipe's container path
 * (the output pipe's when the output is a `NamedInputPipe`, else the input pipe's), or '' when
 * neither side is a pipe (for example `Connect(new ContainerStdOut(), new HostFile(path))`).
 *
 * A Node stream given here can feed only one task; if the task ends before the connection opens,
 * the stream is destroyed.
 */
export class Connect extends Transform {
  readonly input: ConnectInput;
  readonly output: ConnectOutput;
  readonly #input: InputSide;
  readonly #output: OutputSide;

  constructor(input: ConnectInput, output: ConnectOutput) {
    super();
    this.#input = classifyInput(input);
    this.#output = classifyOutput(output);
    this.input = input;
    this.output = output;
  }

  override resolve(ctx: TaskContext): Promise<string> {
    return ctx.once(this, async () => {
      const input = this.#input;
      const output = this.#output;
      // Node streams first: once claimed, the context's cleanup releases them whatever happens next.
      const nodeSource = input.kind === 'node' ? wrapReadable(ctx, input.stream) : undefined;
      const nodeSink = output.kind === 'node' ? wrapWritable(ctx, output.stream) : undefined;
      const inputFifo = input.kind === 'pipe' ? await connectFifo(ctx, input.pipe, 'input') : undefined;
      const outputFifo = output.kind === 'pipe' ? await connectFifo(ctx, output.pipe, 'output') : undefined;
      const source =
        nodeSource ?? inputFifo ?? (await bound((input as EndpointSide<StreamSource>).endpoint, ctx));
      const sink =
        nodeSink ?? outputFifo ?? (await bound((output as EndpointSide<StreamSink>).endpoint, ctx));
      ctx.connect(source, sink);
      return outputFifo?.containerPath ?? inputFifo?.containerPath ?? '';
    });
  }
  override toString(): string {
    return `Connect(${describeSide(this.input)} -> ${describeSide(this.output)})`;
  }
}

async function bound<E extends StreamSource | StreamSink>(endpoint: E, ctx: TaskContext): Promise<E> {
  return endpoint.bind ? ((await endpoint.bind(ctx)) as E) : endpoint;
}

function classifyInput(input: unknown): InputSide {
  if (input instanceof NamedOutputPipe) return { kind: 'pipe', pipe: input };
  if (input instanceof NamedInputPipe) {
    throw new ValidationError(
      'input',
      input,
      'a source: a NamedInputPipe is read by the container, so it can only be an output',
    );
  }
  if (isStreamSource(input)) return { kind: 'endpoint', endpoint: input };
  if (input instanceof Readable) return { kind: 'node', stream: input };
  throw new ValidationError(
    'input',
    input,
    'a NamedOutputPipe, a Node Readable, a HostFile, ContainerStdOut/ContainerStdErr or another stream source',
  );
}

function classifyOutput(output: unknown): OutputSide {
  if (output instanceof NamedInputPipe) return { kind: 'pipe', pipe: output };
  if (output instanceof NamedOutputPipe) {
    throw new ValidationError(
      'output',
      output,
      'a sink: a NamedOutputPipe is written by the container, so it can only be an input',
    );
  }
  if (isStreamSink(output)) return { kind: 'endpoint', endpoint: output };
  // This process's own stdio must never be ended or destroyed.
  if (output === process.stdout) return { kind: 'endpoint', endpoint: new HostStdOut() };
  if (output === process.stderr) return { kind: 'endpoint', endpoint: new HostStdErr() };
  if (output instanceof Writable) return { kind: 'node', stream: output };
  throw new ValidationError(
    'output',
    output,
    'a NamedInputPipe, a Node Writable, HostStdOut/HostStdErr, a HostFile, a ChunkedTransferEncodingStream or another stream sink',
  );
}

function claimNodeStream(stream: Readable | Writable, field: 'input' | 'output'): void {
  if (claimedStreams.has(stream) || stream.destroyed) {
    throw new ValidationError(field, stream, 'a Node stream not yet used: a stream can feed only one task');
  }
  claimedStreams.add(stream);
}

async function connectFifo<E extends ResolvedFifo>(
  ctx: TaskContext,
  pipe: NamedPipe<E>,
  field: 'input' | 'output',
): Promise<E> {
  const endpoint = await pipe.endpoint(ctx);
  if (connectedFifos.has(endpoint)) {
    throw new ValidationError(field, pipe, 'a pipe connected once per task: this one is already connected');
  }
  connectedFifos.add(endpoint);
  return endpoint;
}

function wrapReadable(ctx: TaskContext, stream: Readable): NodeReadableSource {
  claimNodeStream(stream, 'input');
  const source = new NodeReadableSource(stream);
  ctx.cleanup.defer(`release ${source.describe()} never connected`, () => {
    if (!source.opened && !stream.destroyed) stream.destroy();
  });
  return source;
}

function wrapWritable(ctx: TaskContext, stream: Writable): NodeWritableSink {
  claimNodeStream(stream, 'output');
  const sink = new NodeWritableSink(stream);
  ctx.cleanup.defer(`release ${sink.describe()} never connected`, () => {
    if (!sink.opened && !stream.destroyed) stream.destroy();
  });
  return sink;
}

function describeSide(side: unknown): string {
  if (isStreamSource(side) || isStreamSink(side)) return side.describe();
  if (side instanceof Readable || side instanceof Writable) return `a ${side.constructor.name}`;
  return String(side);
}
