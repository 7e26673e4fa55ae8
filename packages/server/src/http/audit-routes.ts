import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError, SCOPES } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Auth } from '../auth/auth.js';
import type { AuditLog } from '../audit/audit-log.js';

const EventSchema = Type.Object({
  index: Type.Integer(),
  action: Type.String(),
  actor: Type.String(),
  subject: Type.Array(Type.String()),
  at: Type.String(),
  request_id: Type.Union([Type.String(), Type.Null()]),
  details_digest: Type.String(),
  leaf_hash: Type.String({ description: 'base64 RFC 6962 leaf hash, read from the tree' }),
  details: Type.Unknown(),
});

const Index = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** The audit log: events (platform.audit.read), and the public, hash-only checkpoint, key and proofs. */
export function auditRoutes(fastify: FastifyInstance, deps: { auth: Auth; audit: AuditLog }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, audit } = deps;
  const reads = auth.reads();

  app.get('/v1/audit', {
    preHandler: auth.require(SCOPES.auditRead),
    schema: {
      tags: ['audit'],
      summary: 'Audit events in log order',
      security: [{ bearer: [] }],
      querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: -1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(EventSchema), next_cursor: Type.Union([Type.String(), Type.Null()]), size: Type.Integer() }) },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 500;
      const [items, size] = await Promise.all([audit.events({ ...(req.query.after !== undefined ? { after: req.query.after } : {}), limit }), audit.size()]);
      const last = items[items.length - 1];
      return { items, size, next_cursor: items.length === limit && last && last.index < size - 1 ? String(last.index) : null };
    },
  });

  app.get('/v1/audit/:index', {
    preHandler: auth.require(SCOPES.auditRead),
    schema: { tags: ['audit'], summary: 'One audit event', security: [{ bearer: [] }], params: Type.Object({ index: Index }), response: { 200: EventSchema } },
    handler: async (req) => {
      const e = await audit.event(req.params.index);
      if (!e) throw new CharterError('NOT_FOUND', `no audit event ${req.params.index}`);
      return e;
    },
  });

  app.get('/v1/audit/checkpoint', {
    preHandler: reads,
    schema: { tags: ['audit'], summary: 'The current signed checkpoint (C2SP tlog-checkpoint signed note, text/plain)', response: { 200: { type: 'string' } } },
    handler: async (_req, reply) => {
      const cp = await audit.checkpoint();
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(cp.note);
    },
  });

  app.get('/v1/audit/key', {
    preHandler: reads,
    schema: { tags: ['audit'], summary: 'The log key: name (checkpoint origin), PEM public key and C2SP verifier key', response: { 200: Type.Object({ name: Type.String(), public_key: Type.String(), vkey: Type.String() }) } },
    handler: async () => audit.keyInfo(),
  });

  app.get('/v1/audit/proofs/inclusion', {
    preHandler: reads,
    schema: {
      tags: ['audit'],
      summary: 'RFC 9162 inclusion proof of event `index` in the tree of `size`',
      querystring: Type.Object({ index: Index, size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ index: Type.Integer(), size: Type.Integer(), hashes: Type.Array(Type.String()) }) },
    },
    handler: async (req) => audit.inclusion(req.query.index, req.query.size),
  });

  app.get('/v1/audit/proofs/consistency', {
    preHandler: reads,
    schema: {
      tags: ['audit'],
      summary: 'RFC 9162 consistency proof between two tree sizes',
      querystring: Type.Object({ from: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), to: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ from: Type.Integer(), to: Type.Integer(), hashes: Type.Array(Type.String()) }) },
    },
    handler: async (req) => audit.consistency(req.query.from, req.query.to),
  });
}
