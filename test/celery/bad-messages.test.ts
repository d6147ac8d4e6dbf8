// Bad input on the wire: every unusable message ends as FAILURE with a clear error, is
// acknowledged (never redelivered forever), and the worker goes on serving.
import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_TASK_NAME, configure } from '../../src/index.js';
import { CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { add } from './helpers/test-tasks.js';
import { NO_EMBED, PY_DEFAULT_VOLUME, taskHeaders } from './helpers/task-headers.js';

useLeakChecks({ fds: false });
const broker = useBroker();

interface BadCase {
  name: string;
  body: string;
  task?: string;
  headers?: Record<string, unknown>;
  contentType?: string;
  excType: string;
  message: RegExp;
}

const CASES: BadCase[] = [
  { name: 'a body that is not JSON', body: '{"not json', excType: 'ValueError', message: /not valid JSON/ },
  {
    name: 'a body that is not a 3-element array',
    body: JSON.stringify([[1, 2], {}]),
    excType: 'ValueError',
    message: /not \[args \(a list\), kwargs \(a dict\), embed \(a dict\)\]/,
  },
  {
    name: 'a body whose kwargs are not a dict',
    body: JSON.stringify([[1, 2], [3], NO_EMBED]),
    excType: 'ValueError',
    message: /kwargs \(a dict\)/,
  },
  {
    name: 'a header of the wrong type',
    body: JSON.stringify([[1, 2], {}, NO_EMBED]),
    headers: { retries: 'many' },
    excType: 'ValueError',
    message: /headers\.retries/,
  },
  {
    name: 'a timelimit that is not [hard, soft]',
    body: JSON.stringify([[1, 2], {}, NO_EMBED]),
    headers: { timelimit: 'soon' },
    excType: 'ValueError',
    message: /headers\.timelimit/,
  },
  {
    name: 'a content type other than JSON',
    body: JSON.stringify([[1, 2], {}, NO_EMBED]),
    contentType: 'application/x-python-serialize',
    excType: 'ValueError',
    message: /application\/x-python-serialize is not accepted/,
  },
  {
    name: 'an unknown py/object class',
    task: DOCKER_RUN_TASK_NAME,
    body: JSON.stringify([
      [CONFORMANCE],
      { container_args: [{ 'py/object': 'evil.module.Thing', x: 1 }] },
      NO_EMBED,
    ]),
    excType: 'ValueError',
    message: /evil\.module\.Thing/,
  },
  {
    name: 'a VolumePath that escapes its volume',
    task: DOCKER_RUN_TASK_NAME,
    body: JSON.stringify([
      [CONFORMANCE],
      {
        pull_image: false,
        container_args: [
          'read',
          '-p',
          {
            'py/object': 'girder_worker.docker.transforms.VolumePath',
            filename: '../../etc/passwd',
            _volume: PY_DEFAULT_VOLUME,
          },
        ],
      },
      NO_EMBED,
    ]),
    excType: 'ValueError',
    message: /escapes/,
  },
  {
    name: 'an unknown docker_run keyword',
    task: DOCKER_RUN_TASK_NAME,
    body: JSON.stringify([[CONFORMANCE], { pull_image: false, frobnicate: true }, NO_EMBED]),
    excType: 'ValueError',
    message: /frobnicate/,
  },
];

describe('bad task messages', () => {
  it('end as FAILURE with a clear error, are acknowledged, and the worker keeps serving', async () => {
    const queue = broker.queue('bad');
    const worker = await broker.startWorker({
      queues: [queue],
      concurrency: 2,
      hostname: broker.hostname('w'),
    });
    const ids = new Map<string, BadCase>();
    for (const c of CASES) {
      const id = broker.id();
      ids.set(id, c);
      await broker.admin.publish(queue, c.body, {
        contentType: c.contentType ?? 'application/json',
        contentEncoding: 'utf-8',
        correlationId: id,
        replyTo: broker.admin.replyQueue,
        deliveryMode: 2,
        headers: taskHeaders(id, c.task ?? 'lstest.add', c.headers),
      });
    }
    // No task id anywhere: nothing to report to, but still acknowledged.
    await broker.admin.publish(queue, 'garbage', { contentType: 'application/json', headers: {} });

    for (const [id, c] of ids) {
      const result = await broker.admin.result(id);
      expect(result.status, c.name).toBe('FAILURE');
      const exc = result.result as { exc_type: string; exc_module: string; exc_message: string[] };
      expect(exc.exc_type, c.name).toBe(c.excType);
      expect(exc.exc_module, c.name).toBe('builtins');
      expect(exc.exc_message[0], c.name).toMatch(c.message);
    }

    configure({ broker: BROKER });
    await expect(add.applyAsync([2, 3], {}, { queue }).get({ timeout: 30_000 })).resolves.toBe(5);
    // Acknowledged, every one: with the worker gone, nothing comes back to the queue.
    await worker.close();
    expect(await broker.admin.depth(queue)).toBe(0);
  });
});
