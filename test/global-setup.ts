// vitest globalSetup: the tests need a Docker engine, the locally built test images and the local
// registry. This only checks; `bash scripts/setup.sh` (npm's pretest) provides them.
import Docker from 'dockerode';

const IMAGES = [
  'longshore/busybox:latest',
  'longshore/conformance:latest',
  'longshore/gpu-labelled:latest',
  'longshore/python:latest',
  'longshore/node:latest',
];
const HINT = 'run `bash scripts/setup.sh` first';

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
