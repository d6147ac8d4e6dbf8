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
