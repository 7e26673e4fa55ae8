import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, token } from '../testing/http.js';
import { resolveConfig } from '../config.js';
import { checkerFor, type OpenApiDocument } from '../testing/contract.js';
import { startServer } from '../server.js';

/**
 * Hostile input over every endpoint, generated from the live /openapi.json: each operation's
 * path, query and body schemas give well-formed requests, and mutations make them hostile
 * (wrong types, huge sizes, deep nesting, odd encodings, NUL and lone surrogates, duplicate
 * keys, bad percent-encoding, wrong media types), with no token, a garbage one, a product CI
 * token and the admin token. It fails on any 5xx, any answer slower than SLOW_MS, or a server
 * that stops answering its health probe after a batch.
 *
 * CHARTER_FUZZ_RUNS=N runs about N requests per engine (default 1200 in `npm test`, within
 * CHARTER_FUZZ_BUDGET_MS, default 25 s, per engine);
 * CHARTER_FUZZ_SEED replays a run; CHARTER_FUZZ_STATS=1 prints the answers' status counts.
 */
const RUNS = Number(process.env.CHARTER_FUZZ_RUNS ?? 1200);
/**
 * In `npm test` the run is also time-boxed per engine (a loaded CI machine must not time the file
 * out); with CHARTER_FUZZ_RUNS set, every requested run happens.
 */
const BUDGET_MS = process.env.CHARTER_FUZZ_RUNS ? undefined : Number(process.env.CHARTER_FUZZ_BUDGET_MS ?? 25_000);
/** Requests sent together in one property run: concurrency is part of the hostility. */
const PARALLEL = 6;
const SLOW_MS = Number(process.env.CHARTER_FUZZ_SLOW_MS ?? 15_000);
const BATCH = 100;
const STATS = process.env.CHARTER_FUZZ_STATS === '1';
const drifts: string[] = [];

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; required: boolean; schema: Schema }[];
  body: { types: string[]; schema: Schema } | null;
}
interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  body: string | null;
  type: string | null;
  who: 'none' | 'garbage' | 'ci' | 'admin';
}

function operations(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      const types = Object.keys(content);
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, required: !!p.required, schema: p.schema ?? {} })),
        body: types.length ? { types, schema: content[types[0]!]?.schema ?? {} } : method === 'get' ? null : { types: ['application/json'], schema: {} },
      });
    }
  }
  return ops;
}

const hostileString = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\ud83d\ude80', '../../etc/passwd', '%', '%ff', '%00', '%ED%A0%80', '<script>alert(1)</script>', "' or 1=1 --", '${jndi:x}', '0x1', '1e400', '+1', ' 1', '-0', 'NaN', '99999999999999999999', 'scope:gpuaas.instances.read', 'sha256:' + 'ab'.repeat(32)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }).map((s) => s.repeat(500)),
);

/** A value for a JSON Schema, well-formed most of the time. */
function valueFor(doc: any, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop()!;
    return valueFor(doc, doc.components?.schemas?.[name] ?? {}, depth + 1);
  }
  if (depth > 6) return fc.constant(null);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length) return fc.oneof(...alternatives.map((s: Schema) => valueFor(doc, s, depth + 1)));
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = Object.entries<Schema>(schema.properties ?? {});
      if (!props.length) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      const required = new Set<string>(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of props) record[k] = valueFor(doc, s, depth + 1);
      return fc.record(record, { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
    }
    case 'array':
      return fc.array(valueFor(doc, schema.items ?? {}, depth + 1), { maxLength: 4 });
    case 'string':
      if (typeof schema.pattern === 'string') {
        try {
          return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)), fc.string({ maxLength: 12 }));
        } catch {
          return fc.string({ maxLength: 30 });
        }
      }
      return fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('scope:gpuaas.instances.read', 'gpuaas', 'email', 'prod', 'sdk-contract:app_sdk.v1'));
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: Math.min(schema.maximum ?? 1000, 1000) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** Body text: the schema's shape, or a mutation of it that no well-behaved client sends. */
function bodyFor(doc: any, schema: Schema): fc.Arbitrary<string> {
  const good = valueFor(doc, schema).map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(
    { weight: 5, arbitrary: good },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 5_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)) },
    { weight: 1, arbitrary: good.map((t) => t.replace(/"([^"\\]*)"/, '"$1\\u0000"')) },
    { weight: 1, arbitrary: good.map((t) => t.replace(/"([^"\\]*)"/, '"$1\\ud800"')) },
    { weight: 1, arbitrary: good.map((t) => (t.startsWith('{') && t.length > 2 ? t.replace(/^\{("[^"]*"):([^,}]*)/, '{$1:$2,$1:$2') : t)) },
    { weight: 1, arbitrary: good.map((t) => t.replace(/"[^"]*"/, JSON.stringify('x'.repeat(200_000)))) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":}', 'null', '[]', '"str"', '1e999999', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', '\u0000', '\ufeff{}') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  );
}

function paramValue(doc: any, schema: Schema): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: valueFor(doc, schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) }, { weight: 2, arbitrary: hostileString });
}

function encode(v: string): fc.Arbitrary<string> {
  // Mostly proper percent-encoding; sometimes the raw text, whatever it makes of the URL.
  return fc.oneof({ weight: 4, arbitrary: fc.constant(encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))) }, { weight: 1, arbitrary: fc.constant(v.replace(/[^\x21-\x7e]/g, '%ff')) });
}

