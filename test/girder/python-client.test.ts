// Girder Worker's own client layout, sent by real Python Celery and jsonpickle, run by a longshore
// worker against the Girder test server: Girder transforms arrive with their `gc` (or with none,
// and the girder_api_url / girder_client_token headers stand in), result hooks in the
// girder_result_hooks header, and the job of the jobInfoSpec header follows the task.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_TASK_NAME, JobStatus } from '../../src/index.js';
import { BUSYBOX } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { useBroker } from '../celery/helpers/broker.js';
import { celeryApp, usePython } from '../celery/helpers/python.js';
import { useGirder } from './helpers/girder.js';

useLeakChecks({ fds: false });
const broker = useBroker();
const python = usePython();
const girder = useGirder();

const SCRIPT = `
  echo '{"message": "reading", "current": 1, "total": 2}' > "$4"
  sha256sum < "$2" | cut -d" " -f1 > "$3"
  cat "$1" >> "$3"
  echo '{"message": "done", "current": 2, "total": 2}' > "$4"
  echo "wrote $3"
`;

/** A Python script sending docker_run as Girder does: girder_io serializer, flattened hooks, Girder headers. */
function pythonSender(options: {
  queue: string;
  fileId: string;
  itemId: string;
  jobInfoSpec: unknown;
  withGc: boolean;
}): string {
  const api = girder.server.apiUrl;
  return `${celeryApp()}
import jsonpickle
from jsonpickle.pickler import Pickler
from kombu.serialization import register
register('girder_io', jsonpickle.encode, jsonpickle.decode, content_type='application/json', content_encoding='utf-8')
from girder_client import GirderClient
from girder_worker.docker.transforms import Connect, NamedInputPipe, VolumePath
from girder_worker.docker.transforms.girder import (
    GirderFileIdToStream, GirderFileIdToVolume, GirderUploadVolumePathToItem, ProgressPipe)
gc = GirderClient(apiUrl=${JSON.stringify(api)}, token=${JSON.stringify(girder.token)}) if ${options.withGc ? 'True' : 'False'} else None
out = VolumePath('answer.txt')
kwargs = {
    'pull_image': False,
    'entrypoint': ['sh', '-c', ${JSON.stringify(SCRIPT)}, 'sh'],
    'container_args': [
        GirderFileIdToVolume(${JSON.stringify(options.fileId)}, gc=gc),
        Connect(GirderFileIdToStream(${JSON.stringify(options.fileId)}, gc=gc), NamedInputPipe('in')),
        out,
        ProgressPipe(),
    ],
}
hooks = [GirderUploadVolumePathToItem(VolumePath('answer.txt'), ${JSON.stringify(options.itemId)}, gc=gc)]
headers = {
    'girder_result_hooks': [Pickler().flatten(h) for h in hooks],
    'jobInfoSpec': json.loads(${JSON.stringify(JSON.stringify(options.jobInfoSpec))}),
    'girder_api_url': ${JSON.stringify(api)},
    'girder_client_token': ${JSON.stringify(girder.token)},
}
r = app.send_task(${JSON.stringify(DOCKER_RUN_TASK_NAME)}, args=[${JSON.stringify(BUSYBOX)}], kwargs=kwargs,
                  queue=${JSON.stringify(options.queue)}, serializer='girder_io', headers=headers)
print(json.dumps({'result': r.get(timeout=90)}))
`;
}

describe('a Python Girder Worker client → a longshore worker, with Girder', () => {
  it.each([
    ['with the gc Girder serialized into each transform', true],
    ['with gc None: the girder_api_url and girder_client_token headers stand in', false],
  ])('%s', async (_label, withGc) => {
    const queue = broker.queue(withGc ? 'py-girder-gc' : 'py-girder-headers');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    const { item: input } = girder.item(`input-${String(withGc)}`);
    const content = Buffer.from('measured values\n'.repeat(50_000));
    const file = girder.server.createFile(input._id, 'values.txt', content);
    const { item: output } = girder.item(`output-${String(withGc)}`);
    const { job, jobInfoSpec } = girder.server.createJob({
      title: 'from Python',
      handler: 'celery_handler',
      userId: girder.user._id,
    });

    const out = await python.run<{ result: unknown }>(
      pythonSender({ queue, fileId: file._id, itemId: output._id, jobInfoSpec, withGc }),
      { stubs: true, timeoutMs: 120_000 },
    );

    expect(out.result).toEqual({ exitCode: 0, hookResults: [output._id] });
    const uploaded = girder.server.listFiles(output._id);
    expect(uploaded.map((f) => f.name)).toEqual(['answer.txt']);
    const answer = (await girder.server.fileContents(uploaded[0]!._id)).toString();
    const sha = createHash('sha256').update(content).digest('hex');
    expect(answer).toBe(`${sha}\n${content.toString()}`);

    const history = girder.server.jobStatusHistory(job._id);
    expect(history.at(-1)).toBe(JobStatus.SUCCESS);
    expect(history).toEqual(
      expect.arrayContaining([JobStatus.RUNNING, JobStatus.FETCHING_INPUT, JobStatus.PUSHING_OUTPUT]),
    );
    const doc = girder.server.getDoc('job', job._id)!;
    const log = (doc.log as string[]).join('');
    expect(log).toContain('wrote /mnt/girder_worker/');
    expect(log).not.toContain(girder.token);
    expect(doc.progress).toMatchObject({ current: 2, total: 2, message: 'done' });
  });
});
