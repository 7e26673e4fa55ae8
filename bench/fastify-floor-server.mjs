// A diagnostic server for `node bench/run.mjs --floor`: what POST /v1/check costs on Fastify with
// nothing of Charter around it. Same framework, same body and response schemas (from the built
// server), same in-memory Catalog check; no swagger, no auth, no metrics, no request IDs, no
// database. With --extras it adds Charter's per-request extras one by one:
//   reqid      request IDs from crypto.randomUUID() (Charter's genReqId)
//   prehandler an async preHandler that does nothing (the shape of Charter's public-read guard)
//   metrics    a prom-client counter + histogram observed in an onResponse hook, with the
//              default process metrics collected (Charter's ops routes)
//
//   node bench/fastify-floor-server.mjs --snapshot FILE [--extras reqid,prehandler,metrics]
//
// FILE is a GET /v1/snapshot answer. Prints `listening on http://127.0.0.1:PORT` on stderr.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Ajv } from 'ajv';
import promClient from 'prom-client';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const load = (p) => import(pathToFileURL(join(ROOT, p)).href);
const { Catalog } = await load('packages/core/dist/index.js');
const { CheckAnswerSchema, CheckBody } = await load('packages/server/dist/http/schemas.js');

const { values } = parseArgs({ options: { snapshot: { type: 'string' }, extras: { type: 'string', default: '' }, port: { type: 'string', default: '0' } } });
if (!values.snapshot) {
  console.error('--snapshot FILE is required');
  process.exit(2);
}
const extras = new Set(values.extras.split(',').filter(Boolean));
const snapshot = JSON.parse(readFileSync(values.snapshot, 'utf8'));
const catalog = new Catalog();
catalog.apply(snapshot.entries, snapshot.sequence);

const app = Fastify({ logger: false, ...(extras.has('reqid') ? { requestIdHeader: 'x-request-id', genReqId: () => randomUUID() } : {}) });
const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, removeAdditional: false, useDefaults: false });
app.setValidatorCompiler(({ schema }) => ajv.compile(schema));

if (extras.has('metrics')) {
  const register = new promClient.Registry();
  promClient.collectDefaultMetrics({ register, prefix: 'floor_' });
  const requests = new promClient.Counter({ name: 'floor_http_requests_total', help: 'requests', labelNames: ['method', 'route', 'status'], registers: [register] });
  const duration = new promClient.Histogram({
    name: 'floor_http_request_duration_seconds',
    help: 'duration',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [register],
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    duration.observe({ route }, reply.elapsedTime / 1000);
    done();
  });
}

app.post('/v1/check', {
  ...(extras.has('prehandler') ? { preHandler: async () => {} } : {}),
  schema: { body: CheckBody, response: { 200: CheckAnswerSchema } },
  handler: async (req) => catalog.checkAll(req.body.refs, Date.now()),
});

await app.listen({ port: Number(values.port), host: '127.0.0.1' });
process.stderr.write(`listening on http://127.0.0.1:${app.server.address().port}\n`);
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => app.close().then(() => process.exit(0)));
