import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { content, HealthSchema, METRICS_MEDIA_TYPE, MetricsSchema, ReadySchema, responses } from '@charter/api';
import type { Registry } from '../registry/registry.js';
import type { Metrics } from './metrics.js';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(fastify: FastifyInstance, registry: Registry, metrics: Metrics, info: { engine: string; version: string }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get('/healthz', {
    schema: { operationId: 'getHealth', tags: ['ops'], summary: 'Liveness: the process answers', security: [], response: responses({ 200: HealthSchema }) },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['ops'],
      operationId: 'getReadiness',
      summary: 'Readiness: the database answers and the catalog is loaded',
      security: [],
      response: responses({ 200: ReadySchema }, [503]),
    },
    handler: async () => {
      try {
        await registry.ping();
      } catch (err) {
        throw new CharterError('UNAVAILABLE', 'the database does not answer', { cause: err });
      }
      return { status: 'ready', engine: info.engine, sequence: registry.catalog.sequence, entries: registry.catalog.size, version: info.version };
    },
  });

  app.get('/metrics', { schema: { operationId: 'getMetrics', tags: ['ops'], summary: 'Prometheus metrics', security: [], response: responses({ 200: content(MetricsSchema, METRICS_MEDIA_TYPE, 'Prometheus text format') }) } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
