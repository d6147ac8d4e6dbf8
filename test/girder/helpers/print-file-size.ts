// Run by a test in a process of its own (Node reads NODE_EXTRA_CA_CERTS at start): prints the size
// of a Girder file, asked with a client configured only by the environment.
import { GirderClient } from '../../../src/girder/girder-client.js';

const [apiUrl = '', token = '', fileId = ''] = process.argv.slice(2);
const client = new GirderClient({ apiUrl, token, retries: 0 });
const file = await client.get<{ size: number }>(`file/${fileId}`);
process.stdout.write(String(file.size));
