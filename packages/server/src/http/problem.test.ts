import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AuditProofError, CharterError, ERROR_CODES, EvidenceError, PolicyError } from '@charter/core';
import Fastify from 'fastify';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, type Answer } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { ERRORS, errorHandler } from './problem.js';

const DOCS = fileURLToPath(new URL('../../../../docs/errors.md', import.meta.url));

describe('one error catalogue', () => {
  it('docs/errors.md lists exactly the codes, each with the status and title the server answers', () => {
    const rows = readFileSync(DOCS, 'utf8').split('\n').filter((l) => /^\| [A-Z][A-Z_]+ \|/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    const documented = rows.map(([, code, status, title, todo]) => ({ code: code!, status: Number(status), title: title!, todo: todo! }));
    assert.deepEqual(documented.map((d) => d.code).sort(), [...ERROR_CODES].sort(), 'the same set of codes');
    assert.equal(new Set(documented.map((d) => d.code)).size, documented.length, 'each code once');
    for (const d of documented) {
      const row = ERRORS[d.code as keyof typeof ERRORS];
      assert.deepEqual({ code: d.code, status: d.status, title: d.title }, { code: d.code, status: row.status, title: row.title });
      assert.ok(d.todo.length > 10, `${d.code} says what to do`);
    }
  });

  it('maps every error core throws to its problem, never to a 500', async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    const throwers: Record<string, () => never> = {
      policy: () => {
        throw new PolicyError('INVALID_POLICY', 'artifact type x has no stages[]');
      },
      stage: () => {
        throw new PolicyError('UNKNOWN_STAGE', 'no stage qa', ['dev', 'prod']);
      },
      evidence: () => {
        throw new EvidenceError('MALFORMED_ENVELOPE', '/signatures', 'must be a non-empty array');
      },
      proof: () => {
        throw new AuditProofError('INVALID_ARGUMENT', 'index out of range');
      },
      domain: () => {
        throw new CharterError('UNKNOWN_ENTRY', 'scope:x is not in the registry', { cause: new Error('lookup') });
      },
      bug: () => {
        throw new TypeError('undefined is not a function');
      },
    };
    for (const [name, fn] of Object.entries(throwers)) app.get(`/${name}`, async () => fn());
    const got = async (path: string) => {
      const r = await app.inject({ method: 'GET', url: path });
      return { status: r.statusCode, type: r.headers['content-type'], body: r.json() as { code: string; errors: { pointer: string; code: string }[]; title: string } };
    };
    assert.deepEqual(await got('/policy').then((r) => [r.status, r.body.code, r.body.title]), [422, 'INVALID_POLICY', 'Invalid promotion policy']);
    assert.deepEqual(await got('/stage').then((r) => [r.status, r.body.code]), [422, 'UNKNOWN_STAGE']);
    const ev = await got('/evidence');
    assert.deepEqual([ev.status, ev.body.code, ev.body.errors[0]], [422, 'MALFORMED_ENVELOPE', { pointer: '/signatures', code: 'MALFORMED_ENVELOPE', detail: '/signatures: must be a non-empty array' }]);
    assert.deepEqual(await got('/proof').then((r) => [r.status, r.body.code]), [400, 'INVALID_ARGUMENT']);
    assert.deepEqual(await got('/domain').then((r) => [r.status, r.body.code]), [404, 'UNKNOWN_ENTRY']);
    const bug = await got('/bug');
    assert.deepEqual([bug.status, bug.body.code], [500, 'INTERNAL'], 'only a real fault is a 500');
    assert.match(String(bug.type), /^application\/problem\+json/);
    assert.ok(!JSON.stringify(bug.body).includes('undefined is not a function'), 'a fault does not leak its message');
    await app.close();
  });
});

