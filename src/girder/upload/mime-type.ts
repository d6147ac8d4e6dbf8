import path from 'node:path';

/**
 * The MIME type girder_client sends for a file (`mimetypes.guess_type`), from its extension, for
 * the types tasks commonly produce. Unknown extensions send no `mimeType`, as Python does
 * (Girder then stores none).
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.md': 'text/markdown',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.py': 'text/x-python',
  '.sh': 'application/x-sh',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.webp': 'image/webp',
  '.zip': 'application/zip',
  '.tar': 'application/x-tar',
  '.mp4': 'video/mp4',
  '.avi': 'video/x-msvideo',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/x-wav',
  '.bin': 'application/octet-stream',
};

/** Compression suffixes: Python reports them as an encoding, and the type is the inner one's. */
const ENCODINGS = new Set(['.gz', '.bz2', '.xz', '.z', '.br']);

/** The MIME type of `name` by its extension, or undefined (no `mimeType` parameter is sent). */
export function guessMimeType(name: string): string | undefined {
  let extension = path.extname(name).toLowerCase();
  if (ENCODINGS.has(extension)) extension = path.extname(name.slice(0, -extension.length)).toLowerCase();
  return BY_EXTENSION[extension];
}
