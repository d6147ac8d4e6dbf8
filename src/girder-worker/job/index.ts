// Girder jobs that follow a task, listed one by one in src/index.ts.
export { GirderJobReporter, type GirderJobReporterOptions, type JobOutcome } from './job-reporter.js';
export { JobStatus, type JobStatusCode } from './job-status.js';
export { buildJobInfoSpec, type JobInfoSpec } from './job-info-spec.js';
export { createGirderJob, CREATE_JOB_SCOPE, type GirderJob, type GirderJobOptions } from './create-job.js';
