// The exceptions of girder/exceptions.py and how girder/api/rest.py's endpoint decorator turns each
// into a status and a JSON body:
//   RestException       -> its code (default 400), {"message", "type": "rest"}
//   ValidationException -> 400, {"message", "type": "validation", "field"?}
//   AccessException     -> 401 when no user is resolved for the request, else 403; {"message", "type": "access"}
//   GirderException     -> 500, {"message", "type": "girder", "identifier"?}
//   anything else       -> 500, {"message": "An unexpected error occurred on the server.", "type": "internal", "uid"} (production mode)

export class RestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class ValidationError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The status (401 or 403) is decided when the error is answered, from whether the request has a user. */
export class AccessError extends Error {}

export class GirderInternalError extends Error {
  constructor(
    message: string,
    readonly identifier?: string,
  ) {
    super(message);
  }
}

export interface ErrorAnswer {
  status: number;
  body: Record<string, unknown>;
}

export function errorAnswer(err: unknown, hasUser: boolean, requestUid: string): ErrorAnswer {
  if (err instanceof RestError) return { status: err.status, body: { message: err.message, type: 'rest' } };
  if (err instanceof ValidationError) {
    const body: Record<string, unknown> = { message: err.message, type: 'validation' };
    if (err.field !== undefined) body.field = err.field;
    return { status: 400, body };
  }
  if (err instanceof AccessError) {
    return { status: hasUser ? 403 : 401, body: { message: err.message, type: 'access' } };
  }
  if (err instanceof GirderInternalError) {
    const body: Record<string, unknown> = { message: err.message, type: 'girder' };
    if (err.identifier !== undefined) body.identifier = err.identifier;
    return { status: 500, body };
  }
  return { status: 500, body: internalErrorBody(requestUid) };
}

export function internalErrorBody(requestUid: string): Record<string, unknown> {
  return { message: 'An unexpected error occurred on the server.', type: 'internal', uid: requestUid };
}

/** Resource._matchRoute: a RestException with the default code, so 400, not 404. */
export function noMatchingRoute(method: string, segments: readonly string[]): RestError {
  return new RestError(`No matching route for "${method.toUpperCase()} ${segments.join('/')}"`);
}
