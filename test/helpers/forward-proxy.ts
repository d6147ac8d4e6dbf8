// A forward proxy as sites run one: CONNECT tunnels for https, absolute-form requests for http.
// It records what went through it, and can refuse everything (403), as a proxy without a rule does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export interface ForwardProxy {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** `CONNECT host:port`, or `GET http://host:port/path` without the query. */
  readonly seen: string[];
  refuse: boolean;
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const proxy: { refuse: boolean } = { refuse: false };
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${(req.url ?? '').replace(/\?.*/, '')}`);
    if (proxy.refuse || !/^http:\/\//.test(req.url ?? '')) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden by the test proxy');
      return;
    }
    const target = new URL(req.url ?? '');
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url ?? ''}`);
    if (proxy.refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.once('error', () => client.destroy());
    client.once('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get refuse() {
      return proxy.refuse;
    },
    set refuse(value: boolean) {
      proxy.refuse = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
