/**
 * ChunkedTransferEncodingStream: the container's output is POSTed to a URL as it is written, with
 * chunked transfer encoding. A local server stands in for the receiving service.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChunkedTransferEncodingStream, Connect, NamedOutputPipe, dockerRun } from '../src/index.js';

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    console.log(`server received ${bytes} bytes (${req.headers['transfer-encoding']})`);
    res.end('ok');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
  const run = dockerRun.delay('longshore/conformance', {
    containerArgs: [
      'write-pipe',
      '-p',
      new Connect(new NamedOutputPipe('out'), new ChunkedTransferEncodingStream(url)),
      '-n',
      '8',
    ],
  });
  await run.get();
} finally {
  server.close();
}
