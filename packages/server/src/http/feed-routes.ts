import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { registryStore } from '../store/registry-store.js';
import { RevisionSchema } from '@charter/api';

/** Snapshot and change feed: how the SDK and other services follow the catalog. */
export function feedRoutes(fastify: FastifyInstance, registry: Registry, auth: Auth): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reads = auth.reads();
  app.get('/v1/snapshot', {
    preHandler: reads,
    schema: {
      tags: ['feed'],
      summary: 'Every entry at one sequence. ETag is the sequence; If-None-Match answers 304.',
      response: {
        200: {
          type: 'object',
          description: '{sequence, generated_at, entries: [Entry]}',
          properties: { sequence: { type: 'integer' }, generated_at: { type: 'string' }, entries: { type: 'array', items: { type: 'object' } } },
        },
        304: { type: 'null', description: 'unchanged since the ETag you sent' },
      },
    },
    handler: async (req, reply) => {
      const snap = registry.snapshot();
      const etag = `"${snap.sequence}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return reply.code(304).send(null as never);
      // Serialized once per sequence; sent as-is.
      return reply.type('application/json; charset=utf-8').send(snap.body as never);
    },
  });

  app.get('/v1/changes', {
    preHandler: reads,
    schema: {
      tags: ['feed'],
      summary: 'Long-poll change feed: revisions applied after a sequence',
      querystring: Type.Object({
        after: Type.Integer({ minimum: 0, description: 'the last sequence you have' }),
        wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, default: 0, description: 'seconds to wait for a change' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'sequences per page' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          sequence: Type.Integer({ description: 'the latest sequence' }),
          next_after: Type.Integer({ description: 'pass as `after` next time' }),
          resync: Type.Boolean({ description: 'true when `after` is ahead of this registry: reload the snapshot' }),
          items: Type.Array(RevisionSchema),
        }),
      },
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
      const items = upTo > after ? await registryStore.revisionsBetween(registry.db, after, upTo) : [];
      return { sequence: latest, next_after: upTo, resync: false, items };
    },
  });
}
