import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { ChangesQuery, ChangesSchema, PUBLIC_READ, READ_PROBLEMS, responses, SnapshotSchema } from '@charter/api';

/** Snapshot and change feed: how the SDK and other services follow the catalog. */
export function feedRoutes(fastify: FastifyInstance, registry: Registry, auth: Auth): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reads = auth.reads();
  app.get('/v1/snapshot', {
    preHandler: reads,
    schema: {
      tags: ['feed'],
      summary: 'Every entry at one sequence. ETag is the sequence; If-None-Match answers 304.',
      operationId: 'getSnapshot',
      security: PUBLIC_READ,
      response: responses({ 200: SnapshotSchema, 304: { type: 'null', description: 'unchanged since the ETag you sent (no body)' } }, READ_PROBLEMS),
    },
    handler: async (req, reply) => {
      const snap = registry.snapshot();
      const etag = `"${snap.sequence}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return reply.code(304).send();
      // Serialized once per sequence; sent as-is.
      return reply.type('application/json; charset=utf-8').send(snap.body as never);
    },
  });

  app.get('/v1/changes', {
    preHandler: reads,
    schema: {
      tags: ['feed'],
      summary: 'Long-poll change feed: revisions applied after a sequence',
      operationId: 'listChanges',
      security: PUBLIC_READ,
      querystring: ChangesQuery,
      response: responses({ 200: ChangesSchema }, [400, ...READ_PROBLEMS]),
    },
    handler: async (req) => {
      const { after } = req.query;
      const wait = req.query.wait ?? 0;
      const limit = req.query.limit ?? 100;
      if (after > registry.catalog.sequence) {
        return { sequence: registry.catalog.sequence, next_after: registry.catalog.sequence, resync: true, items: [] };
      }
      if (wait > 0 && after === registry.catalog.sequence) {
        const abort = new AbortController();
        req.raw.once('close', () => abort.abort());
        await registry.waitForChange(after, wait * 1000, abort.signal);
      }
      const latest = registry.catalog.sequence;
      const upTo = Math.min(latest, after + limit);
      const items = upTo > after ? await registry.revisionsBetween(after, upTo) : [];
      return { sequence: latest, next_after: upTo, resync: false, items };
    },
  });
}
