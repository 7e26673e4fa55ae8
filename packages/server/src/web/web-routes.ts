import { createHash, randomBytes } from 'node:crypto';
import { CharterError, FAMILIES, FAMILY_NAMES, idProblem, LIFECYCLES, SCOPES, signatureTrust, type Entry, type FamilyName } from '@charter/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DIGEST_PATTERN, type Artifacts } from '../artifacts/artifacts.js';
import { Auth } from '../auth/auth.js';
import { Sessions, type SignedIn } from '../auth/sessions.js';
import type { ChangeSets } from '../registry/changesets.js';
import type { Registry } from '../registry/registry.js';
import { statusFor } from '../http/problem.js';
import { decodeCursor as decodeChangesetCursor, encodeCursor as encodeChangesetCursor } from '../http/governance-routes.js';
import { errorPage, explainPage, listPage, trustOf, type Chrome, type ListRow } from './pages.js';
import { auditPage, changesetHref, changesetPage, changesetsPage, entriesPage, entryPage, familyPage, homePage, loginPage, signOutPage, type EntryQuery } from './portal.js';
import { STYLE } from './style.js';

const DIGEST = new RegExp(DIGEST_PATTERN);
const PRODUCT = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const CHANGESET = /^cs_[0-9a-f-]{36}$/;
const PAGE = 50;
/** History rows carry a field diff each: a shorter page. */
const HISTORY_PAGE = 25;
/** Each artifact row summarizes an evaluation over all its evidence: a shorter page. */
const ARTIFACT_PAGE = 25;
const SESSION_COOKIE = 'charter_session';
const LOGIN_COOKIE = 'charter_login';

const TITLES: Record<number, string> = { 400: 'Bad request', 401: 'Token needed', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 415: 'Unsupported form', 422: 'Cannot be shown', 500: 'Internal error', 503: 'Unavailable' };

/**
 * Pages load nothing and run nothing: the only thing the browser may apply is our own stylesheet,
 * so even markup that slipped through escaping could not execute.
 */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE.toString()).digest('base64')}'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

declare module 'fastify' {
  interface FastifyRequest {
    /** The portal session named by the request's cookie, if it is live. */
    portal: SignedIn | null;
  }
}

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

function chromeOf(req: FastifyRequest, section?: Chrome['section']): Chrome {
  const s = req.portal;
  return { signedIn: s ? { name: s.auth.principal.name, csrf: s.session.csrf } : null, ...(section ? { section } : {}) };
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
      ? 'This server keeps its catalog private (--private-reads): sign in with a token holding platform.registry.read, or send it as "Authorization: Bearer charter_…".'
      : status >= 500
        ? `Request id ${String(req.id)}.`
        : undefined;
  return sendPage(reply, status, errorPage(status, TITLES[status] ?? 'Error', detail, hint, chromeOf(req)));
}

