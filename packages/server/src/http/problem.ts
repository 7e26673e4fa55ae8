import { BaseError, CharterError, EvidenceError, type ErrorCode, type Issue } from '@charter/core';
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The only place that knows the HTTP status and title of each error code. The compiler holds it
 * total and exact (`satisfies Record<ErrorCode, …>`: a code without a row, or a row without a
 * code, does not build); docs/errors.md repeats it with what to do, and a test holds the two equal.
 */
export const ERRORS = {
  MALFORMED_REQUEST: { status: 400, title: 'Malformed request' },
  MALFORMED_URL: { status: 400, title: 'Malformed URL' },
  URI_TOO_LONG: { status: 414, title: 'URI too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'Unavailable' },
  MALFORMED_REF: { status: 400, title: 'Malformed reference' },
  INVALID_ID: { status: 400, title: 'Invalid ID' },
  INVALID_SPEC: { status: 422, title: 'Invalid spec' },
  INVALID_ENTRY: { status: 422, title: 'Invalid entry' },
  UNKNOWN_FAMILY: { status: 404, title: 'Unknown family' },
  UNKNOWN_ENTRY: { status: 404, title: 'Unknown entry' },
  UNKNOWN_REVISION: { status: 404, title: 'Unknown revision' },
  ENTRY_EXISTS: { status: 409, title: 'Entry exists' },
  ID_REUSED: { status: 422, title: 'ID reused' },
  NAMESPACE_DENIED: { status: 403, title: 'Namespace denied' },
  NAMESPACE_TAKEN: { status: 422, title: 'Namespace taken' },
  OWNER_UNKNOWN: { status: 422, title: 'Unknown owner' },
  REFERENCE_UNRESOLVED: { status: 422, title: 'Unresolved reference' },
  REFERENCE_WRONG_FAMILY: { status: 422, title: 'Reference to the wrong family' },
  REFERENCE_DEPRECATED: { status: 422, title: 'Reference to a deprecated entry' },
  ILLEGAL_TRANSITION: { status: 422, title: 'Illegal lifecycle transition' },
  DEPRECATION_NEEDS_REPLACEMENT: { status: 422, title: 'Deprecation needs a replacement' },
  REFERENCED_BY_ACTIVE: { status: 422, title: 'Referenced by active entries' },
  FROZEN_FIELD: { status: 422, title: 'Frozen field' },
  IMMUTABLE_FIELD: { status: 422, title: 'Immutable field' },
  UNUSABLE_ENTRY: { status: 422, title: 'Unusable entry' },
  REVISION_MISMATCH: { status: 409, title: 'Revision mismatch' },
  DUPLICATE_OPERATION: { status: 422, title: 'Duplicate operation' },
  CHANGESET_INVALID: { status: 422, title: 'Invalid change set' },
  SELF_APPROVAL: { status: 403, title: 'Self-approval' },
  CHANGESET_STATE: { status: 409, title: 'Change set in the wrong state' },
  REVIEW_CONFLICT: { status: 409, title: 'Change set reviewed concurrently' },
  AUTHOR_REVOKED: { status: 409, title: 'Author no longer authorized' },
  INVALID_TOKEN_REQUEST: { status: 422, title: 'Invalid token request' },
  GRANT_DENIED: { status: 403, title: 'Beyond the grantor\'s reach' },
  AUDIT_ACTION_UNAVAILABLE: { status: 403, title: 'Audit action unavailable' },
  ARTIFACT_CONFLICT: { status: 409, title: 'Artifact conflict' },
  INVALID_EVIDENCE: { status: 422, title: 'Invalid evidence' },
  MALFORMED_ENVELOPE: { status: 422, title: 'Malformed envelope' },
  UNSUPPORTED_PAYLOAD_TYPE: { status: 422, title: 'Unsupported payload type' },
  MALFORMED_STATEMENT: { status: 422, title: 'Malformed statement' },
  SUBJECT_MISMATCH: { status: 422, title: 'Subject mismatch' },
  DIGEST_NOT_LOWERCASE: { status: 422, title: 'Digest not lowercase hex' },
  DUPLICATE_MEMBER: { status: 422, title: 'Duplicate member name' },
  INVALID_DIGEST: { status: 422, title: 'Invalid digest' },
  INVALID_KEY: { status: 422, title: 'Invalid key' },
  UNKNOWN_EVIDENCE_TYPE: { status: 422, title: 'Unknown evidence type' },
  UNKNOWN_STAGE: { status: 422, title: 'Unknown stage' },
  INVALID_POLICY: { status: 422, title: 'Invalid promotion policy' },
  INVALID_DURATION: { status: 422, title: 'Invalid duration' },
  PROMOTION_DENIED: { status: 403, title: 'Promotion denied' },
  EVIDENCE_LIMIT: { status: 409, title: 'Evidence limit reached' },
  INVALID_IMAGE_REF: { status: 400, title: 'Invalid image reference' },
  IMAGE_DIGEST_MISMATCH: { status: 409, title: 'Image digest mismatch' },
  MANIFEST_UNKNOWN: { status: 422, title: 'Manifest unknown' },
  REGISTRY_UNREACHABLE: { status: 502, title: 'Registry unreachable' },
  REGISTRY_DENIED: { status: 502, title: 'Registry denied access' },
  REGISTRY_ERROR: { status: 502, title: 'Registry error' },
  REGISTRY_COPY_FAILED: { status: 502, title: 'Registry copy failed' },
  INVALID_MANIFEST: { status: 422, title: 'Invalid manifest' },
  NOT_IN_CONTRACT: { status: 422, title: 'Not in the contract' },
  INVALID_USAGE: { status: 422, title: 'Invalid usage record' },
  INVALID_NOTIFICATION: { status: 422, title: 'Invalid notification' },
  INVALID_ARGUMENT: { status: 400, title: 'Invalid argument' },
  INVALID_PROOF: { status: 422, title: 'Invalid proof' },
  MISSING_NODE: { status: 500, title: 'Missing tree node' },
  INVALID_CHECKPOINT: { status: 422, title: 'Invalid checkpoint' },
  INVALID_NOTE: { status: 422, title: 'Invalid signed note' },
  // An admission that could not be decided (database down, deadline passed): never an answer, so the cluster's failurePolicy decides.
  ADMISSION_FAILED: { status: 500, title: 'Admission could not be decided' },
} as const satisfies Record<ErrorCode, { status: 400 | 401 | 403 | 404 | 408 | 409 | 413 | 414 | 415 | 422 | 431 | 500 | 502 | 503; title: string }>;

export function statusFor(code: ErrorCode): number {
  return ERRORS[code].status;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  errors: Issue[];
  request_id?: string;
  [extra: string]: unknown;
}

/** The problem for `code`: its status and title come from the table, never from the caller. */
export function problem(code: ErrorCode, detail: string, errors: Issue[] = [], extra: Record<string, unknown> = {}): Problem {
  return {
    type: `urn:charter:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: ERRORS[code].title,
    status: ERRORS[code].status,
    code,
    detail,
    errors,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  p.request_id = String(reply.request.id);
  return reply.code(p.status).type('application/problem+json').header('x-content-type-options', 'nosniff').send(p);
}

/**
 * Requests Node's HTTP parser refuses before any route sees them: a request line longer than the
 * header limit (414), headers over it (431), a timeout (408), anything else that is not HTTP
 * (400). Fastify's default answers these with its own JSON; this answers a problem.
 */
export function clientErrorHandler(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let p: Problem;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    // When the request line alone is over the limit, the URI is what is too long.
    const raw: unknown = err.rawPacket;
    const line = Buffer.isBuffer(raw) ? (raw.indexOf('\r\n') === -1 ? raw.length : raw.indexOf('\r\n')) : 0;
    p = line < maxHeaderSize ? problem('HEADERS_TOO_LARGE', 'the request headers are larger than this server accepts') : problem('URI_TOO_LONG', 'the request URI is longer than this server accepts');
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    p = problem('REQUEST_TIMEOUT', 'the request was not received in time');
  } else {
    p = problem('MALFORMED_REQUEST', 'the request is not valid HTTP/1.1', [{ pointer: '', code: 'MALFORMED_REQUEST', detail: err.code ?? 'parse error' }]);
  }
  p.request_id = randomUUID();
  const body = JSON.stringify(p);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? ''}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
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

export function errorHandler(err: FastifyError | BaseError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof CharterError) {
    if (err.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="charter"');
    return sendProblem(reply, problem(err.code, err.message, err.errors, err.extra ?? {}));
  }
  // Core's other errors (policy, evidence, audit proofs) carry codes from the same closed set.
  if (err instanceof BaseError) {
    const pointer = err instanceof EvidenceError ? err.pointer : '';
    return sendProblem(reply, problem(err.code, err.message, [{ pointer, code: err.code, detail: err.message }]));
  }
  const fe = err as FastifyError;
  if (fe.validation) return sendProblem(reply, invalidRequest(validationIssues(fe), fe.validationContext ?? 'body'));
  const framework = frameworkProblem(fe);
  if (framework) return sendProblem(reply, framework);
  req.log.error({ err }, 'unhandled error');
  return sendProblem(reply, problem('INTERNAL', 'an internal error occurred; it has been logged with this request id'));
}

/** Fastify's own errors, as problems with codes from the catalogue; null for a real fault. */
export function frameworkProblem(fe: FastifyError): Problem | null {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return BODY_PROBLEMS.tooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return problem('UNSUPPORTED_MEDIA_TYPE', 'this operation does not read that Content-Type; send JSON with Content-Type: application/json (evidence also takes the in-toto and Sigstore bundle media types)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return BODY_PROBLEMS.empty();
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return BODY_PROBLEMS.notJson();
    case 'FST_ERR_BAD_URL':
      return problem('MALFORMED_URL', 'the URL is not valid percent-encoded UTF-8', [{ pointer: '', code: 'MALFORMED_URL', detail: 'bad percent-encoding' }]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('URI_TOO_LONG', 'a path parameter is longer than this server accepts');
  }
  if (fe instanceof SyntaxError || (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)) {
    return problem('MALFORMED_REQUEST', `the request is malformed: ${fe.message}`, [{ pointer: '', code: 'MALFORMED_REQUEST', detail: fe.message }]);
  }
  return null;
}

/** Problems with a request body as such, the same on every path that reads one. */
export const BODY_PROBLEMS = {
  tooLarge: () => problem('PAYLOAD_TOO_LARGE', 'the request body is larger than this server accepts'),
  empty: () => problem('MALFORMED_REQUEST', 'the request body is empty; send a JSON document', [{ pointer: '', code: 'MALFORMED_REQUEST', detail: 'empty body' }]),
  notJson: () => problem('MALFORMED_REQUEST', 'the request body is not valid JSON (Content-Type says application/json)', [{ pointer: '', code: 'MALFORMED_REQUEST', detail: 'not JSON' }]),
};

/** The 400 for a request that does not match its schema. */
export function invalidRequest(issues: Issue[], part: string): Problem {
  return problem('MALFORMED_REQUEST', `the request ${part} is invalid: ${issues.map((i) => `${i.pointer || '/'} ${i.detail}`).join('; ')}`, issues);
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, problem('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
}
