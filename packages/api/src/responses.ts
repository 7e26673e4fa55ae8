import type { TSchema } from 'typebox';

// How operations declare their answers. Plain functions over plain objects, with no TypeBox at
// run time: the server loads the wire schemas as emitted JSON (dist/wire.js) and these beside them.

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A response body that is a success, with its media type and description. */
export function content<T extends TSchema>(schema: T, mediaType = 'application/json', description = 'OK') {
  return { description, content: { [mediaType]: { schema } } };
}

/** The problem statuses an operation may declare. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 414 | 415 | 422 | 429 | 502 | 503;

const DESCRIPTIONS: Record<ProblemStatus | '5XX', string> = {
  400: 'Malformed request: the body, a parameter or the query string does not match its schema',
  401: 'No valid bearer token',
  403: 'The token lacks the scope, or the act is not allowed for this principal',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'The request body is larger than this server accepts',
  414: 'A path parameter (or the URL) is longer than this server accepts',
  415: 'The Content-Type is not one this operation reads',
  422: 'Well-formed, but the registry refuses it',
  429: 'Too many requests',
  502: 'An OCI registry failed or refused: the problem names the registry, the repository and its HTTP status',
  503: 'A dependency (the database) does not answer',
  '5XX': 'Internal error; logged with the request id',
};

/** A response that carries a problem (shared component `Problem`, or a schema extending it). */
export function problemResponse(status: ProblemStatus | '5XX', schema: TSchema | { $ref: string } = { $ref: 'Problem#' }, description = DESCRIPTIONS[status]) {
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema } } };
}

type ProblemResponses<P extends ProblemStatus> = { [K in P]: ReturnType<typeof problemResponse> } & { '5xx': ReturnType<typeof problemResponse> };

/**
 * The response map of an operation: its successes (a schema, or `{description, content}`) and
 * the problems it can answer. Every operation can answer 5XX; the rest are named by the route.
 */
export function responses<S extends Record<number, unknown>, P extends ProblemStatus = never>(success: S, problems: readonly P[] = []): S & ProblemResponses<P> {
  const out: Record<string, unknown> = { ...success };
  for (const p of problems) out[p] = problemResponse(p);
  out['5xx'] = problemResponse('5XX');
  return out as S & ProblemResponses<P>;
}
