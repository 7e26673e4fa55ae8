import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Registry } from '../registry/registry.js';
import type { Metrics } from './metrics.js';
import { registryStore } from '../store/registry-store.js';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(fastify: FastifyInstance, registry: Registry, metrics: Metrics, info: { engine: string; version: string }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['ops'],
      summary: 'Readiness: the database answers and the catalog is loaded',
      response: { 200: Type.Object({ status: Type.String(), engine: Type.String(), sequence: Type.Integer(), entries: Type.Integer(), version: Type.String() }) },
    },
    handler: async () => {
      try {
        await registryStore.sequence(registry.db);
      } catch (err) {
        throw new CharterError('UNAVAILABLE', 'the database does not answer', { cause: err });
      }
      return { status: 'ready', engine: info.engine, sequence: registry.catalog.sequence, entries: registry.catalog.size, version: info.version };
    },
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