function cookies(req: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

/** HttpOnly, SameSite=Strict, scoped to the pages; Secure when the request came over TLS. */
function cookie(req: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${req.protocol === 'https' ? '; Secure' : ''}`;
}

/** Only a path inside the portal is a place to return to after signing in. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ui\/[A-Za-z0-9/_.:%?=&@-]*$/.test(next) && !next.startsWith('//') ? next : '/ui/';
}

type Query = Record<string, string | undefined>;

function bad(detail: string, pointer: string): CharterError {
  return new CharterError('MALFORMED_REQUEST', detail, { errors: [{ pointer, code: 'MALFORMED_REQUEST', detail }] });
}

function intParam(value: string | undefined, name: string, max = 1_000_000_000): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > max) throw bad(`${name} must be a positive integer`, `/querystring/${name}`);
  return Number(value);
}

/**
 * The developer portal (DESIGN §11): server-rendered pages over the same use cases as the API,
 * readable with JavaScript off. Signed-in actions run the API's use cases with the API's scope
 * checks; every form carries the session's CSRF token.
 */
export function webRoutes(app: FastifyInstance, deps: { auth: Auth; sessions: Sessions; artifacts: Artifacts; registry: Registry; changesets: ChangeSets }): void {
  const { artifacts, registry, changesets, auth, sessions } = deps;
  const bearerReads = auth.reads();

  let sorted: { sequence: number; entries: Entry[] } = { sequence: -1, entries: [] };
  const sortedEntries = (): Entry[] => {
    if (sorted.sequence !== registry.catalog.sequence) {
      const entries = [...registry.catalog.entries()].sort((a, b) => (a.family === b.family ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.family < b.family ? -1 : 1));
      sorted = { sequence: registry.catalog.sequence, entries };
    }
    return sorted.entries;
  };

  /** Reads are public unless --private-reads; then a session holding platform.registry.read, or a bearer token, is needed. */
  const reads = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!auth.privateReads) return;
    if (req.portal) return Auth.demand(req.portal.auth, SCOPES.read);
    await bearerReads(req, reply);
  };

  /** A form post from a signed-in principal with the session's CSRF token, or 403. */
  const signedForm = (req: FastifyRequest): SignedIn => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!req.portal) throw new CharterError('FORBIDDEN', 'this form needs a signed-in session; sign in first');
    if (!Sessions.csrfMatches(req.portal.session.csrf, body.csrf)) throw new CharterError('FORBIDDEN', 'the form carried no valid CSRF token; reload the page and try again');
    return req.portal;
  };

  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/', 302));

  app.register(
    async (ui) => {
      ui.decorateRequest('portal', null);
      ui.setErrorHandler(htmlError);
      ui.setNotFoundHandler((req, reply) => sendPage(reply, 404, errorPage(404, 'Not found', `There is no page at ${req.url.split('?')[0]}.`, undefined, chromeOf(req))));
      ui.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
        const out: Record<string, string> = {};
        for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
        done(null, out);
      });
      ui.addHook('onRequest', async (req, reply) => {
        const secret = cookies(req).get(SESSION_COOKIE);
        if (!secret) return;
        req.portal = await sessions.resolve(secret);
        // A dead session (signed out, expired, token revoked): forget the cookie.
        if (!req.portal) reply.header('set-cookie', cookie(req, SESSION_COOKIE, '', 0));
      });

      ui.get('/', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        if (req.url.split('?')[0] === '/ui') return reply.redirect('/ui/', 302);
        const counts = new Map<string, number>();
        for (const e of sortedEntries()) counts.set(e.family, (counts.get(e.family) ?? 0) + 1);
        const families = FAMILY_NAMES.map((name) => ({ name, title: FAMILIES[name].title, description: FAMILIES[name].description, count: counts.get(name) ?? 0 }));
        const recent = await changesets.latestApplied(10);
        const products = sortedEntries().filter((e) => e.family === 'product').slice(0, PAGE);
        return sendPage(reply, 200, homePage({ families, products, recent, chrome: chromeOf(req, 'home') }));
      });

      ui.get<{ Params: { family: string } }>('/families/:family', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const name = req.params.family;
        if (!(FAMILY_NAMES as readonly string[]).includes(name)) throw new CharterError('NOT_FOUND', `there is no family '${name}'; the families are ${FAMILY_NAMES.join(', ')}`);
        const all = sortedEntries().filter((e) => e.family === name);
        return sendPage(reply, 200, familyPage({ def: FAMILIES[name as FamilyName], entries: all.slice(0, PAGE), total: all.length, now: registry.now().getTime(), chrome: chromeOf(req, 'home') }));
      });

      ui.get<{ Querystring: Query }>('/entries', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const q = (req.query.q ?? '').trim();
        const family = req.query.family ?? '';
        const lifecycle = req.query.lifecycle ?? '';
        const owner = (req.query.owner ?? '').trim();
        if (q.length > 200) throw bad('the search text is longer than 200 characters', '/querystring/q');
        if (owner.length > 128) throw bad('the owner is longer than 128 characters', '/querystring/owner');
        if (family && !(FAMILY_NAMES as readonly string[]).includes(family)) throw bad(`'${family}' is not a family`, '/querystring/family');
        if (lifecycle && !(LIFECYCLES as readonly string[]).includes(lifecycle)) throw bad(`'${lifecycle}' is not a lifecycle state`, '/querystring/lifecycle');
        const page = intParam(req.query.page, 'page', 1_000_000) ?? 1;
        const needle = q.toLowerCase();
        const matched: Entry[] = [];
        for (const e of sortedEntries()) {
          if (family && e.family !== family) continue;
          if (lifecycle && e.lifecycle !== lifecycle) continue;
          if (owner && e.owner !== owner) continue;
          if (needle && !(`${e.family}:${e.id}`.includes(needle) || e.title.toLowerCase().includes(needle))) continue;
          matched.push(e);
        }
        const query: EntryQuery = { q, family, owner, lifecycle, page };
        const items = matched.slice((page - 1) * PAGE, page * PAGE);
        return sendPage(reply, 200, entriesPage({ query, items, total: matched.length, pageSize: PAGE, now: registry.now().getTime(), families: FAMILY_NAMES, lifecycles: LIFECYCLES, chrome: chromeOf(req, 'entries') }));
      });

      ui.get<{ Params: { family: string; id: string }; Querystring: Query }>('/entries/:family/:id', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const { family, id } = req.params;
        if (!(FAMILY_NAMES as readonly string[]).includes(family)) throw new CharterError('NOT_FOUND', `there is no family '${family}'`);
        const idErr = idProblem(id);
        if (idErr) throw new CharterError('INVALID_ID', `'${id}': ${idErr}`);
        const current = registry.catalog.get(family as FamilyName, id);
        if (!current) throw new CharterError('UNKNOWN_ENTRY', `${family}:${id} is not in the registry`);
        const revision = intParam(req.query.revision, 'revision');
        const before = intParam(req.query.before, 'before');
        const [shown, rows, size] = await Promise.all([
          revision === undefined || revision === current.revision ? current : revision < current.revision ? registry.revision(current.family, id, revision).then((r) => r?.entry) : undefined,
          registry.history(current.family, id, { ...(before !== undefined ? { before } : {}), limit: HISTORY_PAGE + 1 }),
          registry.audit.size(),
        ]);
        if (!shown) throw new CharterError('UNKNOWN_REVISION', `${family}:${id} has no revision ${revision} (current is ${current.revision})`);
        const history = rows.slice(0, HISTORY_PAGE);
        const deps = registry.catalog
          .dependents(current.family, id)
          .map((d) => ({ key: `${d.family}:${d.id}`, d }))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .map((x) => x.d);
        return sendPage(
          reply,
          200,
          entryPage({
            current,
            shown,
            history,
            older: rows[HISTORY_PAGE] ?? null,
            nextCursor: rows.length > HISTORY_PAGE ? history[history.length - 1]!.revision : null,
            dependents: deps.slice(0, 100),
            dependentsTotal: deps.length,
            checkpointSize: size,
            now: registry.now().getTime(),
            chrome: chromeOf(req, 'entries'),
          }),
        );
      });

      ui.get<{ Querystring: Query }>('/changesets', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const status = req.query.status ?? '';
        if (status && !['open', 'approved', 'applied', 'rejected'].includes(status)) throw bad(`'${status}' is not a change-set status`, '/querystring/status');
        const before = req.query.cursor ? decodeChangesetCursor(req.query.cursor) : undefined;
        const found = await changesets.summaries({ ...(status ? { status } : {}), ...(before ? { before } : {}), limit: PAGE + 1 });
        const items = found.slice(0, PAGE);
        return sendPage(reply, 200, changesetsPage({ status, items, next: found.length > PAGE ? encodeChangesetCursor(items[items.length - 1]!) : null, chrome: chromeOf(req, 'changesets') }));
      });

      const renderChangeset = async (req: FastifyRequest, reply: FastifyReply, id: string, status = 200, notice?: string) => {
        if (!CHANGESET.test(id)) throw bad(`'${id}' is not a change-set ID`, '/params/id');
        const cs = await changesets.get(id);
        const who = req.portal?.auth;
        const reviewable = cs.status === 'open' || cs.status === 'approved';
        const mayApprove = !!who && Auth.allows(who, SCOPES.approve);
        const isAuthor = !!who && who.principal.name === cs.author;
        const approved = !!who && cs.approvals.some((a) => a.principal === who.principal.name);
        const may = {
          approve: reviewable && mayApprove && !isAuthor && !approved,
          reject: reviewable && mayApprove,
          apply: cs.status === 'approved' && !!who && Auth.allows(who, SCOPES.propose),
          why: !reviewable
            ? `This change set is ${cs.status}; it can no longer be reviewed.`
            : !who
              ? 'Sign in to review this change set.'
              : isAuthor
                ? 'You are its author: someone else must approve it.'
                : !mayApprove
                  ? `Signed in as ${who.principal.name}, whose token does not grant ${SCOPES.approve}: you can read this change set but not approve or reject it.`
                  : approved
                    ? 'You have approved it.'
                    : null,
        };
        return sendPage(reply, status, changesetPage({ cs, errors: cs.errors ?? [], may, now: registry.now().getTime(), chrome: chromeOf(req, 'changesets'), ...(notice ? { notice } : {}) }));
      };

      ui.get<{ Params: { id: string }; Querystring: Query }>('/changesets/:id', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const done = req.query.done;
        const notice = done === 'approved' ? 'Approved.' : done === 'applied' ? 'Applied: the registry now holds the new revisions.' : done === 'rejected' ? 'Rejected.' : undefined;
        return renderChangeset(req, reply, req.params.id, 200, notice);
      });

      // The UI twins of POST /v1/changesets/{id}/approve|reject|apply: same use case, same scope, same audit event.
      ui.post<{ Params: { id: string; action: string } }>('/changesets/:id/:action', { schema: { hide: true } }, async (req, reply) => {
        const { id, action } = req.params;
        if (!['approve', 'reject', 'apply'].includes(action)) throw new CharterError('NOT_FOUND', `there is no action '${action}'`);
        const signed = signedForm(req);
        if (!CHANGESET.test(id)) throw bad(`'${id}' is not a change-set ID`, '/params/id');
        const body = req.body as Record<string, string | undefined>;
        const actor = { principal: signed.auth.principal, requestId: String(req.id), token: { id: signed.auth.token.id, scopes: signed.auth.scopes, expires_at: signed.auth.token.expires_at } };
        if (action === 'approve') {
          Auth.demand(signed.auth, SCOPES.approve);
          const comment = body.comment?.trim();
          if (comment && comment.length > 2000) throw bad('the comment is longer than 2000 characters', '/comment');
          await changesets.approve(id, actor, comment || undefined);
        } else if (action === 'reject') {
          Auth.demand(signed.auth, SCOPES.approve);
          const reason = body.reason?.trim() ?? '';
          if (reason.length < 1 || reason.length > 2000) throw bad('a rejection needs a reason (1 to 2000 characters)', '/reason');
          await changesets.reject(id, actor, reason);
        } else {
          Auth.demand(signed.auth, SCOPES.propose);
          await changesets.apply(id, actor);
        }
        return reply.redirect(`${changesetHref(id)}?done=${action === 'apply' ? 'applied' : action === 'approve' ? 'approved' : 'rejected'}`, 303);
      });

      ui.get<{ Querystring: Query }>('/artifacts', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const product = req.query.product?.trim() || null;
        const cursor = req.query.cursor || null;
        if (product !== null && (!PRODUCT.test(product) || product.length > 128)) throw new CharterError('MALFORMED_REQUEST', `'${product}' is not a product ID`);
        if (cursor !== null && !DIGEST.test(cursor)) throw new CharterError('MALFORMED_REQUEST', `the cursor '${cursor}' is not a digest`);
        const found = await artifacts.list({ ...(product ? { product } : {}), ...(cursor ? { after: cursor } : {}), limit: ARTIFACT_PAGE + 1 });
        const page = found.slice(0, ARTIFACT_PAGE);
        const rows: ListRow[] = (await artifacts.explainMany(page)).map((r) => (r.explanation ? { artifact: r.artifact, trust: trustOf(r.explanation) } : { artifact: r.artifact, trust: null, ...(r.error ? { error: r.error } : {}) }));
        return sendPage(reply, 200, listPage(rows, { product, next: found.length > ARTIFACT_PAGE ? page[page.length - 1]!.digest : null, chrome: chromeOf(req) }));
      });

      ui.get<{ Params: { digest: string } }>('/artifacts/:digest', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const { digest } = req.params;
        if (!DIGEST.test(digest)) {
          return sendPage(reply, 400, errorPage(400, 'Bad request', `'${digest}' is not an artifact digest.`, 'An artifact is named by its digest: sha256: followed by 64 lowercase hex characters.', chromeOf(req)));
        }
        const { artifact, explanation, state, deploy } = await artifacts.page(digest);
        const now = Date.parse(explanation.evaluated_at);
        const signerNow = (signer: string, evidenceType: string) => signatureTrust(registry.catalog, signer, evidenceType, now);
        // A promotion whose copy did not fail has a signed VSA (GET /v1/artifacts/{digest}/vsa?stage=).
        const vsaHref = (stage: string) => {
          const d = [...state.decisions].reverse().find((x) => x.stage === stage && x.outcome === 'promoted');
          return d && d.copy?.status !== 'failed' ? `/v1/artifacts/${digest}/vsa?stage=${encodeURIComponent(stage)}` : null;
        };
        return sendPage(reply, 200, explainPage({ artifact, explanation, evidence: state.evidence, approvals: state.approvals, decisions: state.decisions, signerNow, deploy, vsaHref }, chromeOf(req)));
      });

      ui.get<{ Querystring: Query }>('/audit', { preHandler: reads, schema: { hide: true } }, async (req, reply) => {
        const after = req.query.after === undefined || req.query.after === '' ? undefined : req.query.after === '-1' ? -1 : intParam(req.query.after, 'after', Number.MAX_SAFE_INTEGER);
        const mayRead = !!req.portal && Auth.allows(req.portal.auth, SCOPES.auditRead);
        const [checkpoint, key, events] = await Promise.all([registry.audit.checkpoint(), registry.audit.keyInfo(), mayRead ? registry.audit.events({ ...(after !== undefined ? { after } : {}), limit: PAGE, details: false }) : null]);
        const last = events?.[events.length - 1];
        const next = events && events.length === PAGE && last && last.index < checkpoint.size - 1 ? last.index : null;
        const origin = `${req.protocol}://${req.headers.host ?? '127.0.0.1:8080'}`;
        return sendPage(reply, 200, auditPage({ checkpoint, key, events, after: after ?? null, next, origin, chrome: chromeOf(req, 'audit') }));
      });

      // Sign-in has no session yet: its CSRF token is a double-submit value in a SameSite=Strict cookie.
      ui.get<{ Querystring: Query }>('/login', { schema: { hide: true } }, async (req, reply) => {
        const csrf = cookies(req).get(LOGIN_COOKIE) ?? randomBytes(24).toString('base64url');
        reply.header('set-cookie', cookie(req, LOGIN_COOKIE, csrf, 3600));
        return sendPage(reply, 200, loginPage({ csrf, next: safeNext(req.query.next), chrome: chromeOf(req) }));
      });

      ui.post('/login', { schema: { hide: true } }, async (req, reply) => {
        const body = (req.body ?? {}) as Record<string, string | undefined>;
        const expected = cookies(req).get(LOGIN_COOKIE);
        if (!expected || !Sessions.csrfMatches(expected, body.csrf)) throw new CharterError('FORBIDDEN', 'the sign-in form carried no valid CSRF token; reload the sign-in page and try again');
        const next = safeNext(body.next);
        try {
          const { secret, session } = await sessions.create(body.token ?? '', String(req.id));
          reply.header('set-cookie', [cookie(req, SESSION_COOKIE, secret, (Date.parse(session.expires_at) - registry.now().getTime()) / 1000), cookie(req, LOGIN_COOKIE, '', 0)]);
          return reply.redirect(next, 303);
        } catch (err) {
          if (!(err instanceof CharterError) || err.code !== 'UNAUTHENTICATED') throw err;
          // Never echo the token back: the message names only the token's id, if any.
          reply.header('www-authenticate', 'Bearer realm="charter"');
          return sendPage(reply, 401, loginPage({ csrf: expected, next, error: `Not signed in: ${err.message}.`, chrome: chromeOf(req) }));
        }
      });

      ui.get('/logout', { schema: { hide: true } }, async (req, reply) => {
        if (!req.portal) return reply.redirect('/ui/', 303);
        return sendPage(reply, 200, signOutPage(chromeOf(req)));
      });

      ui.post('/logout', { schema: { hide: true } }, async (req, reply) => {
        const signed = signedForm(req);
        await sessions.revoke(signed, String(req.id));
        reply.header('set-cookie', cookie(req, SESSION_COOKIE, '', 0));
        return reply.redirect('/ui/', 303);
      });
    },
    { prefix: '/ui' },
  );
}

