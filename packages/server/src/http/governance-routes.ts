import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError, SCOPES } from '@charter/core';
import { BEARER, ChangeSetInputSchema, ChangeSetList, ChangeSetListQuery, ChangeSetParams, ChangeSetSchema, CreatedTokenSchema, CreateTokenBody, DryRunSchema, PUBLIC_READ, READ_PROBLEMS, RejectChangeSetBody, responses, SubmitQuery, TokenList, TokenParams, TokenSchema, ApproveChangeSetOptionalBody } from '@charter/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth } from '../auth/auth.js';
import type { TokenService } from '../auth/token-service.js';
import type { ChangeSets } from '../registry/changesets.js';
import type { Actor } from '../registry/registry.js';

/** The authenticated principal and the request id, for the audit log. */
export function actorOf(req: FastifyRequest): Actor {
  const { principal, token, scopes } = req.auth!;
  return { principal, requestId: String(req.id), token: { id: token.id, scopes, expires_at: token.expires_at } };
}

/** The change-set list's cursor (also used by the portal's list page). */
export function encodeCursor(cs: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([cs.created_at, cs.id])).toString('base64url');
}
/** A cursor this server did not issue is a 400, as on /v1/entries — never a silent first page. */
export function decodeCursor(c: string): { created_at: string; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return { created_at: parsed[0], id: parsed[1] };
  throw new CharterError('MALFORMED_REQUEST', 'the cursor is not one this server issued', { errors: [{ pointer: '/querystring/cursor', code: 'MALFORMED_REQUEST', detail: 'invalid cursor' }] });
}

/** Tokens and change sets: the only write paths into the registry. */
export function governanceRoutes(fastify: FastifyInstance, deps: { auth: Auth; tokens: TokenService; changesets: ChangeSets }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, tokens, changesets } = deps;

  app.post('/v1/tokens', {
    preHandler: auth.require(SCOPES.tokens),
    schema: {
      tags: ['tokens'],
      summary: 'Create a bearer token (shown once)',
      operationId: 'createToken',
      security: BEARER,
      body: CreateTokenBody,
      response: responses({ 201: CreatedTokenSchema }, [400, 401, 403, 413, 415, 422]),
    },
    handler: async (req, reply) => reply.code(201).send(await tokens.create(req.body, actorOf(req))),
  });

  app.get('/v1/tokens', {
    preHandler: auth.require(SCOPES.tokens),
    schema: { operationId: 'listTokens', tags: ['tokens'], summary: 'Token metadata (never the secrets)', security: BEARER, response: responses({ 200: TokenList }, [401, 403]) },
    handler: async () => ({ items: await tokens.list(), next_cursor: null }),
  });

  app.delete('/v1/tokens/:id', {
    preHandler: auth.require(SCOPES.tokens),
    schema: { operationId: 'revokeToken', tags: ['tokens'], summary: 'Revoke a token (effective on the next request)', security: BEARER, params: TokenParams, response: responses({ 200: TokenSchema }, [400, 401, 403, 404]) },
    handler: async (req) => tokens.revoke(req.params.id, actorOf(req)),
  });

  app.post('/v1/changesets', {
    preHandler: auth.require(SCOPES.propose),
    schema: {
      tags: ['changesets'],
      summary: 'Submit a change set (validated at once; ?dry_run=true returns the plan and stores nothing)',
      operationId: 'submitChangeSet',
      security: BEARER,
      querystring: SubmitQuery,
      // Validated once, in core (every problem at once, with pointers); documented here.
      body: ChangeSetInputSchema,
      response: responses({ 200: DryRunSchema, 201: ChangeSetSchema }, [400, 401, 403, 409, 413, 415, 422]),
    },
    handler: async (req, reply) => {
      const { changeset, plan } = await changesets.submit(req.body, actorOf(req), req.query.dry_run === true);
      if (!changeset) return reply.code(200).send({ dry_run: true, plan: plan.changes, errors: [] });
      return reply.code(201).send(changeset);
    },
  });

  app.get('/v1/changesets', {
    preHandler: auth.reads(),
    schema: {
      tags: ['changesets'],
      summary: 'List change sets, newest first',
      operationId: 'listChangeSets',
      security: PUBLIC_READ,
      querystring: ChangeSetListQuery,
      response: responses({ 200: ChangeSetList }, [400, ...READ_PROBLEMS]),
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const before = req.query.cursor ? decodeCursor(req.query.cursor) : undefined;
      const items = await changesets.list({ ...(req.query.status ? { status: req.query.status } : {}), ...(before ? { before } : {}), limit: limit + 1 });
      const page = items.slice(0, limit);
      return { items: page, next_cursor: items.length > limit ? encodeCursor(page[page.length - 1]!) : null };
    },
  });

  app.get('/v1/changesets/:id', {
    preHandler: auth.reads(),
    schema: { operationId: 'getChangeSet', tags: ['changesets'], summary: 'One change set, with its plan and (while open) its current problems', security: PUBLIC_READ, params: ChangeSetParams, response: responses({ 200: ChangeSetSchema }, [400, ...READ_PROBLEMS, 404]) },
    handler: async (req) => changesets.get(req.params.id),
  });

  app.post('/v1/changesets/:id/approve', {
    preHandler: auth.require(SCOPES.approve),
    schema: {
      tags: ['changesets'],
      summary: 'Approve (never by the author)',
      operationId: 'approveChangeSet',
      security: BEARER,
      params: ChangeSetParams,
      body: ApproveChangeSetOptionalBody,
      response: responses({ 200: ChangeSetSchema }, [400, 401, 403, 404, 409, 413, 415]),
    },
    handler: async (req) => changesets.approve(req.params.id, actorOf(req), req.body?.comment),
  });

  app.post('/v1/changesets/:id/reject', {
    preHandler: auth.require(SCOPES.approve),
    schema: {
      tags: ['changesets'],
      summary: 'Reject with a reason',
      operationId: 'rejectChangeSet',
      security: BEARER,
      params: ChangeSetParams,
      body: RejectChangeSetBody,
      response: responses({ 200: ChangeSetSchema }, [400, 401, 403, 404, 409, 413, 415]),
    },
    handler: async (req) => changesets.reject(req.params.id, actorOf(req), req.body.reason),
  });

  app.post('/v1/changesets/:id/apply', {
    preHandler: auth.require(SCOPES.propose),
    schema: { operationId: 'applyChangeSet', tags: ['changesets'], summary: 'Apply an approved change set: re-validated, all operations or none', security: BEARER, params: ChangeSetParams, response: responses({ 200: ChangeSetSchema }, [400, 401, 403, 404, 409, 413, 415, 422]) },
    handler: async (req) => changesets.apply(req.params.id, actorOf(req)),
  });
}
