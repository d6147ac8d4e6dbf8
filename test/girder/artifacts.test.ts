// Job artifacts of a real container: uploaded through `POST job/{id}/artifact` where the server has
// it; where it does not (every released Girder), the task still succeeds with one warning, and the
// artifacts go to a fallback folder when one is configured. After a failed container they are
// uploaded only when asked, and never hide the container's error.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerExitError,
  GirderClient,
  GirderUploadJobArtifact,
  GirderUploadVolumePathJobArtifact,
  ValidationError,
  VolumePath,
  dockerRun,
  type DockerRunOptions,
} from '../../src/index.js';
import { executeDockerRun } from '../../src/docker-run/execute-docker-run.js';
import { parseDockerRunOptions } from '../../src/docker-run/docker-run-options.js';
import { GirderClientPool } from '../../src/girder/girder-access.js';
import { EventReporter } from '../../src/execution/reporter.js';
import { BUSYBOX } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, thrown, useScratchDir, watch } from '../helpers/task.js';
import type { Doc } from './server/index.js';
import { useGirder, type GirderFixture } from './helpers/girder.js';

useLeakChecks();
/** A server with Girder Worker's artifact route (Girder's unmerged 2018 branch). */
const withRoute = useGirder({ artifactRoute: true });
/** A stock Girder: no such route. */
const stock = useGirder();
const scratch = useScratchDir();

function sh(script: string, ...args: unknown[]): { containerArgs: unknown[]; entrypoint: string[] } {
  return { entrypoint: ['sh', '-c', script, 'sh'], containerArgs: args };
}

/** A job of the fixture's user (who may then write to it). */
function newJob(girder: GirderFixture): string {
  return girder.server.createJob({ title: 'artifacts', userId: girder.user._id }).job._id;
}

async function artifactsOf(girder: GirderFixture, jobId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of girder.server.listArtifacts(jobId)) {
    out[file.name as string] = (await girder.server.fileContents(file._id)).toString('utf8');
  }
  return out;
}

function artifactRequests(girder: GirderFixture): string[] {
  return girder.server.requests
    .filter((r) => r.path.endsWith('/artifact'))
    .map((r) => `${r.method} ${r.path.replace(/^\//, '')} ${r.status}`);
}

