/**
 * Tasks for the distributed-mode benchmarks, registered on import: by the benchmark (to send
 * them) and by its worker (`longshore worker --tasks bench/celery-tasks.ts`).
 */
import { app } from '../src/index.js';

/** Does nothing: what is left is the cost of a task through the broker. */
export const noop = app.task('bench.noop', () => null);
