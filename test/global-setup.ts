// vitest globalSetup of the integration tests: they need a Docker engine that can start a container
// on its default bridge network, the locally built test images and the local registry. This only
// checks; `bash scripts/setup.sh` (npm's pretest) provides them.
import Docker from 'dockerode';

const IMAGES = [
  'longshore/busybox:latest',
  'longshore/conformance:latest',
  'longshore/gpu-labelled:latest',
  'longshore/python:latest',
  'longshore/node:latest',
];
const HINT = 'run `bash scripts/setup.sh` first';
const PROBE_IMAGE = 'longshore/busybox:latest';
const PROBE_TIMEOUT_MS = 30_000;

export default async function setup(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`the Docker engine does not answer (${String(err)}); ${HINT}`, { cause: err });
  }
  const missing: string[] = [];
  for (const image of IMAGES) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      missing.push(image);
    }
  }
  if (missing.length > 0) throw new Error(`missing test image(s) ${missing.join(', ')}; ${HINT}`);
  await probeContainerStart(docker);

  const registry = process.env.LONGSHORE_REGISTRY ?? '127.0.0.1:5000';
  try {
    const res = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new Error(`the local registry ${registry} does not answer (${String(err)}); ${HINT}`, {
      cause: err,
    });
  }
}

/**
 * Creates, starts, waits for and removes one container running `true` on `network`: an engine that
 * answers may still be unable to start any container (say its docker0 bridge went away), and then
 * every test would fail on its own, with the same message, one by one.
 */
export async function probeContainerStart(docker: Docker, network = 'bridge'): Promise<void> {
  const creating = docker.createContainer({
    Image: PROBE_IMAGE,
    Cmd: ['true'],
    Labels: { 'longshore.test-probe': 'global-setup' },
    HostConfig: { NetworkMode: network },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`it did not run within ${PROBE_TIMEOUT_MS / 1000} s`)),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    const run = async (): Promise<void> => {
      const container = await creating;
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (StatusCode !== 0) throw new Error(`\`true\` exited with ${StatusCode}`);
    };
    const running = run();
    running.catch(() => undefined); // a failure after the timeout is of no interest
    await Promise.race([running, timeout]);
  } catch (err) {
    const message = (err as Error).message.trim();
    const bridge = /could not find bridge (\w+)/.exec(message)?.[1];
    const why = bridge
      ? `the host's ${bridge} bridge is missing: restart dockerd, or \`ip link add ${bridge} type bridge\``
      : HINT;
    throw new Error(
      `the Docker engine cannot start a container (${PROBE_IMAGE} running \`true\` on the ${network} network): ${message}; ${why}`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
    // Removed even when the engine was too slow: once (and if) it has been created.
    const removing = creating.then(
      (container) => container.remove({ force: true }).catch(() => undefined),
      () => undefined,
    );
    await Promise.race([removing, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
}
