import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { changeSetInputSchema, SCOPES, type ChangeSetInput } from '@charter/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Auth } from '../auth/auth.js';
import type { TokenService } from '../auth/token-service.js';
import type { ChangeSets } from '../registry/changesets.js';
import type { Actor } from '../registry/registry.js';

const ChangeSetId = Type.Object({ id: Type.String({ pattern: '^cs_[0-9a-f-]{36}$' }) });
const TokenId = Type.Object({ id: Type.String({ pattern: '^tok_[0-9a-f]{16}$' }) });

const TokenMeta = Type.Object({
  id: Type.String(),
  principal: Type.String(),
  product: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Array(Type.String()),
  description: Type.String(),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  created_by: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

/** The authenticated principal and the request id, for the audit log. */
export function actorOf(req: FastifyRequest): Actor {
  return { principal: req.auth!.principal, requestId: String(req.id) };
}

function encodeCursor(cs: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([cs.created_at, cs.id])).toString('base64url');
}
function decodeCursor(c: string): { created_at: string; id: string } | undefined {
  try {
    const [created_at, id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [string, string];
    return typeof created_at === 'string' && typeof id === 'string' ? { created_at, id } : undefined;
  } catch {
    return undefined;
  }
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
      security: [{ bearer: [] }],
      body: Type.Object({
        principal: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9@._:-]*$' }),
        product: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
        scopes: Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: 50 }),
        description: Type.Optional(Type.String({ maxLength: 1000 })),
        expires_in: Type.Optional(Type.String({ maxLength: 10, description: 'lifetime, e.g. 30d, 12h, 90m' })),
      }, { additionalProperties: false }),
      response: {
        201: Type.Object({
          id: Type.String(),
          token: Type.String({ description: 'the secret; it is never shown again' }),
          principal: Type.String(),
          product: Type.Union([Type.String(), Type.Null()]),
          scopes: Type.Array(Type.String()),
          expires_at: Type.Union([Type.String(), Type.Null()]),
        }),
      },
    },
    handler: async (req, reply) => reply.code(201).send(await tokens.create(req.body, actorOf(req))),
  });

  app.get('/v1/tokens', {
    preHandler: auth.require(SCOPES.tokens),
    schema: { tags: ['tokens'], summary: 'Token metadata (never the secrets)', security: [{ bearer: [] }], response: { 200: Type.Object({ items: Type.Array(TokenMeta), next_cursor: Type.Null() }) } },
    handler: async () => ({ items: await tokens.list(), next_cursor: null }),
  });

  app.delete('/v1/tokens/:id', {
    preHandler: auth.require(SCOPES.tokens),
    schema: { tags: ['tokens'], summary: 'Revoke a token (effective on the next request)', security: [{ bearer: [] }], params: TokenId, response: { 200: TokenMeta } },
    handler: async (req) => tokens.revoke(req.params.id, actorOf(req)),
  });

  app.post('/v1/changesets', {
    preHandler: auth.require(SCOPES.propose),
    schema: {
      tags: ['changesets'],
      summary: 'Submit a change set (validated at once; ?dry_run=true returns the plan and stores nothing)',
      security: [{ bearer: [] }],
      querystring: Type.Object({ dry_run: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      // Validated in core (every problem at once, with pointers); documented here.
      body: Type.Unsafe<ChangeSetInput>({ ...changeSetInputSchema, $schema: undefined }),
    },
    // The body schema above documents the shape; core validates it so all problems are reported together.
    attachValidation: true,
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
      querystring: Type.Object({
        status: Type.Optional(Type.Union(['open', 'approved', 'applied', 'rejected'].map((s) => Type.Literal(s)))),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        cursor: Type.Optional(Type.String({ maxLength: 200 })),
      }, { additionalProperties: false }),
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
    schema: { tags: ['changesets'], summary: 'One change set, with its plan and (while open) its current problems', params: ChangeSetId },
    handler: async (req) => changesets.get(req.params.id),
  });

  app.post('/v1/changesets/:id/approve', {
    preHandler: auth.require(SCOPES.approve),
    schema: {
      tags: ['changesets'],
      summary: 'Approve (never by the author)',
      security: [{ bearer: [] }],
      params: ChangeSetId,
      body: Type.Optional(Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })),
    },
    handler: async (req) => changesets.approve(req.params.id, actorOf(req), req.body?.comment),
  });

  app.post('/v1/changesets/:id/reject', {
    preHandler: auth.require(SCOPES.approve),
    schema: {
      tags: ['changesets'],
      summary: 'Reject with a reason',
      security: [{ bearer: [] }],
      params: ChangeSetId,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
    },
    handler: async (req) => changesets.reject(req.params.id, actorOf(req), req.body.reason),
  });

  app.post('/v1/changesets/:id/apply', {
    preHandler: auth.require(SCOPES.propose),
    schema: { tags: ['changesets'], summary: 'Apply an approved change set: re-validated, all operations or none', security: [{ bearer: [] }], params: ChangeSetId },
    handler: async (req) => changesets.apply(req.params.id, actorOf(req)),
  });
}
