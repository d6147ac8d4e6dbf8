// Interoperability with Debian's real python3-celery (and jsonpickle): Python clients sending to
// a longshore worker, a longshore client sending to a Python Celery worker, and a Girder Worker
// message encoded by real jsonpickle running on a longshore worker.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  DOCKER_RUN_TASK_NAME,
  RemoteTaskError,
  Task,
  VolumePath,
  configure,
  dockerRun,
} from '../../src/index.js';
import { CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, useScratchDir, worldWritable } from '../helpers/task.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { celeryApp, usePython } from './helpers/python.js';
import './helpers/test-tasks.js';

useLeakChecks({ fds: false });
const broker = useBroker();
const python = usePython();
const scratch = useScratchDir();

describe('a Python Celery client → a longshore worker', () => {
  it('gets docker_run results, ContainerExitError, custom task results and a revoke', async () => {
    const queue = broker.queue('py-client');
    await broker.startWorker({ queues: [queue], concurrency: 2, hostname: broker.hostname('w') });
    const out = await python.run<Record<string, unknown>>(`${celeryApp()}
from celery.exceptions import TaskRevokedError
Q = ${JSON.stringify(queue)}
out = {}
r = app.send_task(${JSON.stringify(DOCKER_RUN_TASK_NAME)}, args=[${JSON.stringify(CONFORMANCE)}],
                  kwargs={'pull_image': False, 'container_args': ['stdio', '-m', 'hi']}, queue=Q)
out['ok'] = r.get(timeout=60)
r = app.send_task(${JSON.stringify(DOCKER_RUN_TASK_NAME)}, args=[${JSON.stringify(CONFORMANCE)}],
                  kwargs={'pull_image': False, 'container_args': ['exit', '-c', '3']}, queue=Q)
try:
    r.get(timeout=60)
except Exception as e:
    out['failed'] = [type(e).__name__, str(e)]
# Every Celery option Python sends: its headers (ints, tuples, dates) must read right here.
r = app.send_task('lstest.sleep', args=[10], kwargs={'note': -1}, queue=Q, countdown=0.5, expires=60,
                  time_limit=30, soft_time_limit=20, priority=3, headers={'small': -1, 'medium': 300})
out['sleep'] = r.get(timeout=60)['kwargs']
r = app.send_task('lstest.sleep', args=[10], queue=Q, countdown=30)
app.control.revoke(r.id)
try:
    r.get(timeout=60)
except TaskRevokedError as e:
    out['revoked'] = type(e).__name__
print(json.dumps(out))
`);
    expect(out.ok).toEqual({ exitCode: 0, hookResults: [] });
    expect(out.failed).toEqual(['ContainerExitError', 'Non-zero exit code from docker container (3)']);
    expect(out.sleep).toEqual({ note: -1 });
    expect(out.revoked).toBe('TaskRevokedError');
  });

  it('runs a Girder Worker message encoded by real jsonpickle, with its transforms at the right paths', async () => {
    const queue = broker.queue('girder');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    const dir = await worldWritable(scratch);
    await writeFile(join(dir, 'in.txt'), 'through jsonpickle');
    // Girder Worker's serializer and (attribute-compatible) classes; the same BindMountVolume
    // object in container_args and volumes goes out once and comes back as a py/id reference.
    const out = await python.run<Record<string, unknown>>(
      `${celeryApp()}
import jsonpickle
from kombu.serialization import register
register('girder_io', jsonpickle.encode, jsonpickle.decode, content_type='application/json', content_encoding='utf-8')
from girder_worker.docker.transforms import BindMountVolume, TemporaryVolume, VolumePath
data = BindMountVolume(${JSON.stringify(dir)}, '/mnt/data', 'rw')
scratch = TemporaryVolume()
body = {'pull_image': False,
        'container_args': ['read-write', '-i', VolumePath('in.txt', data), '-o', VolumePath('out.txt', data)],
        'volumes': [data, scratch]}
encoded = jsonpickle.encode(((${JSON.stringify(CONFORMANCE)},), body, {}))
r = app.send_task(${JSON.stringify(DOCKER_RUN_TASK_NAME)}, args=[${JSON.stringify(CONFORMANCE)}], kwargs=body,
                  queue=${JSON.stringify(queue)}, serializer='girder_io')
print(json.dumps({'result': r.get(timeout=60), 'shared': '"py/id"' in encoded}))
`,
      { stubs: true },
    );
    expect(out).toEqual({ result: { exitCode: 0, hookResults: [] }, shared: true });
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('through jsonpickle');
  });
});