/** A raw HTTP/1.1 exchange, for what fetch refuses to send. */
function raw(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; nosniff: string | undefined; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), nosniff: res.headers['x-content-type-options'] as string | undefined, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Framework behaviour does not depend on the store: one SQLite server. */
describe('framework errors are problems too', () => {
  let db: TestDatabase;
  let server: RunningServer;
  before(async () => {
    db = await testEngines()[0]!.create();
    server = await startTestServer(db);
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  const isProblem = (r: Answer, status: number, code: string) => {
    assert.equal(r.status, status, r.text);
    assert.match(r.type, /^application\/problem\+json/);
    assert.equal(r.json.code, code);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  };

  it('answers bad percent-encoding with 400 MALFORMED_URL', async () => {
    isProblem(await call(server, 'GET', '/v1/entries/scope/%ff'), 400, 'MALFORMED_URL');
  });

  it('answers an over-long path parameter with 414 URI_TOO_LONG, and a long but allowed one reaches its schema', async () => {
    isProblem(await call(server, 'GET', `/v1/entries/scope/${'a'.repeat(300)}`), 414, 'URI_TOO_LONG');
    const schema = await call(server, 'GET', `/v1/entries/scope/${'a'.repeat(200)}`);
    isProblem(schema, 400, 'MALFORMED_REQUEST');
    assert.equal(schema.json.errors[0].pointer, '/params/id');
  });

  it('answers a request line over the header limit with 414 and headers over it with 431, as problems', async () => {
    const longUrl = await raw(server.url, `/v1/entries?q=${'a'.repeat(20_000)}`);
    assert.deepEqual([longUrl.status, longUrl.body.code, longUrl.nosniff], [414, 'URI_TOO_LONG', 'nosniff']);
    assert.match(longUrl.type, /^application\/problem\+json/);
    const big = await raw(server.url, '/v1/families', { 'x-filler': 'a'.repeat(20_000) });
    assert.deepEqual([big.status, big.body.code, big.body.title], [431, 'HEADERS_TOO_LARGE', 'Request headers too large']);
    assert.match(big.type, /^application\/problem\+json/);
    assert.equal((await call(server, 'GET', '/healthz')).status, 200, 'the server still answers');
  });

  it("answers Fastify's own body errors as problems: media type 415, size 413, not JSON 400", async () => {
    const admin = adminToken(server, db.dataDir);
    isProblem(await call(server, 'POST', '/v1/tokens', { token: admin, body: 'principal=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    isProblem(await call(server, 'POST', '/v1/tokens', { token: admin, body: JSON.stringify({ principal: 'x', scopes: ['a'.repeat(2 * 1024 * 1024)] }) }), 413, 'PAYLOAD_TOO_LARGE');
    isProblem(await call(server, 'POST', '/v1/tokens', { token: admin, body: '{"principal":' }), 400, 'MALFORMED_REQUEST');
    isProblem(await call(server, 'POST', '/v1/check', { body: '{"refs":' }), 400, 'MALFORMED_REQUEST');
    isProblem(await call(server, 'GET', '/v1/entries?limit=0'), 400, 'MALFORMED_REQUEST');
    isProblem(await call(server, 'GET', '/v1/no-such-route'), 404, 'NOT_FOUND');
  });

  it('answers a change-set cursor it did not issue with 400, as /v1/entries does', async () => {
    for (const path of ['/v1/changesets?cursor=bm90LWEtY3Vyc29y', '/v1/entries?cursor=bm90LWEtY3Vyc29y']) {
      const r = await call(server, 'GET', path);
      isProblem(r, 400, 'MALFORMED_REQUEST');
      assert.equal(r.json.errors[0].pointer, '/querystring/cursor');
    }
    const page = await call(server, 'GET', '/v1/changesets?limit=1');
    assert.equal(page.status, 200);
  });

  it('sends X-Content-Type-Options: nosniff with JSON answers, the fast path included', async () => {
    for (const r of [await call(server, 'GET', '/v1/families'), await call(server, 'POST', '/v1/check', { body: { refs: ['scope:platform.registry.read'] } }), await call(server, 'GET', '/v1/audit/checkpoint')]) {
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    }
  });
});