describe('job artifacts through POST job/{id}/artifact', () => {
  it('uploads a file with its size and MIME type, under the name given', async () => {
    withRoute.configure();
    const jobId = newJob(withRoute);
    const log = new VolumePath('run.log');
    const hook = new GirderUploadVolumePathJobArtifact(log, { jobId, name: 'renamed.txt' });
    expect(String(hook)).toBe(`GirderUploadVolumePathJobArtifact(VolumePath("run.log") -> job ${jobId})`);
    expect([hook.jobId, hook.name, hook.uploadOnException, hook.gc, hook.runOnFailure]).toEqual([
      jobId,
      'renamed.txt',
      false,
      null,
      false,
    ]);
    withRoute.server.clearRequests();
    const result = await dockerRun
      .delay(BUSYBOX, { ...sh('printf "line 1\\nline 2\\n" > "$1"', log), girderResultHooks: [hook] })
      .get();
    expect(result.hookResults).toEqual([jobId]);
    expect(await artifactsOf(withRoute, jobId)).toEqual({ 'renamed.txt': 'line 1\nline 2\n' });
    const request = withRoute.server.requests.find((r) => r.path.endsWith('/artifact'));
    expect(request?.query).toEqual({ name: 'renamed.txt', size: '14', mimeType: 'text/plain' });
    expect(request?.bodySize).toBe(14);
  });

  it('a directory: each regular file directly inside it, under its own name', async () => {
    withRoute.configure();
    const jobId = newJob(withRoute);
    const dir = new VolumePath('logs');
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(
          'mkdir -p "$1/sub" && printf a > "$1/a.txt" && printf bb > "$1/b.log" && printf c > "$1/sub/c"',
          dir,
        ),
        girderResultHooks: [new GirderUploadVolumePathJobArtifact(dir, { jobId, name: 'ignored-for-dirs' })],
      })
      .get();
    expect(await artifactsOf(withRoute, jobId)).toEqual({ 'a.txt': 'a', 'b.log': 'bb' });
  });

  it('a path the container never wrote uploads nothing and does not fail', async () => {
    withRoute.configure();
    const jobId = newJob(withRoute);
    withRoute.server.clearRequests();
    const result = await dockerRun
      .delay(BUSYBOX, {
        ...sh('true'),
        girderResultHooks: [new GirderUploadVolumePathJobArtifact(new VolumePath('never'), { jobId })],
      })
      .get();
    expect(result.hookResults).toEqual([null]);
    expect(artifactRequests(withRoute)).toEqual([]);
  });

  it("the job defaults to the task's Girder job", async () => {
    const jobId = newJob(withRoute);
    const log = new VolumePath('default.log');
    const reporter = new EventReporter();
    const options = parseDockerRunOptions({
      ...sh('printf default > "$1"', log),
      girderResultHooks: [new GirderUploadVolumePathJobArtifact(log)],
    } satisfies DockerRunOptions);
    const result = await executeDockerRun(
      BUSYBOX,
      options,
      { taskId: 'artifact-default-job', signal: new AbortController().signal, reporter },
      {
        girder: new GirderClientPool({
          defaults: { apiUrl: withRoute.server.apiUrl, token: withRoute.token },
          jobId,
        }),
      },
    );
    expect(result.hookResults).toEqual([jobId]);
    expect(await artifactsOf(withRoute, jobId)).toEqual({ 'default.log': 'default' });
  });

  it('without a job id and without a task job, the task fails before its container, naming jobId', async () => {
    withRoute.configure();
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('echo ran'),
      girderResultHooks: [new GirderUploadVolumePathJobArtifact(new VolumePath('x'))],
    });
    const watched = watch(run);
    const error = (await rejection(run.get())) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('jobId');
    expect(watched.stdout).toBe('');
  });

  it('GirderUploadJobArtifact uploads a file of this host', async () => {
    withRoute.configure();
    const jobId = newJob(withRoute);
    const file = join(scratch, 'host-report.json');
    await writeFile(file, '{"ok":true}');
    const hook = new GirderUploadJobArtifact(file, { jobId });
    expect(String(hook)).toBe(`GirderUploadJobArtifact(${JSON.stringify(file)} -> job ${jobId})`);
    withRoute.server.clearRequests();
    await dockerRun.delay(BUSYBOX, { ...sh('true'), girderResultHooks: [hook] }).get();
    expect(await artifactsOf(withRoute, jobId)).toEqual({ 'host-report.json': '{"ok":true}' });
    const request = withRoute.server.requests.find((r) => r.path.endsWith('/artifact'));
    expect(request?.query.mimeType).toBe('application/json');
  });

  it('a 404 from the route is taken as its absence too: the task succeeds', async () => {
    withRoute.configure();
    const jobId = newJob(withRoute);
    withRoute.server.faults.failNext({ method: 'POST', path: /artifact$/ }, 404);
    const log = new VolumePath('a.log');
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('printf x > "$1"', log),
      girderResultHooks: [new GirderUploadVolumePathJobArtifact(log, { jobId })],
    });
    const watched = watch(run);
    await run.get();
    expect(watched.warnings).toHaveLength(1);
    expect(watched.warnings[0]).toContain('POST job/{id}/artifact (HTTP 404)');
  });
});