describe('a longshore client → a Python Celery worker', () => {
  it('gets results and failures (excType ValueError), and its int32 headers read right in Python', async () => {
    const queue = broker.queue('py-worker');
    await python.startWorker(
      `${celeryApp()}
@app.task(name='proj.add')
def add(a, b):
    return a + b

@app.task(name='proj.boom')
def boom(message):
    raise ValueError(message)

@app.task(name='proj.request', bind=True)
def request(self):
    return {'small': self.request.small, 'medium': self.request.medium, 'big': self.request.big,
            'retries': self.request.retries, 'timelimit': list(self.request.timelimit)}
`,
      queue,
      broker.hostname('py'),
    );
    configure({ broker: BROKER });
    const add = new Task<[number, number], number>('proj.add', () => Promise.resolve(0));
    await expect(
      add.applyAsync([2, 40], {}, { queue, countdown: 0.2, expires: 60 }).get({ timeout: 60_000 }),
    ).resolves.toBe(42);

    const boom = new Task<[string], never>('proj.boom', () => Promise.reject(new Error('not here')));
    const error = (await rejection(
      boom.applyAsync(['bad input'], {}, { queue }).get({ timeout: 60_000 }),
    )) as RemoteTaskError;
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({ excType: 'ValueError', excModule: 'builtins', excMessage: 'bad input' });
    expect(error.traceback).toMatch(/Traceback[\s\S]*ValueError: bad input/);

    // amqplib would tag -1 as int8 and 300 as int16, which py-amqp misreads.
    const request = new Task<[], unknown>('proj.request', () => Promise.resolve(0));
    const seen = await request
      .applyAsync(
        [],
        {},
        { queue, timeLimit: 300, softTimeLimit: 60, headers: { small: -1, medium: 300, big: 70_000 } },
      )
      .get({ timeout: 60_000 });
    expect(seen).toEqual({ small: -1, medium: 300, big: 70_000, retries: 0, timelimit: [300, 60] });
  });

  it("sends dockerRun in Girder Worker's layout: a Python worker with girder_io gets its classes and signature", async () => {
    const queue = broker.queue('py-girder');
    await python.startWorker(
      `${celeryApp()}
import jsonpickle
from kombu.serialization import register
register('girder_io', jsonpickle.encode, jsonpickle.decode, content_type='application/json', content_encoding='utf-8')
app.conf.accept_content = ['json', 'girder_io']

@app.task(name=${JSON.stringify(DOCKER_RUN_TASK_NAME)})
def docker_run(image, pull_image=True, entrypoint=None, container_args=None, volumes=None,
               remove_container=True, **kwargs):
    path = container_args[3]
    return {'image': image, 'pull_image': pull_image, 'remove_container': remove_container,
            'args': [a if isinstance(a, str) else type(a).__module__ + '.' + type(a).__name__ for a in container_args],
            'filename': path.filename, 'bind': [path._volume._host_path, path._volume._container_path, path._volume.mode],
            'same_volume': path._volume is volumes[0], 'default_volume': type(container_args[5]._volume).__name__,
            'kwargs': kwargs}
`,
      queue,
      broker.hostname('pygw'),
      { stubs: true },
    );
    configure({ broker: BROKER });
    const data = new BindMountVolume(scratch, '/mnt/data', 'ro');
    const seen = await dockerRun
      .applyAsync(
        [CONFORMANCE],
        {
          pullImage: false,
          removeContainer: false,
          containerArgs: [
            'read',
            '-p',
            '--',
            new VolumePath('in.txt', data),
            '-o',
            new VolumePath('out.txt'),
          ],
          volumes: [data],
          environment: { A: '1' },
          memory: '1g',
        },
        { queue },
      )
      .get({ timeout: 60_000 });
    expect(seen).toEqual({
      image: CONFORMANCE,
      pull_image: false,
      remove_container: false,
      args: [
        'read',
        '-p',
        '--',
        'girder_worker.docker.transforms.VolumePath',
        '-o',
        'girder_worker.docker.transforms.VolumePath',
      ],
      filename: 'in.txt',
      bind: [scratch, '/mnt/data', 'ro'],
      same_volume: true,
      default_volume: '_DefaultTemporaryVolume',
      kwargs: { environment: { A: '1' }, mem_limit: '1g' },
    });
  });
});