function requestFor(doc: any, op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map((p) => paramValue(doc, p.schema).chain(encode))).map((values) => pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i]!), op.path));
  const query = fc
    .tuple(...queryParams.map((p) => fc.option(paramValue(doc, p.name === 'wait' ? { type: 'integer', minimum: 0, maximum: 1 } : p.schema).chain(encode), { nil: undefined, freq: 2 })), fc.option(fc.tuple(fc.string({ maxLength: 6 }), hostileString.chain(encode)), { nil: undefined, freq: 4 }))
    .map(([...parts]) => {
      const extra = parts.pop() as [string, string] | undefined;
      const kv = queryParams.map((p, i) => (parts[i] === undefined ? null : `${encodeURIComponent(p.name)}=${parts[i] as string}`)).filter((x): x is string => x !== null);
      if (extra) kv.push(`${encodeURIComponent(extra[0])}=${extra[1]}`);
      return kv.length ? `?${kv.join('&')}` : '';
    });
  const body = op.body ? fc.option(bodyFor(doc, op.body.schema), { nil: null, freq: 8 }) : fc.constant(null);
  const type = op.body ? fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...op.body.types) }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data') }) : fc.constant(null);
  const who = fc.constantFrom('none', 'garbage', 'ci', 'admin') as fc.Arbitrary<FuzzRequest['who']>;
  return fc.record({ method: fc.constant(op.method), path, query, body, type, who });
}

const RAW_PATHS = ['/v1/entries/scope/%ff', '/v1/entries/%00/x', '//v1//entries', '/v1/../v1/entries', `/v1/entries/${'a'.repeat(10_000)}`, '/v1/entries?' + 'a=1&'.repeat(2000), '/%', '/ui/%ff', '/v1/artifacts/sha256:%zz'];

for (const engine of testEngines()) {
  describe(`fuzzing every endpoint from /openapi.json on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    const tokens: Record<FuzzRequest['who'], string | null> = { none: null, garbage: 'charter_' + 'x'.repeat(40), ci: null, admin: null };
    let doc: any;
    before(async () => {
      db = await engine.create();
      // Not startTestServer: its OpenAPI drift check is the contract suite's job; here the
      // property is no 5xx, no slow answer, no silence (statuses the fuzzer provokes that the
      // document does not list are printed with CHARTER_FUZZ_STATS=1).
      server = await startServer(resolveConfig({ port: 0, host: '127.0.0.1', dataDir: db.dataDir, databaseUrl: db.databaseUrl, logLevel: 'silent' }, {}));
      tokens.admin = adminToken(server, db.dataDir);
      tokens.ci = await token(server, tokens.admin, 'fuzz-ci', ['scope:platform.registry.propose', 'scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      doc = await (await fetch(`${server.url}/openapi.json`)).json();
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    async function send(r: { method: string; url: string; body: string | null; type: string | null; who: FuzzRequest['who'] }): Promise<{ status: number; ms: number }> {
      const headers: Record<string, string> = {};
      if (r.type && r.body !== null) headers['content-type'] = r.type;
      const t = tokens[r.who];
      if (t) headers.authorization = `Bearer ${t}`;
      const started = Date.now();
      const res = await fetch(server.url + r.url, { method: r.method, headers, body: r.body, signal: AbortSignal.timeout(SLOW_MS * 2) });
      const text = await res.text();
      if (STATS) drifts.push(...checkerFor(doc as OpenApiDocument).check({ method: r.method, url: r.url, status: res.status, contentType: res.headers.get('content-type') ?? '', body: text }));
      return { status: res.status, ms: Date.now() - started };
    }

    async function healthy(): Promise<void> {
      const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(SLOW_MS) });
      assert.equal(res.status, 200, 'the server still answers its health probe');
    }

    it('reads the operations from the live OpenAPI document', () => {
      const ops = operations(doc);
      assert.ok(ops.length >= 30, `${ops.length} operations`);
      assert.ok(ops.some((o) => o.body && o.method === 'POST'));
    });

    it('never answers 5xx or slowly, and keeps answering, whatever arrives', async () => {
      const ops = operations(doc);
      const arbitrary = fc.oneof(...ops.map((op) => requestFor(doc, op)));
      let count = 0;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(arbitrary, { minLength: PARALLEL, maxLength: PARALLEL }), async (batch) => {
          const answers = await Promise.all(batch.map((req) => send({ method: req.method, url: req.path + req.query, body: req.body, type: req.type, who: req.who }).then((a) => ({ req, ...a }))));
          for (const { req, status, ms } of answers) {
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            const what = `${req.method} ${(req.path + req.query).slice(0, 200)} (${req.who}, ${req.type ?? 'no body'}: ${(req.body ?? '').slice(0, 120)})`;
            assert.ok(status < 500, `${status} for ${what}`);
            assert.ok(ms < SLOW_MS, `${ms} ms for ${what}`);
          }
          count += batch.length;
          if (count % BATCH < PARALLEL) await healthy();
        }),
        { numRuns: Math.ceil(RUNS / PARALLEL), ...(process.env.CHARTER_FUZZ_SEED ? { seed: Number(process.env.CHARTER_FUZZ_SEED) } : {}), ...(BUDGET_MS ? { interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false } : {}), endOnFailure: true },
      );
      assert.ok(count >= Math.min(RUNS, 300), `only ${count} requests ran`);
      if (STATS) {
        console.log(`${engine.name}: ${count} requests`, Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
        console.log(`${drifts.length} answers depart from /openapi.json; the first:\n  ${[...new Set(drifts.map((d) => d.slice(0, 240)))].slice(0, 25).join('\n  ')}`);
      }
      for (const path of RAW_PATHS) {
        for (const who of ['none', 'admin'] as const) {
          const { status } = await send({ method: 'GET', url: path, body: null, type: null, who });
          assert.ok(status < 500, `${status} for GET ${path.slice(0, 80)}`);
        }
      }
      await healthy();
    });
  });
}
