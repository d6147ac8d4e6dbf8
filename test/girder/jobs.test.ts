// A Girder job follows a task live: a real `longshore worker` process over the real RabbitMQ,
// real containers, and the Girder test server keeping the job (statuses with Girder's transition
// rules, log, progress, cancel through `PUT job/:id/cancel` and a Celery revoke, as Girder does).
import { describe, expect, it } from 'vitest';
import {
  ProgressPipe,
  TaskCancelledError,
  celeryClient,
  configure,
  dockerRun,
  type TaskHandle,
} from '../../src/index.js';
import type { DockerRunResult } from '../../src/docker-run/execute-docker-run.js';
import { GirderHttpError } from '../../src/girder/errors.js';
import { BUSYBOX, CONFORMANCE, listTaskContainers, waitForRunningTaskContainer } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection } from '../helpers/task.js';
import { BROKER, useBroker } from '../celery/helpers/broker.js';
import { useWorkerProcesses, type WorkerProcess } from '../celery/helpers/worker-process.js';
import { pidboxQueueName } from '../../src/celery/pidbox/pidbox-names.js';
import { useGirder } from './helpers/girder.js';
import { TokenScope, type Doc } from './server/index.js';

const leaks = useLeakChecks({ fds: false });
const broker = useBroker();
const spawnWorker = useWorkerProcesses();
const girder = useGirder();

/** A `longshore worker` process on its own queue, ready to take tasks. */
async function startWorker(label: string): Promise<{ queue: string; worker: WorkerProcess }> {
  const queue = broker.queue(label);
  const hostname = broker.hostname(label);
  const worker = spawnWorker(['--queues', queue, '--concurrency', '2', '--hostname', hostname], {
    LONGSHORE_TMP_ROOT: leaks.tempRoot,
  });
  await worker.waitFor(/Connected to/);
  await waitForControlQueue(hostname);
  configure({ broker: BROKER });
  return { queue, worker };
}

/**
 * The worker's remote control queue exists: a revoke (Girder's cancel) broadcast before it
 * does reaches no one, as with Celery. The queue is exclusive to the worker's connection, so a
 * passive declare from here is refused as locked once it exists.
 */
async function waitForControlQueue(hostname: string): Promise<void> {
  const name = pidboxQueueName(hostname);
  await expect
    .poll(
      async () => {
        const channel = await broker.admin.connection.channel();
        try {
          await channel.checkQueue(name);
          return true;
        } catch (error) {
          return !/NOT.FOUND/.test(String(error));
        } finally {
          await channel.close().catch(() => undefined);
        }
      },
      { timeout: 30_000, interval: 100 },
    )
    .toBe(true);
}

/** A job as Girder creates one for a Celery task, and the headers Girder sends with the task. */
function girderJob(
  taskId: string,
  status = 0,
): { job: Doc; jobToken: string; headers: Record<string, unknown> } {
  const { job, jobToken, jobInfoSpec } = girder.server.createJob({
    title: 'a Girder task',
    status,
    handler: 'celery_handler',
    userId: girder.user._id,
    otherFields: { celeryTaskId: taskId },
  });
  return {
    job,
    jobToken,
    headers: { jobInfoSpec, girder_api_url: girder.server.apiUrl, girder_client_token: girder.token },
  };
}

function jobDoc(jobId: string): Doc {
  const doc = girder.server.getDoc('job', jobId);
  if (!doc) throw new Error(`no job ${jobId}`);
  return doc;
}

function jobLog(jobId: string): string {
  return (jobDoc(jobId).log as string[]).join('');
}

/**
 * Longshore configured with a token that may create jobs: Girder's `POST job` requires the
 * jobs.rest.create_job scope (what Girder Worker's girder_client_token carries).
 */
function configureJobCreator(extra: Record<string, unknown> = {}): string {
  const token = girder.server.createToken(girder.user._id, {
    scope: [TokenScope.USER_AUTH, TokenScope.CREATE_JOB],
  });
  configure({ ...extra, girder: { apiUrl: girder.server.apiUrl, token, retryDelayMs: 20 } });
  return token;
}

/** Girder's cancel button: `PUT job/:id/cancel` as the job's owner. */
async function cancelFromGirder(jobId: string): Promise<void> {
  const response = await fetch(`${girder.server.apiUrl}/job/${jobId}/cancel`, {
    method: 'PUT',
    headers: { 'Girder-Token': girder.token },
  });
  expect(response.status).toBe(200);
}

/** Girder's jobs.cancel handler revokes the Celery task: a pidbox broadcast, terminate false. */
function revokeLikeGirder(): void {
  girder.server.onJobCancel = async (job) => {
    await celeryClient(BROKER).revoke(String(job.celeryTaskId), { terminate: false });
  };
}

