import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ValidateFunction } from 'ajv';
import type { Registry } from '../registry/registry.js';
import type { Metrics } from './metrics.js';
import { bodyProblem, requestIdFrom } from './edge.js';
import { ajvIssues, BODY_PROBLEMS, invalidRequest, type Problem } from './problem.js';
import { header, readBody } from './raw-request.js';

/**
 * `POST /v1/check` served straight from node:http, ahead of the router: the fail-closed
 * question is the hot path of every shared service, and the framework's per-request work
 * (routing, hooks, request objects) costs more than the check itself (docs/benchmarks.md).
 * It answers exactly what the routed handler would: the same body schema (compiled by the same
 * Ajv setup), the same problems, the same metrics. Anything unusual — another content type, a
 * query string, --private-reads — goes to the router instead, untouched.
 */
export function checkFastPath(opts: { registry: Registry; metrics: Metrics; validate: ValidateFunction; bodyLimit: number }) {
  const { registry, metrics, validate, bodyLimit } = opts;

  const send = (res: ServerResponse, status: number, type: string, body: string, started: bigint): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
    res.end(body);
    metrics.observe('POST', '/v1/check', status, Number(process.hrtime.bigint() - started) / 1e9);
  };
  const sendProblem = (req: IncomingMessage, res: ServerResponse, p: Problem, started: bigint): void => {
    p.request_id = requestIdFrom(header(req, 'x-request-id'));
    send(res, p.status, 'application/problem+json; charset=utf-8', JSON.stringify(p), started);
  };

  // Services ask the same question over and over: an answer is reused for the same body while
  // the registry sequence is unchanged and no sunset or signer-validity boundary has passed
  // (Catalog.stableUntil) — exactly as long as it is still the answer.
  const answers = new Map<string, { sequence: number; until: number; json: string }>();
  const ANSWER_CACHE_ENTRIES = 1000;
  const CACHEABLE_BODY = 4096;

  /** Returns false when the request is not one it serves (the router takes it). */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== '/v1/check') return false;
    const type = header(req, 'content-type');
    if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) return false;
    const started = process.hrtime.bigint();
    readBody(req, bodyLimit, (text) => {
      if (typeof text !== 'string') return sendProblem(req, res, text, started);
      const now = registry.now().getTime();
      const hit = answers.get(text);
      if (hit && hit.sequence === registry.catalog.sequence && now < hit.until) {
        return send(res, 200, 'application/json; charset=utf-8', hit.json, started);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return sendProblem(req, res, BODY_PROBLEMS.notJson(), started);
      }
      const edge = bodyProblem(body);
      if (edge) return sendProblem(req, res, invalidRequest(edge.errors, 'body'), started);
      if (!validate(body)) return sendProblem(req, res, invalidRequest(ajvIssues(validate.errors ?? [], 'body'), 'body'), started);
      const refs = (body as { refs: string[] }).refs;
      const answer = registry.catalog.checkAll(refs, now);
      const json = JSON.stringify(answer);
      if (text.length <= CACHEABLE_BODY) {
        if (answers.size >= ANSWER_CACHE_ENTRIES) answers.clear();
        answers.set(text, { sequence: answer.sequence, until: registry.catalog.stableUntil(refs, now), json });
      }
      send(res, 200, 'application/json; charset=utf-8', json, started);
    });
    return true;
  };
}
