// A certificate authority made for this test process, and a server certificate it signed for
// localhost and 127.0.0.1: HTTPS in tests is verified like any site's, never switched off.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TestCa {
  /** The CA's certificate (PEM) and its file, for `girder.ca` / NODE_EXTRA_CA_CERTS. */
  caPem: string;
  caFile: string;
  /** A server certificate for localhost and 127.0.0.1, and its key (PEM). */
  cert: string;
  key: string;
  /** A second CA nobody trusts, and a certificate it signed for localhost. */
  strangerCert: string;
  strangerKey: string;
  dir: string;
}

const run = promisify(execFile);
let made: Promise<TestCa> | undefined;

export function testCa(): Promise<TestCa> {
  made ??= makeCa();
  return made;
}

async function makeCa(): Promise<TestCa> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-ca-'));
  const at = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await fs.promises.writeFile(at('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const who of ['ca', 'stranger-ca']) {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=longshore test ${who}`,
      '-keyout',
      at(`${who}.key`),
      '-out',
      at(`${who}.pem`),
    );
  }
  for (const [who, ca] of [
    ['server', 'ca'],
    ['stranger', 'stranger-ca'],
  ] as const) {
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      at(`${who}.key`),
      '-out',
      at(`${who}.csr`),
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      at(`${who}.csr`),
      '-CA',
      at(`${ca}.pem`),
      '-CAkey',
      at(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      at('san.ext'),
      '-out',
      at(`${who}.pem`),
    );
  }
  const read = (name: string): string => fs.readFileSync(at(name), 'utf8');
  return {
    caPem: read('ca.pem'),
    caFile: at('ca.pem'),
    cert: read('server.pem'),
    key: read('server.key'),
    strangerCert: read('stranger.pem'),
    strangerKey: read('stranger.key'),
    dir,
  };
}
