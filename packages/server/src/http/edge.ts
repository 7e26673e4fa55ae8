import { CharterError, jsonProblem, stringProblem, JSON_DEPTH_LIMIT, type Issue } from '@charter/core';
import type { Ajv, ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';

/**
 * The edge: what every request must satisfy before any route sees it, in one place. Everything
 * here is input from anyone on the network, authenticated or not.
 *
 * - JSON bodies nest at most JSON_DEPTH_LIMIT levels and hold no U+0000 or lone surrogate in
 *   any string or member name (PostgreSQL cannot store a NUL; a lone surrogate is not text).
 * - Query and path parameters obey the same string rule.
 * - Integer parameters are plain decimal (no `0x1`, `1e3`, `+1`, ` 1`) and within the safe
 *   integer range, whatever the route's schema says.
 * - A client's X-Request-Id is kept only if short and plain; otherwise the server makes one.
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The client's request id if it is at most 64 of [A-Za-z0-9._:-], else a fresh UUID. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

function malformed(issues: Issue[], what: string): CharterError {
  return new CharterError('MALFORMED_REQUEST', `the request ${what} is invalid: ${issues.map((i) => `${i.pointer || '/'} ${i.detail}`).join('; ')}`, { errors: issues });
}

/** The problem with a parsed JSON body, as a 400 with a pointer into the body, or null. */
export function bodyProblem(body: unknown): CharterError | null {
  const p = jsonProblem(body, { maxDepth: JSON_DEPTH_LIMIT });
  return p ? malformed([{ pointer: p.pointer, code: 'MALFORMED_REQUEST', detail: p.detail }], 'body') : null;
}

function stringsProblem(values: unknown, part: 'querystring' | 'params'): Issue | null {
  if (!values || typeof values !== 'object') return null;
  for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
    const kp = stringProblem(k);
    if (kp) return { pointer: `/${part}`, code: 'MALFORMED_REQUEST', detail: `a parameter name ${kp}` };
    for (const s of Array.isArray(v) ? v : [v]) {
      const sp = typeof s === 'string' ? stringProblem(s) : null;
      if (sp) return { pointer: `/${part}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, code: 'MALFORMED_REQUEST', detail: sp };
    }
  }
  return null;
}

/** Installs the body parser and the parameter hook on the root instance (children inherit both). */
export function installEdge(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    parse(req, text as string, (err: Error | null, body?: unknown) => {
      if (err) return done(err, undefined);
      const problem = bodyProblem(body);
      return problem ? done(problem, undefined) : done(null, body);
    });
  });

  app.addHook('onRequest', async (req: FastifyRequest) => {
    const issue = stringsProblem(req.params, 'params') ?? stringsProblem(req.query, 'querystring');
    if (issue) throw malformed([issue], issue.pointer.startsWith('/params') ? 'path' : 'query');
  });
}

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Compiles a schema for a query string, path or headers with coercion, guarded so that a
 * numeric parameter must be written as a plain decimal and an integer must be a safe integer:
 * Ajv's coercion alone takes `0x1`, `1e400` and ` 1` for numbers.
 */
export function compileParams(ajv: Ajv, schema: Record<string, unknown>): ValidateFunction {
  const inner = ajv.compile(schema);
  const numeric = new Map<string, 'integer' | 'number'>();
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown; anyOf?: unknown }>;
  for (const [name, s] of Object.entries(props)) {
    if (s.type === 'integer' || s.type === 'number') numeric.set(name, s.type);
  }
  if (numeric.size === 0) return inner;
  const guarded = ((data: unknown) => {
    const errors = [];
    if (data && typeof data === 'object') {
      for (const [name, kind] of numeric) {
        const v = (data as Record<string, unknown>)[name];
        if (v === undefined) continue;
        for (const s of Array.isArray(v) ? v : [v]) {
          if (typeof s !== 'string') continue;
          if (!(kind === 'integer' ? DECIMAL : NUMBER).test(s)) {
            errors.push({ instancePath: `/${name}`, keyword: 'type', params: { type: kind }, message: `must be a plain decimal ${kind} (digits only, no sign other than -, no exponent or hex)`, schemaPath: '' });
          } else if (kind === 'integer' && !Number.isSafeInteger(Number(s))) {
            errors.push({ instancePath: `/${name}`, keyword: 'maximum', params: { limit: Number.MAX_SAFE_INTEGER }, message: `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`, schemaPath: '' });
          }
        }
      }
    }
    if (errors.length > 0) {
      guarded.errors = errors;
      return false;
    }
    const ok = inner(data);
    guarded.errors = inner.errors;
    return ok;
  }) as ValidateFunction;
  guarded.schema = inner.schema;
  return guarded;
}
