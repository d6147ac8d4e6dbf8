// The Girder job reporter against the Girder test server: batching of the log and progress,
// the transitions Girder allows (and what happens when it refuses one), failing updates, and
// tokens kept out of the log.
import { describe, expect, it } from 'vitest';
import { ContainerExitError, StreamError } from '../../src/index.js';
import { GirderJobReporter } from '../../src/girder-worker/job/job-reporter.js';
import { JobStatus } from '../../src/girder-worker/job/job-status.js';
import { sleep } from '../helpers/docker.js';
import { waitFor } from '../helpers/wait-for.js';
import { useGirder } from './helpers/girder.js';
import type { Doc } from './server/index.js';

const girder = useGirder();

function newJob(): {
  job: Doc;
  spec: ReturnType<typeof girder.server.createJob>['jobInfoSpec'];
  token: string;
} {
  const { job, jobInfoSpec, jobToken } = girder.server.createJob({
    title: 'reporter test',
    handler: 'celery_handler',
    userId: girder.user._id,
    // Girder cancels only jobs with a Celery task id (nobody revokes it here).
    otherFields: { celeryTaskId: 'not-a-real-task' },
  });
  return { job, spec: jobInfoSpec, token: jobToken };
}

function jobLog(jobId: string): string {
  return (girder.server.getDoc('job', jobId)?.log as string[]).join('');
}

function updatesOf(jobId: string): { query: Record<string, string>; method: string }[] {
  return girder.server.requests.filter((r) => r.method === 'PUT' && r.path === `/job/${jobId}`);
}

function reporter(spec: ReturnType<typeof newJob>['spec'], warnings: string[] = []): GirderJobReporter {
  return new GirderJobReporter({ spec, image: 'some/image:1', warn: (w) => warnings.push(w) });
}

