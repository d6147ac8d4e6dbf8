import { z } from 'zod';
import type { ControlServer } from '../celery/pidbox/control-server.js';
import type { TaskPipeline } from './task-pipeline.js';

const revokeArguments = z.looseObject({
  task_id: z.union([z.string().min(1), z.array(z.string().min(1))]),
  terminate: z.boolean().nullish(),
  signal: z.union([z.string().min(1), z.number().int()]).nullish(),
});

/**
 * Celery's `revoke` (and `terminate`) control commands: the ids join the revoked set; waiting
 * copies end REVOKED at once; with `terminate`, running ones are stopped (SIGTERM, then SIGKILL
 * after the container's grace period; SIGKILL/KILL/9 kills at once).
 */
export function registerRevokeCommand(control: ControlServer, pipeline: TaskPipeline): void {
  const revoke = (args: Record<string, unknown>, forceTerminate: boolean): Record<string, string> => {
    const parsed = revokeArguments.parse(args);
    const ids = typeof parsed.task_id === 'string' ? [parsed.task_id] : parsed.task_id;
    const signal = parsed.signal === null || parsed.signal === undefined ? 'SIGTERM' : String(parsed.signal);
    const terminate = forceTerminate || parsed.terminate === true;
    const terminated = pipeline.revoke(ids, terminate, signal);
    if (terminate) {
      return {
        ok: terminated.length > 0 ? `terminate: ${terminated.join(', ')}` : 'terminate: tasks unknown',
      };
    }
    return { ok: `tasks ${ids.join(', ')} flagged as revoked` };
  };
  control.register('revoke', (args) => revoke(args, false));
  control.register('terminate', (args) => revoke(args, true));
}
