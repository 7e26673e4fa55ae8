import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError, SCOPES } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { AuditEventSchema, AuditList, AuditListQuery, BEARER, CheckpointSchema, ConsistencyProofSchema, ConsistencyQuery, content, InclusionProofSchema, InclusionQuery, LogKeySchema, PUBLIC_READ, READ_PROBLEMS, responses, AuditEventParams } from '@charter/api';
import type { Auth } from '../auth/auth.js';
import type { AuditLog } from '../audit/audit-log.js';

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
      operationId: 'listAuditEvents',
      security: BEARER,
      querystring: AuditListQuery,
      response: responses({ 200: AuditList }, [400, 401, 403]),
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
    schema: { operationId: 'getAuditEvent', tags: ['audit'], summary: 'One audit event', security: BEARER, params: AuditEventParams, response: responses({ 200: AuditEventSchema }, [400, 401, 403, 404]) },
    handler: async (req) => {
      const e = await audit.event(req.params.index);
      if (!e) throw new CharterError('NOT_FOUND', `no audit event ${req.params.index}`);
      return e;
    },
  });

  app.get('/v1/audit/checkpoint', {
    preHandler: reads,
    schema: { operationId: 'getAuditCheckpoint', tags: ['audit'], summary: 'The current signed checkpoint (C2SP tlog-checkpoint signed note, text/plain)', security: PUBLIC_READ, response: responses({ 200: content(CheckpointSchema, 'text/plain', 'the signed note') }, READ_PROBLEMS) },
    handler: async (_req, reply) => {
      const cp = await audit.checkpoint();
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(cp.note);
    },
  });

  app.get('/v1/audit/key', {
    preHandler: reads,
    schema: { operationId: 'getAuditKey', tags: ['audit'], summary: 'The log key: name (checkpoint origin), PEM public key and C2SP verifier key', security: PUBLIC_READ, response: responses({ 200: LogKeySchema }, READ_PROBLEMS) },
    handler: async () => audit.keyInfo(),
  });

  app.get('/v1/audit/proofs/inclusion', {
    preHandler: reads,
    schema: {
      tags: ['audit'],
      summary: 'RFC 9162 inclusion proof of event `index` in the tree of `size`',
      operationId: 'getInclusionProof',
      security: PUBLIC_READ,
      querystring: InclusionQuery,
      response: responses({ 200: InclusionProofSchema }, [400, ...READ_PROBLEMS]),
    },
    handler: async (req) => audit.inclusion(req.query.index, req.query.size),
  });

  app.get('/v1/audit/proofs/consistency', {
    preHandler: reads,
    schema: {
      tags: ['audit'],
      summary: 'RFC 9162 consistency proof between two tree sizes',
      operationId: 'getConsistencyProof',
      security: PUBLIC_READ,
      querystring: ConsistencyQuery,
      response: responses({ 200: ConsistencyProofSchema }, [400, ...READ_PROBLEMS]),
    },
    handler: async (req) => audit.consistency(req.query.from, req.query.to),
  });
}
