import { CharterError, type ErrorCode, type Issue } from '@charter/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The only place that knows which HTTP status a domain error is. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  MALFORMED_REQUEST: 400,
  MALFORMED_REF: 400,
  INVALID_ID: 400,
  UNKNOWN_FAMILY: 404,
  UNKNOWN_ENTRY: 404,
  UNKNOWN_REVISION: 404,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SELF_APPROVAL: 403,
  AUDIT_ACTION_UNAVAILABLE: 403,
  NAMESPACE_DENIED: 403,
  CHANGESET_STATE: 409,
  ARTIFACT_CONFLICT: 409,
  PROMOTION_DENIED: 403,
  UNKNOWN_STAGE: 422,
  INVALID_EVIDENCE: 422,
  SUBJECT_MISMATCH: 422,
  UNKNOWN_EVIDENCE_TYPE: 422,
  UNUSABLE_ENTRY: 422,
  REVISION_MISMATCH: 409,
  ENTRY_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable change',
  500: 'Internal error',
  503: 'Unavailable',
};

export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 422;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors: Issue[];
  request_id?: string;
  [extra: string]: unknown;
}

export function problem(status: number, code: string, detail: string, errors: Issue[] = [], extra: Record<string, unknown> = {}): Problem {
  return {
    type: `urn:charter:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    errors,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  p.request_id = String(reply.request.id);
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Fastify validation errors carry Ajv errors; turn them into pointers into the request part. */
function validationIssues(err: FastifyError): Issue[] {
  return ajvIssues(err.validation ?? [], err.validationContext ?? 'body');
}

/** Ajv errors as issues with JSON pointers into the request part (the body is the root). */
export function ajvIssues(errors: readonly { instancePath: string; keyword: string; params: unknown; message?: string | undefined }[], part: string): Issue[] {
  const root = part === 'body' ? '' : `/${part}`;
  return errors.map((v) => {
    const params = v.params as Record<string, unknown>;
    let at = v.instancePath;
    if (v.keyword === 'required') at += `/${String(params.missingProperty)}`;
    if (v.keyword === 'additionalProperties') at += `/${String(params.additionalProperty)}`;
    const detail = v.keyword === 'additionalProperties' ? `'${String(params.additionalProperty)}' is not allowed here` : (v.message ?? 'is invalid');
    return { pointer: root + at, code: 'MALFORMED_REQUEST' as const, detail };
  });
}

export function errorHandler(err: FastifyError | CharterError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof CharterError) {
    const status = statusFor(err.code);
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="charter"');
    return sendProblem(reply, problem(status, err.code, err.message, err.errors, err.extra ?? {}));
  }
  const fe = err as FastifyError;
  if (fe.validation) return sendProblem(reply, invalidRequest(validationIssues(fe), fe.validationContext ?? 'body'));
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, BODY_PROBLEMS.tooLarge());
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, BODY_PROBLEMS.empty());
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(reply, BODY_PROBLEMS.notJson());
  }
  if (err instanceof SyntaxError || fe.statusCode === 400) {
    return sendProblem(reply, problem(400, 'MALFORMED_REQUEST', `the request is malformed: ${err.message}`, [{ pointer: '', code: 'MALFORMED_REQUEST', detail: err.message }]));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendProblem(reply, problem(fe.statusCode, fe.code ?? 'BAD_REQUEST', err.message));
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(reply, problem(500, 'INTERNAL', 'an internal error occurred; it has been logged with this request id'));
}

/** Problems with a request body as such, the same on every path that reads one. */
export const BODY_PROBLEMS = {
  tooLarge: () => problem(413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than this server accepts'),
  empty: () => problem(400, 'MALFORMED_REQUEST', 'the request body is empty; send a JSON document', [{ pointer: '', code: 'MALFORMED_REQUEST', detail: 'empty body' }]),
  notJson: () => problem(400, 'MALFORMED_REQUEST', 'the request body is not valid JSON (Content-Type says application/json)', [{ pointer: '', code: 'MALFORMED_REQUEST', detail: 'not JSON' }]),
};

/** The 400 for a request that does not match its schema. */
export function invalidRequest(issues: Issue[], part: string): Problem {
  return problem(400, 'MALFORMED_REQUEST', `the request ${part} is invalid: ${issues.map((i) => `${i.pointer || '/'} ${i.detail}`).join('; ')}`, issues);
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, problem(404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
}
