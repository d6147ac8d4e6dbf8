// Custom tasks for the distributed-mode tests, registered on import: in the test process (so
// that an in-process worker serves them and clients can `delay()` them) and in worker processes
// (`longshore worker --tasks test/celery/helpers/test-tasks.ts`).
import { Retry, app } from '../../../src/index.js';

export const add = app.task('lstest.add', (_ctx, a: number, b: number) => a + b);

/** Waits `ms` (or until cancelled), then says when it finished. */
export const sleepTask = app.task('lstest.sleep', async (ctx, ms: number) => {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    ctx.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the abort's reason, as the signal holds it
        reject(ctx.signal.reason);
      },
      { once: true },
    );
  });
  return { finishedAt: Date.now(), kwargs: ctx.kwargs };
});

/** Asks to be retried `times` times, then succeeds with the retry count it saw. */
export const flaky = app.task('lstest.flaky', (ctx, times: number) => {
  if (ctx.retries < times) throw new Retry({ countdown: 0.2, maxRetries: 5 });
  return { retries: ctx.retries, taskId: ctx.taskId };
});

/** Fails with a Python exception type a Python client can raise. */
export const keyError = app.task('lstest.key-error', (_ctx, key: string) => {
  throw Object.assign(new Error(key), { pyType: 'KeyError', pyModule: 'builtins' });
});

/** Returns what JSON cannot carry: the task must fail, not hang. */
export const unsendable = app.task('lstest.unsendable', () => 10n);
