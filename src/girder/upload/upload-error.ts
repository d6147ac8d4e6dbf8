import type { LongshoreErrorOptions } from '../../core/errors.js';
import { GirderError } from '../errors.js';

/**
 * An upload to Girder could not be done for a reason on longshore's side: the local path is not
 * a regular file, a stream broke and cannot be replayed, a file changed while it was sent, or a
 * stream ended before (or ran past) the size announced to Girder. Refusals from Girder itself
 * are `GirderHttpError`s.
 */
export class GirderUploadError extends GirderError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_GIRDER_UPLOAD', message, options);
  }
}
