/**
 * A Girder round trip: a CSV file stored in Girder is downloaded into the container's volume and,
 * at the same time, streamed into it through a named pipe; the container sums a column, reports
 * progress, and writes its answer, which a result hook uploads to a Girder item. A Girder job
 * follows the task live (status, log, progress).
 *
 * Against your Girder: set LONGSHORE_GIRDER_API_URL and LONGSHORE_GIRDER_API_KEY (a key whose
 * scope includes jobs.rest.create_job), EXAMPLE_CSV_FILE_ID and EXAMPLE_OUTPUT_ITEM_ID. Without
 * them, the example starts the Girder test server that longshore's own tests use, on 127.0.0.1.
 */
import {
  Connect,
  GirderClient,
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderUploadVolumePathToItem,
  JobStatus,
  NamedInputPipe,
  ProgressPipe,
  VolumePath,
  configure,
  dockerRun,
  getConfiguration,
} from '../src/index.js';
import { startGirderTestServer, TokenScope } from '../test/girder/server/index.js';

const ROWS = 10_000;
const csv =
  ['id,value', ...Array.from({ length: ROWS }, (_, i) => `${i + 1},${(i + 1) % 7}`)].join('\n') + '\n';
const expectedSum = Array.from({ length: ROWS }, (_, i) => (i + 1) % 7).reduce((a, b) => a + b, 0);

let fileId = process.env.EXAMPLE_CSV_FILE_ID;
let itemId = process.env.EXAMPLE_OUTPUT_ITEM_ID;
let closeServer = (): Promise<void> => Promise.resolve();
if (!getConfiguration().girder || !fileId || !itemId) {
  const server = await startGirderTestServer();
  closeServer = () => server.close();
  const { user } = server.createUser('example');
  const folder = server.createFolder(user._id, 'round-trip', { parentType: 'user' });
  const input = server.createItem(folder._id, 'measurements');
  fileId = server.createFile(input._id, 'measurements.csv', Buffer.from(csv))._id;
  itemId = server.createItem(folder._id, 'results')._id;
  // Creating a Girder job needs the jobs.rest.create_job scope, as in Girder itself.
  const token = server.createToken(user._id, { scope: [TokenScope.USER_AUTH, TokenScope.CREATE_JOB] });
  configure({ girder: { apiUrl: server.apiUrl, token } });
  console.log(`started the Girder test server at ${server.apiUrl}`);
}

try {
  const result = new VolumePath('sum.txt');
  const script = `
    progress="$1"; downloaded="$2"; streamed="$3"; output="$4"
    echo '{"message": "counting the streamed copy", "current": 0, "total": 2}' > "$progress"
    echo "streamed copy: $(wc -l < "$streamed") lines"
    echo '{"message": "summing", "current": 1, "total": 2}' > "$progress"
    awk -F, 'NR > 1 { s += $2 } END { print s }' "$downloaded" > "$output"
    echo '{"message": "done", "current": 2, "total": 2}' > "$progress"
  `;
  const run = dockerRun.delay('longshore/busybox', {
    entrypoint: ['sh', '-c', script, 'round-trip'],
    containerArgs: [
      new ProgressPipe(),
      new GirderFileIdToVolume(fileId),
      new Connect(new GirderFileIdToStream(fileId), new NamedInputPipe('streamed.csv')),
      result,
    ],
    girderResultHooks: [new GirderUploadVolumePathToItem(result, itemId)],
    girderJobTitle: 'Sum a CSV from Girder',
  });
  run.on('phase', (phase) => console.log(`phase: ${phase}`));
  run.on('progress', (p) => console.log(`progress: ${p.current}/${p.total} ${p.message ?? ''}`));
  run.on('log', (chunk) => process.stdout.write(`container: ${chunk.text}`));

  const job = await run.job;
  console.log(`Girder job ${job?._id ?? '(none)'} follows the task`);
  await run.get();

  const girder = getConfiguration().girder!;
  const client = new GirderClient(girder);
  const files = await client.get<{ _id: string; name: string }[]>(`item/${itemId}/files`);
  const uploaded = files.find((f) => f.name === 'sum.txt');
  if (!uploaded) throw new Error('sum.txt was not uploaded');
  const response = await client.request<string>('GET', `file/${uploaded._id}/download`);
  const sum = String(response.data).trim();
  const finalJob = job
    ? await client.get<{ status: number; progress?: { current?: number } }>(`job/${job._id}`)
    : undefined;
  console.log(`uploaded sum.txt holds ${sum} (expected ${expectedSum})`);
  console.log(`job status ${finalJob?.status} (SUCCESS is ${JobStatus.SUCCESS})`);
  if (sum !== String(expectedSum) || finalJob?.status !== JobStatus.SUCCESS) process.exitCode = 1;
} finally {
  await closeServer();
}