describe('GirderJobReporter', () => {
  it('sends many log lines in few updates, every line present and in order', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    const lines: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 200; i++) {
        const line = `line ${batch * 200 + i}\n`;
        lines.push(line);
        r.log({ stream: i % 2 ? 'stderr' : 'stdout', text: line });
      }
      await sleep(100);
    }
    await r.end({ kind: 'success' });
    expect(jobLog(job._id)).toBe(lines.join(''));
    const puts = updatesOf(job._id);
    // About one every 500 ms over the second of output, plus the two statuses.
    expect(puts.length).toBeGreaterThanOrEqual(4);
    expect(puts.length).toBeLessThanOrEqual(7);
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 3]);
  });

  it('throttles progress like the log, and the job ends with the last values', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    for (let i = 1; i <= 100; i++) {
      r.progress({ current: i, total: 100, message: `step ${i}` });
      if (i % 25 === 0) await sleep(300);
    }
    await r.end({ kind: 'success' });
    expect(girder.server.getDoc('job', job._id)?.progress).toMatchObject({
      current: 100,
      total: 100,
      message: 'step 100',
    });
    expect(updatesOf(job._id).length).toBeLessThanOrEqual(7);
  });

  it('follows the phases: FETCHING_INPUT, RUNNING, PUSHING_OUTPUT, then SUCCESS', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    r.phase('fetching-input');
    r.log({ stream: 'stdout', text: 'downloading\n' });
    r.phase('running');
    r.log({ stream: 'stdout', text: 'hello\n' });
    r.phase('pushing-output');
    await r.end({ kind: 'success' });
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 820, 2, 823, 3]);
    const log = jobLog(job._id);
    expect(log).toMatch(
      /^downloading\n\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] INFO: Running container: some\/image:1\nhello\n$/,
    );
    expect(r.statusHistory).toEqual([2, 820, 2, 823, 3]);
  });

  it('reaches CANCELED from FETCHING_INPUT through RUNNING', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    r.phase('fetching-input');
    await r.end({ kind: 'cancelled', reason: new Error('revoked') });
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 820, 2, 5]);
    expect(jobLog(job._id)).toMatch(/INFO: The task was cancelled: revoked\n$/);
  });

  it('ends ERROR, saying why, when cancelled while PUSHING_OUTPUT (Girder allows no CANCELED from there)', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    r.phase('pushing-output');
    await r.end({ kind: 'cancelled' });
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 823, 4]);
    expect(jobLog(job._id)).toMatch(
      /Girder allows no CANCELED \(5\) from PUSHING_OUTPUT \(823\): the job ends ERROR \(4\)/,
    );
  });

  it('writes the error and its causes before ERROR', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    r.log({ stream: 'stderr', text: 'boom\n' });
    const error = new StreamError('the upload failed', { cause: new ContainerExitError(3, 'boom') });
    await r.end({ kind: 'failure', error });
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 4]);
    expect(jobLog(job._id)).toMatch(
      /^boom\n\[[^\]]+\] ERROR: StreamError: the upload failed\nCaused by: ContainerExitError: Non-zero exit code from docker container \(3\): boom\n$/,
    );
  });

  it('carries on when Girder refuses a transition because the job is CANCELING, and ends CANCELED', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    await waitFor(() => r.jobStatus === JobStatus.RUNNING);
    // Girder's cancel: the job goes CANCELING (the revoke is not sent here).
    const cancel = await fetch(`${girder.server.apiUrl}/job/${job._id}/cancel`, {
      method: 'PUT',
      headers: { 'Girder-Token': girder.token },
    });
    expect(cancel.status).toBe(200);
    r.phase('fetching-input'); // refused (400): the job is CANCELING
    await r.end({ kind: 'success' }); // a success while CANCELING ends CANCELED, as in Girder Worker
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 824, 5]);
    expect(r.jobStatus).toBe(JobStatus.CANCELED);
    const refused = girder.server.requests.filter((r) => r.path === `/job/${job._id}` && r.status === 400);
    expect(refused.length).toBeGreaterThanOrEqual(1);
  });

  it('never throws when updates fail: it warns once, keeps the text, and later updates get through', async () => {
    const { job, spec } = newJob();
    const warnings: string[] = [];
    const r = reporter(spec, warnings);
    // Three attempts each (two retries): RUNNING is lost, then the first log update.
    girder.server.faults.failNext({ method: 'PUT', path: new RegExp(`^/job/${job._id}$`) }, 500, 6);
    r.start();
    r.log({ stream: 'stdout', text: 'first\n' });
    // All six failures answered: RUNNING and the update carrying 'first' have been given up.
    const failed = () =>
      girder.server.requests.filter((q) => q.path === `/job/${job._id}` && q.status === 500).length;
    await waitFor(() => failed() >= 6);
    r.log({ stream: 'stdout', text: 'second\n' });
    await r.end({ kind: 'success' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Could not update Girder job .*HTTP 500/);
    // The lost text went with the next update; SUCCESS, refused from INACTIVE, went through RUNNING.
    expect(jobLog(job._id)).toMatch(
      /^first\nsecond\n.*Girder refused SUCCESS \(3\): the job is INACTIVE \(0\)\n$/,
    );
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2, 3]);
  });

  it('never writes a token into the log', async () => {
    girder.configure(); // registers the user's token as a secret, as configure() does
    const { job, spec, token } = newJob();
    const r = reporter(spec);
    r.start();
    r.log({ stream: 'stdout', text: `job token ${token}\n` });
    r.warning(`user token ${girder.token}`);
    await r.end({ kind: 'failure', error: new Error(`failed with ${token}`) });
    const log = jobLog(job._id);
    expect(log).not.toContain(token);
    expect(log).not.toContain(girder.token);
    expect(log).toContain('job token **');
  });

  it('close() is idempotent and later reports are dropped', async () => {
    const { job, spec } = newJob();
    const r = reporter(spec);
    r.start();
    r.log({ stream: 'stdout', text: 'once\n' });
    await Promise.all([r.close(), r.close()]);
    await r.close();
    r.log({ stream: 'stdout', text: 'too late\n' });
    await r.end({ kind: 'success' });
    expect(jobLog(job._id)).toBe('once\n');
    expect(girder.server.jobStatusHistory(job._id)).toEqual([0, 2]);
  });
});
