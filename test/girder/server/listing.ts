// Helpers shared by the item and folder routes: Mongo-like text search and metadata checks.
import { ValidationError } from './errors.js';

/** A stand-in for Mongo's $text search: every word must appear in the name or description. */
export function textMatches(doc: { name: string; description: string }, text: string): boolean {
  const haystack = `${doc.name} ${doc.description}`.toLowerCase();
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/** Model.validateKeys, as setMetadata applies it. */
export function applyMetadata(meta: Record<string, unknown>, metadata: Record<string, unknown>): void {
  for (const key of Object.keys(metadata)) {
    if (!key) throw new ValidationError('Key names must not be empty.');
    if (key.includes('.'))
      throw new ValidationError(`Invalid key ${key}: keys must not contain the "." character.`);
    if (key.startsWith('$'))
      throw new ValidationError(`Invalid key ${key}: keys must not start with the "$" character.`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null) delete meta[key];
    else meta[key] = value;
  }
}
