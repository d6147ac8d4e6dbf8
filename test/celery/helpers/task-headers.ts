/** A task body's third element when nothing follows the task (no callbacks, chain or chord). */
export const NO_EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

/** Girder Worker's default temporary volume as Python's jsonpickle writes it into a body. */
export const PY_DEFAULT_VOLUME = {
  'py/object': 'girder_worker.docker.transforms._DefaultTemporaryVolume',
  _host_path: null,
  _container_path: null,
  mode: 'rw',
  _transformed: false,
  host_dir: null,
  _mode: 511,
  _instance: null,
};

/** The headers of a Celery protocol 2 task message as Python's Celery 5 writes them, for raw sends. */
export function taskHeaders(
  id: string,
  task: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    lang: 'py',
    task,
    id,
    shadow: null,
    eta: null,
    expires: null,
    group: null,
    retries: 0,
    timelimit: [null, null],
    root_id: id,
    parent_id: null,
    argsrepr: '()',
    kwargsrepr: '{}',
    origin: 'gen1@test',
    ignore_result: false,
    ...extra,
  };
}
