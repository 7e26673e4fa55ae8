import { createHash } from 'node:crypto';
import { CharterError, signatureTrust } from '@charter/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DIGEST_PATTERN, type Artifacts } from '../artifacts/artifacts.js';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { statusFor } from '../http/problem.js';
import { errorPage, explainPage, listPage, trustOf, type ListRow } from './pages.js';
import { STYLE } from './style.js';

const DIGEST = new RegExp(DIGEST_PATTERN);
const PRODUCT = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const PAGE = 50;

const TITLES: Record<number, string> = { 400: 'Bad request', 401: 'Token needed', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 422: 'Cannot be shown', 500: 'Internal error', 503: 'Unavailable' };

/**
 * Pages load nothing and run nothing: the only thing the browser may apply is our own stylesheet,
 * so even markup that slipped through escaping could not execute.
 */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE.toString()).digest('base64')}'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    // Trust is computed per view against the live registry; a cached "trusted" page would lie after a revocation.
    .header('cache-control', 'no-store')
    .send(page);
}

function htmlError(err: FastifyError | CharterError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let status = 500;
  let detail = 'An internal error occurred; it has been logged with this request id.';
  if (err instanceof CharterError) {
    status = statusFor(err.code);
    detail = err.message;
  } else {
    const fe = err as FastifyError;
    if (fe.validation || err instanceof SyntaxError) status = 400;
    else if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) status = fe.statusCode;
    if (status < 500) detail = err.message;
  }
  if (status >= 500) req.log.error({ err }, 'unhandled error');
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="charter"');
  const hint =
    status === 401
      ? 'This server keeps its catalog private (--private-reads): pages and reads need a bearer token with platform.registry.read, sent as "Authorization: Bearer charter_…".'
      : status >= 500
        ? `Request id ${String(req.id)}.`
        : undefined;
  return sendPage(reply, status, errorPage(status, TITLES[status] ?? 'Error', detail, hint));
}

/**
 * Server-rendered pages for people (DESIGN §6: explain "on a web page"): the artifact list and one
 * page per artifact explaining its trust. Same data and the same read rule as the JSON routes.
 */
export function webRoutes(app: FastifyInstance, deps: { auth: Auth; artifacts: Artifacts; registry: Registry }): void {
  const { artifacts, registry } = deps;
  const reads = deps.auth.reads();
  app.register(
    async (ui) => {
      ui.setErrorHandler(htmlError);
      ui.setNotFoundHandler((req, reply) => sendPage(reply, 404, errorPage(404, 'Not found', `There is no page at ${req.url.split('?')[0]}.`)));

      ui.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/artifacts', 302));

      ui.get<{ Querystring: Record<string, string | undefined> }>('/artifacts', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const product = req.query.product?.trim() || null;
        const cursor = req.query.cursor || null;
        if (product !== null && (!PRODUCT.test(product) || product.length > 128)) throw new CharterError('MALFORMED_REQUEST', `'${product}' is not a product ID`);
        if (cursor !== null && !DIGEST.test(cursor)) throw new CharterError('MALFORMED_REQUEST', `the cursor '${cursor}' is not a digest`);
        const found = await artifacts.list({ ...(product ? { product } : {}), ...(cursor ? { after: cursor } : {}), limit: PAGE + 1 });
        const page = found.slice(0, PAGE);
        const rows: ListRow[] = await Promise.all(
          page.map(async (artifact): Promise<ListRow> => {
            try {
              return { artifact, trust: trustOf((await artifacts.explain(artifact.digest)).explanation) };
            } catch (err) {
              return { artifact, trust: null, error: err instanceof Error ? err.message : String(err) };
            }
          }),
        );
        return sendPage(reply, 200, listPage(rows, { product, next: found.length > PAGE ? page[page.length - 1]!.digest : null }));
      });

      ui.get<{ Params: { digest: string } }>('/artifacts/:digest', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const { digest } = req.params;
        if (!DIGEST.test(digest)) {
          return sendPage(reply, 400, errorPage(400, 'Bad request', `'${digest}' is not an artifact digest.`, 'An artifact is named by its digest: sha256: followed by 64 lowercase hex characters.'));
        }
        const { artifact, explanation } = await artifacts.explain(digest);
        const state = await artifacts.stateFor(digest);
        const now = Date.parse(explanation.evaluated_at);
        const signerNow = (signer: string, evidenceType: string) => signatureTrust(registry.catalog, signer, evidenceType, now);
        return sendPage(reply, 200, explainPage({ artifact, explanation, evidence: state.evidence, approvals: state.approvals, decisions: state.decisions, signerNow }));
      });
    },
    { prefix: '/ui' },
  );
}
