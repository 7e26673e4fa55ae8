import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import type { Registry } from '../registry/registry.js';
import { registryStore } from '../store/registry-store.js';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(fastify: FastifyInstance, registry: Registry, info: { engine: string; version: string }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = new MetricsRegistry();
  collectDefaultMetrics({ register: metrics, prefix: 'charter_' });
  const requests = new Counter({ name: 'charter_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [metrics] });
  const duration = new Histogram({
    name: 'charter_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [metrics],
  });
  new Gauge({ name: 'charter_registry_sequence', help: 'The registry sequence this process has loaded', registers: [metrics], collect() { this.set(registry.catalog.sequence); } });
  new Gauge({ name: 'charter_registry_entries', help: 'Entries in the in-memory catalog', registers: [metrics], collect() { this.set(registry.catalog.size); } });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    duration.observe({ route }, reply.elapsedTime / 1000);
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
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
}