describe('a Girder job (jobInfoSpec header) on a longshore worker', () => {
  it('goes RUNNING then SUCCESS, with the output, the worker lines and the progress', async () => {
    const { queue } = await startWorker('success');
    const taskId = broker.id();
    const { job, headers } = girderJob(taskId);
    const handle = dockerRun.applyAsync(
      [BUSYBOX],
      {
        pullImage: false,
        containerArgs: [
          'sh',
          '-c',
          'echo "hello docker"; echo "to stderr" >&2; echo \'{"current":5,"total":10,"message":"half"}\' > "$0"',
          new ProgressPipe(),
        ],
      },
      { queue, taskId, headers },
    );
    await expect(handle.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 3]);
    const log = jobLog(job._id);
    expect(log).toMatch(/\] INFO: Running container: longshore\/busybox:latest\n/);
    expect(log).toContain('hello docker\n');
    expect(log).toContain('to stderr\n');
    expect(jobDoc(job._id).progress).toMatchObject({ current: 5, total: 10, message: 'half' });
  });

  it('goes ERROR when the container fails, with its output and the error in the log', async () => {
    const { queue } = await startWorker('failure');
    const taskId = broker.id();
    const { job, headers } = girderJob(taskId);
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['stderr-then-exit', '-m', 'it went wrong', '-c', '3'] },
      { queue, taskId, headers },
    );
    await rejection(handle.get({ timeout: 60_000 }));
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 4]);
    expect(jobLog(job._id)).toMatch(
      /it went wrong\n[^]*ERROR: ContainerExitError: Non-zero exit code from docker container \(3\): it went wrong\n$/,
    );
  });

  it("Girder's cancel stops the container and ends the job CANCELED, every time", async () => {
    const { queue } = await startWorker('cancel');
    revokeLikeGirder();
    // A container that stops on SIGTERM, and one that must be killed after its grace period
    // (Girder Worker ended the latter ERROR about half the time).
    const runs = [
      { args: ['sigterm'], stopTimeout: 10 },
      { args: ['sigkill'], stopTimeout: 1 },
      { args: ['sigterm'], stopTimeout: 10 },
      { args: ['sigkill'], stopTimeout: 1 },
    ];
    for (const { args, stopTimeout } of runs) {
      const taskId = broker.id();
      const { job, headers } = girderJob(taskId);
      const handle = dockerRun.applyAsync(
        [CONFORMANCE],
        { pullImage: false, containerArgs: args, stopTimeout },
        { queue, taskId, headers },
      );
      await waitForRunningTaskContainer(taskId);
      const started = Date.now();
      await cancelFromGirder(job._id);
      expect(await rejection(handle.get({ timeout: 60_000 }))).toBeInstanceOf(TaskCancelledError);
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(girder.server.jobStatusHistory(job._id), args[0]).toEqual([0, 2, 824, 5]);
      expect(jobLog(job._id)).toMatch(/INFO: The task was cancelled: The task was revoked\n$/);
      expect(await listTaskContainers(taskId)).toEqual([]);
    }
  });

  it('a task cancelled from Girder before it ran ends its job CANCELED (task_revoked)', async () => {
    const { queue } = await startWorker('cancel-early');
    revokeLikeGirder();
    const taskId = broker.id();
    // QUEUED: Girder's cancel makes it CANCELING and revokes the task; the worker ends it.
    const { job, headers } = girderJob(taskId, 1);
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['stdio', '-m', 'never'] },
      { queue, taskId, headers, countdown: 30 },
    );
    // The worker holds it until its ETA.
    await expect.poll(() => broker.admin.depth(queue), { timeout: 10_000 }).toBe(0);
    await cancelFromGirder(job._id);
    expect(await rejection(handle.get({ timeout: 30_000 }))).toBeInstanceOf(TaskCancelledError);
    expect(girder.server.jobStatusHistory(job._id)).toEqual([1, 824, 5]);
    expect(await listTaskContainers(taskId)).toEqual([]);
  });

  it('job updates that fail (HTTP 500) never fail the task: one warning in the worker log', async () => {
    const { queue, worker } = await startWorker('faults');
    const taskId = broker.id();
    const { job, headers } = girderJob(taskId);
    girder.server.faults.failNext({ method: 'PUT', path: new RegExp(`^/job/${job._id}$`) }, 500, 1000);
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['stdio', '-m', 'still fine'] },
      { queue, taskId, headers },
    );
    await expect(handle.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
    await worker.waitFor(/Could not update Girder job/);
    expect(worker.output.match(/Could not update Girder job/g)).toHaveLength(1);
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0]);
  });

  it('never writes a token into the job log', async () => {
    const { queue } = await startWorker('tokens');
    const taskId = broker.id();
    const { job, jobToken, headers } = girderJob(taskId);
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      {
        pullImage: false,
        containerArgs: ['stderr-then-exit', '-m', `job ${jobToken} client ${girder.token}`, '-c', '1'],
      },
      { queue, taskId, headers },
    );
    await rejection(handle.get({ timeout: 60_000 }));
    const log = jobLog(job._id);
    expect(log).toContain('job ** client **');
    expect(log).not.toContain(jobToken);
    expect(log).not.toContain(girder.token);
  });
});