describe('a Girder without the artifact route', () => {
  let fallback: Doc;
  beforeAll(() => {
    fallback = stock.server.createFolder(stock.user._id, 'artifacts', { parentType: 'user' });
  });

  it('the task succeeds; one warning names the route and the artifacts not uploaded', async () => {
    stock.configure();
    const jobId = newJob(stock);
    const dir = new VolumePath('out');
    stock.server.clearRequests();
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('mkdir "$1" && printf 1 > "$1/one.txt" && printf 2 > "$1/two.txt"', dir),
      girderResultHooks: [new GirderUploadVolumePathJobArtifact(dir, { jobId })],
    });
    const watched = watch(run);
    const result = await run.get();
    expect(result.hookResults).toEqual([jobId]);
    expect(watched.warnings).toEqual([
      `Girder has no route POST job/{id}/artifact (HTTP 400): the artifacts of job ${jobId} were not ` +
        'uploaded (one.txt, two.txt); set girder.artifactFolderId to keep them in a folder instead',
    ]);
    // The route is tried once, not once per artifact.
    expect(artifactRequests(stock)).toEqual([`POST job/${jobId}/artifact 400`]);
    expect(watched.warnings.join('\n')).not.toContain(stock.token);
  });

  it('with artifactFolderId, the artifacts go to a sub-folder named after the job (reused next time)', async () => {
    stock.configure({ artifactFolderId: fallback._id });
    const jobId = newJob(stock);
    const dir = new VolumePath('out');
    const hook = new GirderUploadVolumePathJobArtifact(dir, { jobId });
    const runOnce = async (text: string): Promise<string[]> => {
      const run = dockerRun.delay(BUSYBOX, {
        ...sh(`mkdir "$1" && printf ${text} > "$1/result.txt"`, dir),
        girderResultHooks: [hook],
      });
      const watched = watch(run);
      await run.get();
      return watched.warnings;
    };
    const warnings = await runOnce('first');
    expect(warnings).toEqual([
      `Girder has no route POST job/{id}/artifact (HTTP 400): the artifacts of job ${jobId} (result.txt) ` +
        `go to the sub-folder ${jobId} of folder ${fallback._id} instead`,
    ]);
    await runOnce('second');
    const api = new GirderClient({ apiUrl: stock.server.apiUrl, token: stock.token });
    const subs = await api.get<{ _id: string; name: string }[]>('folder', {
      parentType: 'folder',
      parentId: fallback._id,
    });
    expect(subs.map((f) => f.name)).toEqual([jobId]);
    const items = await api.get<{ _id: string; name: string }[]>('item', { folderId: subs[0]!._id });
    const texts = await Promise.all(
      items.map(async (item) => {
        const [file] = stock.server.listFiles(item._id);
        return (await stock.server.fileContents(file!._id)).toString('utf8');
      }),
    );
    expect(texts.sort()).toEqual(['first', 'second']);
  });

  it('uploadOnException: after a failed container the artifacts still go up, and get() rejects with its error', async () => {
    stock.configure({ artifactFolderId: fallback._id });
    const jobId = newJob(stock);
    const log = new VolumePath('crash.log');
    const hook = new GirderUploadVolumePathJobArtifact(log, { jobId, uploadOnException: true });
    expect(hook.runOnFailure).toBe(true);
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('printf "what happened" > "$1"; echo failing >&2; exit 3', log),
      girderResultHooks: [hook],
    });
    const watched = watch(run);
    const error = (await rejection(run.get())) as ContainerExitError;
    expect(error).toBeInstanceOf(ContainerExitError);
    expect(error.exitCode).toBe(3);
    expect(watched.warnings).toHaveLength(1);
    const api = new GirderClient({ apiUrl: stock.server.apiUrl, token: stock.token });
    const [sub] = await api.get<{ _id: string }[]>('folder', {
      parentType: 'folder',
      parentId: fallback._id,
      name: jobId,
    });
    const [item] = await api.get<{ _id: string; name: string }[]>('item', { folderId: sub!._id });
    expect(item?.name).toBe('crash.log');
  });

  it("without uploadOnException a failed container's artifacts are not uploaded", async () => {
    withRoute.configure();
    const jobId = newJob(withRoute);
    const log = new VolumePath('crash.log');
    const error = await rejection(
      dockerRun
        .delay(BUSYBOX, {
          ...sh('printf x > "$1"; exit 4', log),
          girderResultHooks: [new GirderUploadVolumePathJobArtifact(log, { jobId })],
        })
        .get(),
    );
    expect((error as ContainerExitError).exitCode).toBe(4);
    expect(withRoute.server.listArtifacts(jobId)).toEqual([]);
  });

  it("an artifact upload that fails after a failed container is a warning; the container's error stands", async () => {
    stock.configure({ artifactFolderId: fallback._id });
    const jobId = newJob(stock);
    const log = new VolumePath('crash.log');
    stock.server.faults.failNext({ method: 'POST', path: /folder$/ }, 403);
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('printf x > "$1"; exit 5', log),
      girderResultHooks: [new GirderUploadVolumePathJobArtifact(log, { jobId, uploadOnException: true })],
    });
    const watched = watch(run);
    const error = (await rejection(run.get())) as ContainerExitError;
    expect(error).toBeInstanceOf(ContainerExitError);
    expect(error.exitCode).toBe(5);
    expect(watched.warnings).toHaveLength(2);
    expect(watched.warnings[1]).toMatch(
      /^Result hook #0 failed after the task failed: Could not create folder/,
    );
    for (const warning of watched.warnings) expect(warning).not.toContain(stock.token);
  });
});

describe('arguments', () => {
  it('are checked at once, naming the field', () => {
    const path = new VolumePath('x');
    const field = (make: () => unknown): string => (thrown(make) as ValidationError).field;
    expect(field(() => new GirderUploadVolumePathJobArtifact(path, { jobId: 'nope' }))).toBe('jobId');
    expect(field(() => new GirderUploadVolumePathJobArtifact(path, { name: '' }))).toBe('name');
    expect(field(() => new GirderUploadVolumePathJobArtifact(path, { uploadOnException: 1 as never }))).toBe(
      'uploadOnException',
    );
    expect(field(() => new GirderUploadVolumePathJobArtifact('x' as never))).toBe('volumePath');
    expect(field(() => new GirderUploadJobArtifact('relative/path'))).toBe('path');
    const hook = new GirderUploadJobArtifact('/tmp/x', { jobId: null, name: null });
    expect([hook.path, hook.jobId, hook.name, String(hook)]).toEqual([
      '/tmp/x',
      null,
      null,
      `GirderUploadJobArtifact("/tmp/x" -> the task's job)`,
    ]);
  });
});
