import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DeployCheckBody, PUBLIC_READ, READ_PROBLEMS, responses, AdmissionClusterParams, AdmissionQuery, AdmissionReviewRequest, AdmissionTimeoutQuery, AdmissionReviewResponse, ProviderQuery, ProviderRequest, ProviderResponse, type AdmissionReviewRequest as Review } from '@charter/api';
import { CharterError } from '@charter/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { Admission, Outcome, Webhook } from '../admission/admission.js';
import { parseTimeout } from '../admission/admission.js';
import type { GatekeeperProvider } from '../admission/gatekeeper.js';
import type { Artifacts } from '../artifacts/artifacts.js';
import type { Auth } from '../auth/auth.js';
import type { Metrics } from './metrics.js';
import { ajvIssues, BODY_PROBLEMS, invalidRequest, problem, statusFor, type Problem } from './problem.js';
import { header, readBody } from './raw-request.js';


/** Counts admissions by webhook and outcome: allowed ones are counted here, never logged. */
export function admissionCounter(metrics: Metrics): (webhook: Webhook, outcome: Outcome | 'error') => void {
  const counter = new Counter({ name: 'charter_admission_reviews_total', help: 'Admission reviews answered, by webhook and outcome (allowed, denied, warned, skipped, error)', labelNames: ['webhook', 'outcome'] as const, registers: [metrics.registry] });
  const bound = new Map<string, { inc(): void }>();
  return (webhook, outcome) => {
    const key = `${webhook} ${outcome}`;
    let b = bound.get(key);
    if (!b) bound.set(key, (b = counter.labels(webhook, outcome)));
    b.inc();
  };
}

/** The webhook's answer for one review: the same function behind the router and the fast path. */
async function answerReview(admission: Admission, count: ReturnType<typeof admissionCounter>, webhook: Webhook, query: { cluster: string; timeout?: string | undefined }, body: Review) {
  try {
    const timeout = parseTimeout(query.timeout);
    // Leave the API server a fifth of its own timeout to read the answer.
    const { answer, outcome } = await admission.review(webhook, query.cluster, body, timeout === undefined ? undefined : timeout * 0.8);
    count(webhook, outcome);
    return answer;
  } catch (err) {
    count(webhook, 'error');
    throw err;
  }
}

export function admissionRoutes(fastify: FastifyInstance, deps: { auth: Auth; admission: Admission; gatekeeper: GatekeeperProvider; count: ReturnType<typeof admissionCounter> }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reads = deps.auth.reads();
  for (const webhook of ['validate', 'mutate'] as const) {
    const summary = webhook === 'validate' ? 'Kubernetes validating admission webhook: only promoted, still-trusted digests run' : 'Kubernetes mutating admission webhook: pins tag-only images to digests (pin_digests), then judges them';
    const description = 'Takes and answers an admission.k8s.io/v1 AdmissionReview. A denial is allowed: false with status.code 403. An internal failure is HTTP 500 (never allowed: true): the webhook\'s failurePolicy decides.';
    const common = { tags: ['admission'], summary, security: PUBLIC_READ, body: AdmissionReviewRequest, response: responses({ 200: AdmissionReviewResponse }, [400, ...READ_PROBLEMS, 413, 415]) };
    app.post(`/admission/v1/${webhook}`, {
      preHandler: reads,
      schema: { ...common, operationId: webhook === 'validate' ? 'admissionValidate' : 'admissionMutate', description, querystring: AdmissionQuery },
      handler: async (req) => answerReview(deps.admission, deps.count, webhook, req.query, req.body),
    });
    app.post(`/admission/v1/${webhook}/:cluster`, {
      preHandler: reads,
      schema: { ...common, operationId: webhook === 'validate' ? 'admissionValidateCluster' : 'admissionMutateCluster', description: `${description} The cluster is in the path, the form a webhook configuration can use (its URL may not carry a query string).`, params: AdmissionClusterParams, querystring: AdmissionTimeoutQuery },
      handler: async (req) => answerReview(deps.admission, deps.count, webhook, { cluster: req.params.cluster, ...req.query }, req.body),
    });
  }

  app.post('/gatekeeper/v1beta1/provider', {
    preHandler: reads,
    schema: {
      operationId: 'gatekeeperProvider',
      tags: ['admission'],
      summary: 'Gatekeeper external data provider: one item per image reference with the deploy check for the environment',
      description: 'externaldata.gatekeeper.sh/v1beta1 ProviderRequest in, ProviderResponse out. A key that cannot be judged gets a per-key error; systemError is set only for an outage.',
      security: PUBLIC_READ,
      querystring: ProviderQuery,
      body: ProviderRequest,
      response: responses({ 200: ProviderResponse }, [400, ...READ_PROBLEMS, 404, 413, 415]),
    },
    handler: async (req) => deps.gatekeeper.provide(req.query.environment, req.body),
  });
}

