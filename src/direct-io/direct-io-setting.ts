import { getDirectIoSetting } from '../config/configuration.js';

/**
 * Whether a child may move bytes (or grow a pipe) now: LONGSHORE_DIRECT_IO, or
 * `configure({ directIo })`. Asked at each transfer, so that a change applies to the next one.
 * Off, every transfer takes Node's path, which works everywhere Node does.
 */
export function directIoAllowed(): boolean {
  return getDirectIoSetting();
}
