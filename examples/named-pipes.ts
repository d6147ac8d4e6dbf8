/**
 * NamedInputPipe (the container reads) and NamedOutputPipe (the container writes), joined to Node
 * streams with Connect: data flows through FIFOs, with backpressure, and never touches the disk.
 */
import { Readable, Writable } from 'node:stream';
import { Connect, NamedInputPipe, NamedOutputPipe, dockerRun } from '../src/index.js';

const chunks: Buffer[] = [];
const collect = new Writable({
  write(chunk: Buffer, _encoding, done) {
    chunks.push(chunk);
    done();
  },
});

const run = dockerRun.delay('longshore/conformance', {
  containerArgs: [
    'read-write',
    '-i',
    new Connect(Readable.from(['streamed ', 'through ', 'two FIFOs\n']), new NamedInputPipe('in')),
    '-o',
    new Connect(new NamedOutputPipe('out'), collect),
  ],
});
await run.get();
console.log(`came back: ${Buffer.concat(chunks).toString().trim()}`);