/**
 * The two webhooks and the deploy check answered straight from node:http, ahead of the router,
 * like `POST /v1/check` (check-fast-path.ts): clusters call them for every pod. The same schemas
 * (compiled by the same Ajv setup), the same answer functions, the same problems and metrics as
 * the routed handlers. Anything unusual (another content type, a repeated query parameter,
 * --private-reads) is left to the router.
 */
export function admissionFastPath(opts: {
  admission: Admission;
  artifacts: Artifacts;
  count: ReturnType<typeof admissionCounter>;
  metrics: Metrics;
  compile: (schema: unknown) => ValidateFunction;
  bodyLimit: number;
  log: (err: unknown) => void;
}) {
  const { metrics, bodyLimit } = opts;
  const validateReview = opts.compile(AdmissionReviewRequest);
  const validateQuery = opts.compile(AdmissionQuery);
  const validateCheck = opts.compile(DeployCheckBody);

  const send = (res: ServerResponse, route: string, status: number, type: string, body: string, started: bigint): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    metrics.observe('POST', route, status, Number(process.hrtime.bigint() - started) / 1e9);
  };
  const sendProblem = (req: IncomingMessage, res: ServerResponse, route: string, p: Problem, started: bigint): void => {
    const id = header(req, 'x-request-id');
    p.request_id = typeof id === 'string' && id.length > 0 ? id : randomUUID();
    send(res, route, p.status, 'application/problem+json; charset=utf-8', JSON.stringify(p), started);
  };
  const fail = (req: IncomingMessage, res: ServerResponse, route: string, err: unknown, started: bigint): void => {
    if (err instanceof CharterError) {
      const status = statusFor(err.code);
      if (status >= 500) opts.log(err);
      return sendProblem(req, res, route, problem(err.code, err.message, err.errors, err.extra ?? {}), started);
    }
    opts.log(err);
    sendProblem(req, res, route, problem('INTERNAL', 'an internal error occurred; it has been logged with this request id'), started);
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const m = /^\/admission\/v1\/(validate|mutate)(?:\/([^/]+))?$/.exec(path);
    const webhook = m ? (m[1] as Webhook) : null;
    if (webhook === null && path !== '/v1/artifacts/check') return false;
    const route = m?.[2] === undefined ? path : `/admission/v1/${webhook}/:cluster`;
    if (webhook === null && q >= 0) return false;
    const type = header(req, 'content-type');
    if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) return false;
    const query: Record<string, string> = {};
    if (q >= 0) {
      const params = new URLSearchParams(req.url.slice(q + 1));
      for (const [k, v] of params) {
        if (k in query || (m?.[2] !== undefined && k === 'cluster')) return false;
        query[k] = v;
      }
    }
    if (m?.[2] !== undefined) {
      try {
        query.cluster = decodeURIComponent(m[2]);
      } catch {
        return false;
      }
    }
    const started = process.hrtime.bigint();
    const at = webhook === null ? path : route;
    readBody(req, bodyLimit, (problemOrText) => {
      if (typeof problemOrText !== 'string') return sendProblem(req, res, at, problemOrText, started);
      let body: unknown;
      try {
        body = JSON.parse(problemOrText);
      } catch {
        return sendProblem(req, res, at, BODY_PROBLEMS.notJson(), started);
      }
      if (webhook === null) {
        if (!validateCheck(body)) return sendProblem(req, res, path, invalidRequest(ajvIssues(validateCheck.errors ?? [], 'body'), 'body'), started);
        const { digest, stage } = body as { digest: string; stage: string };
        opts.artifacts.deployChecks.verdict(digest, stage).then((v) => send(res, path, 200, 'application/json; charset=utf-8', v.json, started), (err: unknown) => fail(req, res, path, err, started));
        return;
      }
      if (!validateQuery(query)) {
        // The path form reports a bad cluster where the router would: in the path parameters.
        const part = m?.[2] !== undefined && (validateQuery.errors ?? []).some((e) => e.instancePath === '/cluster') ? 'params' : 'querystring';
        return sendProblem(req, res, at, invalidRequest(ajvIssues(validateQuery.errors ?? [], part), part), started);
      }
      if (!validateReview(body)) return sendProblem(req, res, at, invalidRequest(ajvIssues(validateReview.errors ?? [], 'body'), 'body'), started);
      answerReview(opts.admission, opts.count, webhook, query as { cluster: string }, body as Review).then(
        (answer) => send(res, at, 200, 'application/json; charset=utf-8', JSON.stringify(answer), started),
        (err: unknown) => fail(req, res, at, err, started),
      );
    });
    return true;
  };
}
