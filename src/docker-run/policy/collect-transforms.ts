import { Stream } from 'node:stream';
import { isGirderConnection } from '../../girder/girder-connection.js';
import {
  BindMountVolume,
  ChunkedTransferEncodingStream,
  Connect,
  HostFile,
  NamedPipe,
  TemporaryVolume,
} from '../../transforms/index.js';
import type { HostAccess } from './path-rules.js';

/** A place on the host, or a URL, that a message's transforms would make the worker use. */
export type Reach =
  | { kind: 'path'; field: string; hostPath: string; access: HostAccess }
  | { kind: 'url'; field: string; url: string };

/**
 * Everything the transforms in `roots` reach, wherever they are: as resolveArgs walks arguments
 * (arrays, plain objects, any depth), and further into transforms' and hooks' own fields (a
 * VolumePath's volume, a Connect's ends, a hook's Girder connection), since each of those is
 * resolved too. Node streams are the caller's own and are not entered.
 */
export function collectReach(roots: readonly (readonly [field: string, value: unknown])[]): Reach[] {
  const found: Reach[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown, field: string, role?: 'source' | 'sink'): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    if (node instanceof Stream || ArrayBuffer.isView(node)) return;
    seen.add(node);
    reachOf(node, field, role, found);
    if (node instanceof Connect) {
      walk(node.input, `${field}.input`, 'source');
      walk(node.output, `${field}.output`, 'sink');
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${field}[${i}]`));
      return;
    }
    for (const [key, value] of Object.entries(node)) walk(value, `${field}.${key}`);
  };
  for (const [field, value] of roots) walk(value, field);
  return found;
}

function reachOf(node: object, field: string, role: 'source' | 'sink' | undefined, found: Reach[]): void {
  if (node instanceof BindMountVolume) {
    found.push({ kind: 'path', field: `${field}.hostPath`, hostPath: node.hostPath, access: node.mode });
  } else if (node instanceof TemporaryVolume && node.hostDir !== undefined) {
    found.push({ kind: 'path', field: `${field}.hostDir`, hostPath: node.hostDir, access: 'create' });
  } else if (node instanceof NamedPipe && node.hostDir !== undefined) {
    found.push({ kind: 'path', field: `${field}.hostPath`, hostPath: node.hostDir, access: 'create' });
  } else if (node instanceof HostFile) {
    found.push({
      kind: 'path',
      field: `${field}.path`,
      hostPath: node.path,
      access: role === 'source' ? 'ro' : 'rw',
    });
  } else if (node instanceof ChunkedTransferEncodingStream) {
    found.push({ kind: 'url', field: `${field}.url`, url: node.url });
  } else if (isGirderConnection(node)) {
    found.push({ kind: 'url', field: `${field}.apiUrl`, url: node.apiUrl });
  }
}