describe('a Girder job created by a longshore client (girderJob* options)', () => {
  it('is created before the task is sent, and the worker keeps it', async () => {
    const { queue } = await startWorker('client-job');
    configureJobCreator({ broker: BROKER });
    const handle: TaskHandle<DockerRunResult> = dockerRun.applyAsync(
      [CONFORMANCE],
      {
        pullImage: false,
        containerArgs: ['stdio', '-m', 'from the client'],
        girderJobTitle: 'made by longshore',
        girderJobOtherFields: { project: 'p1' },
      },
      { queue },
    );
    const created = await handle.job;
    expect(created).toMatchObject({ title: 'made by longshore', type: 'celery', handler: 'celery_handler' });
    await handle.get({ timeout: 60_000 });
    const doc = jobDoc(created!._id);
    expect(doc).toMatchObject({
      celeryTaskId: handle.id,
      project: 'p1',
      public: false,
      kwargs: expect.objectContaining({ container_args: ['stdio', '-m', 'from the client'] }),
      args: [CONFORMANCE],
    });
    expect(girder.server.jobStatusHistory(created!._id)).toEqual([0, 2, 3]);
    expect(jobLog(created!._id)).toContain('from the client\n');
    // The job was created before the message went out: the worker's first update comes after it.
    const paths = girder.server.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.indexOf('POST /job')).toBeLessThan(paths.indexOf(`PUT /job/${created!._id}`));
  });

  it('in this process (no broker), the same job follows the local run', async () => {
    configureJobCreator();
    const handle = dockerRun.delay(CONFORMANCE, {
      pullImage: false,
      containerArgs: ['stdio', '-m', 'here'],
      girderJobTitle: 'local',
      girderJobType: 'longshore-test',
    });
    const [created] = await Promise.all([handle.job, handle.get({ timeout: 60_000 })]);
    expect(created).toMatchObject({ title: 'local', type: 'longshore-test' });
    expect(girder.server.jobStatusHistory(created!._id)).toEqual([0, 2, 3]);
    expect(jobLog(created!._id)).toContain('here\n');
  });

  it('in this process, a 400 on a transition is tolerated while Girder is cancelling the job', async () => {
    configureJobCreator();
    girder.server.onJobCancel = () => undefined; // a revoke that never arrives
    const handle = dockerRun.delay(CONFORMANCE, {
      pullImage: false,
      containerArgs: ['sleep', '-s', '2'],
      girderJobTitle: 'cancelled meanwhile',
      girderResultHooks: [{ run: () => Promise.resolve('pushed') }],
    });
    const created = (await handle.job)!;
    await waitForRunningTaskContainer(handle.id);
    await cancelFromGirder(created._id);
    // PUSHING_OUTPUT and SUCCESS are refused (400): the job is CANCELING, so it ends CANCELED.
    await expect(handle.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: ['pushed'] });
    expect(girder.server.jobStatusHistory(created._id)).toEqual([0, 2, 824, 5]);
    const refused = girder.server.requests.filter(
      (r) => r.path === `/job/${created._id}` && r.status === 400,
    );
    expect(refused.length).toBeGreaterThanOrEqual(1);
  });

  it("a token without Girder's job-creation scope: the task fails unsent, saying so", async () => {
    girder.configure();
    const handle = dockerRun.delay(CONFORMANCE, { pullImage: false, girderJobTitle: 'refused' });
    const error = await rejection(handle.get({ timeout: 30_000 }));
    expect(error).toBeInstanceOf(GirderHttpError);
    expect((error as GirderHttpError).message).toMatch(/needs the jobs\.rest\.create_job scope/);
    await expect(handle.job).rejects.toBe(error);
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('Girder configured but no girderJob* option: no job', async () => {
    girder.configure();
    girder.server.clearRequests();
    const handle = dockerRun.delay(CONFORMANCE, { pullImage: false, containerArgs: ['stdio', '-m', 'x'] });
    await handle.get({ timeout: 60_000 });
    await expect(handle.job).resolves.toBeUndefined();
    expect(girder.server.requests.filter((r) => r.path === '/job')).toEqual([]);
  });
});
