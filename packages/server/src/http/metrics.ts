import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import type { Registry } from '../registry/registry.js';

/** The Prometheus metrics of one server: every request path counts into the same series. */
export interface Metrics {
  registry: MetricsRegistry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(registry: Registry): Metrics {
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
  // Label-bound children, looked up once per (method, route, status): prom-client hashes the
  // label set on every unbound call, which shows on the check hot path.
  const bound = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  return {
    registry: metrics,
    observe(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let b = bound.get(key);
      if (!b) {
        b = { count: requests.labels(method, route, String(status)), time: duration.labels(route) };
        bound.set(key, b);
      }
      b.count.inc();
      b.time.observe(seconds);
    },
  };
}
