import { TaskCancelledError, messageOf } from '../../core/errors.js';
import type { GirderJobReporter, JobOutcome } from './job-reporter.js';

/** How an error ends the job: a cancelled task CANCELED, any other failure ERROR. */
export function outcomeOf(error: unknown, signal: AbortSignal): JobOutcome {
  if (error instanceof TaskCancelledError) {
    return { kind: 'cancelled', reason: signal.aborted ? signal.reason : error };
  }
  return { kind: 'failure', error };
}

/**
 * Runs a task with a Girder job following it, and ends the job by the task's outcome before the
 * outcome is returned (a caller that sees the result sees the job ended too). The job's updates
 * are all sent, or given up on, when this settles; none of them can fail the task.
 */
export async function followedByJob<R>(
  job: GirderJobReporter,
  signal: AbortSignal,
  run: () => Promise<R>,
  classify: (error: unknown, signal: AbortSignal) => JobOutcome = outcomeOf,
): Promise<R> {
  // Girder Worker's "Asking to stop container": the job log says when and why the stop began.
  const onAbort = (): void => job.info(`Stopping the task: ${messageOf(signal.reason)}`);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const value = await run();
    await job.end({ kind: 'success' });
    return value;
  } catch (error) {
    await job.end(classify(error, signal));
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await job.close();
  }
}
