import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import type { RunningServer } from '../server.js';
import { ContractChecker, type OpenApiDocument } from '../testing/contract.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { call } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Omit<OpenApiDocument, 'paths'> & { paths: Record<string, Record<string, any>>; info: any; servers: any; components: any; tags: any[]; openapi: string };

/** The document does not depend on the engine: one SQLite server is enough here. */
describe('the OpenAPI document is the API', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let doc: Doc;
  let dir: string;
  before(async () => {
    db = await testEngines()[0]!.create();
    server = await startTestServer(db);
    doc = (await call(server, 'GET', '/openapi.json')).json as Doc;
    dir = mkdtempSync(join(tmpdir(), 'charter-openapi-'));
  });
  after(async () => {
    await server.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] as any })));

  it('names every operation (unique camelCase operationId), tags and summarizes it, and states its security', () => {
    const ops = operations();
    assert.ok(ops.length >= 43, `${ops.length} operations`);
    const ids = ops.map((o) => o.op.operationId);
    assert.deepEqual(ids.filter((id) => typeof id !== 'string' || !/^[a-z][A-Za-z0-9]+$/.test(id)), [], 'every operationId is camelCase');
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    const tags = new Set(doc.tags?.map((t: any) => t.name));
    for (const { path, method, op } of ops) {
      assert.ok(op.tags?.length && op.tags.every((t: string) => tags.has(t)), `${method} ${path} has a declared tag`);
      assert.ok(op.summary, `${method} ${path} has a summary`);
      assert.ok(Array.isArray(op.security), `${method} ${path} states its security`);
    }
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: 'a Charter token (charter_…)' });
    assert.deepEqual(doc.paths['/v1/entries']!.get!.security, [{}, { bearer: [] }], 'a public read takes a token or none');
    assert.deepEqual(doc.paths['/v1/tokens']!.post!.security, [{ bearer: [] }]);
    assert.equal(doc.info.license.identifier, 'Apache-2.0');
    assert.ok(doc.servers.length > 0);
  });

  it('documents a problem+json answer for every 4XX and 5XX, and 201 where a call creates', () => {
    for (const { path, method, op } of operations()) {
      const statuses = Object.keys(op.responses);
      assert.ok(statuses.includes('5XX'), `${method} ${path} documents 5XX`);
      if (path.startsWith('/v1/')) assert.ok(statuses.some((s) => s.startsWith('4')), `${method} ${path} documents its 4XX`);
      for (const s of statuses.filter((x) => /^[45]/.test(x))) {
        const content = op.responses[s].content;
        assert.deepEqual(Object.keys(content), ['application/problem+json'], `${method} ${path} ${s} is problem+json`);
        const schema = content['application/problem+json'].schema;
        assert.ok(schema.$ref === '#/components/schemas/Problem' || schema.properties?.code, `${method} ${path} ${s} is a Problem`);
      }
      for (const s of statuses.filter((x) => /^2/.test(x))) assert.ok(op.responses[s].content === undefined || Object.values(op.responses[s].content).every((m: any) => m.schema), `${method} ${path} ${s} has a schema`);
    }
    const created = ['createToken', 'submitChangeSet', 'registerArtifact', 'attachEvidence', 'approveRelease', 'promoteArtifact'];
    for (const id of created) assert.ok(operations().find((o) => o.op.operationId === id)!.op.responses['201'], `${id} documents 201`);
    const promote = doc.paths['/v1/artifacts/{digest}/promotions']!.post! as any;
    assert.ok(promote.responses['403'].content['application/problem+json'].schema.properties.decision, 'a denied promotion carries the decision');
    assert.deepEqual(Object.keys((doc.paths['/v1/audit/checkpoint']!.get as any).responses['200'].content), ['text/plain']);
  });

  it('documents request bodies with their media types', () => {
    const evidence = (doc.paths['/v1/artifacts/{digest}/evidence']!.post as any).requestBody.content;
    assert.deepEqual(Object.keys(evidence).sort(), ['application/json', 'application/vnd.dev.sigstore.bundle+json', 'application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.in-toto+json']);
    for (const { path, method, op } of operations()) {
      if (method !== 'post' || ['/v1/changesets/{id}/apply', '/v1/changesets/{id}/approve'].includes(path)) continue;
      assert.ok(op.requestBody?.content, `${method} ${path} documents its body`);
    }
  });

  it('catches a drift: an undocumented status, content type or body shape fails', () => {
    const checker = new ContractChecker(doc as OpenApiDocument);
    const ok = { method: 'GET', url: '/v1/audit/key', status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ name: 'n', public_key: 'k', vkey: 'v' }) };
    assert.deepEqual(checker.check(ok), []);
    assert.match(checker.check({ ...ok, status: 404 }).join(), /status 404 is not documented for getAuditKey/);
    assert.match(checker.check({ ...ok, contentType: 'text/plain' }).join(), /content type 'text\/plain' is not documented/);
    assert.match(checker.check({ ...ok, body: JSON.stringify({ name: 'n' }) }).join(), /does not match the documented schema: \/ must have required property 'public_key'/);
    assert.match(checker.check({ ...ok, url: '/v1/audit/checkpoint', contentType: 'application/json' }).join(), /not documented \(documented: text\/plain\)/);
    const problem = { type: 'urn:x', title: 'Not found', status: 404, code: 'NOT_FOUND', detail: 'no', errors: [] };
    assert.deepEqual(checker.check({ method: 'GET', url: '/v1/nothing', status: 404, contentType: 'application/problem+json', body: JSON.stringify(problem) }), []);
    assert.match(checker.check({ method: 'GET', url: '/v1/nothing', status: 404, contentType: 'application/json', body: '{"message":"Not Found"}' }).join(), /not documented/);
  });

  it('gives a client generated by openapi-typescript types that a usage file type-checks against', async () => {
    writeFileSync(join(dir, 'api.ts'), astToString(await openapiTS(doc as any)));
    const usage = `
import type { components, operations, paths } from './api.js';
type Entry = paths['/v1/entries/{family}/{id}']['get']['responses'][200]['content']['application/json'];
type Problem = components['schemas']['Problem'];
export const entryPath = (p: operations['getEntry']['parameters']['path']): string => \`/v1/entries/\${p.family}/\${encodeURIComponent(p.id)}\`;
export const parse = (status: number, text: string): Entry | Problem => (status === 200 ? (JSON.parse(text) as Entry) : (JSON.parse(text) as Problem));
export function describeEntry(e: Entry): string {
  const replaced: string | null = e.replaced_by;
  return \`\${e.family}:\${e.id}@\${e.revision.toFixed(0)} \${e.lifecycle} \${replaced ?? ''}\`;
}
// A 403 is a denied decision (with it) or a missing scope (without one).
export function denied(d: operations['promoteArtifact']['responses'][403]['content']['application/problem+json']): 'promoted' | 'denied' | 'no decision' {
  return d.decision?.outcome ?? 'no decision';
}
export const secret = (t: operations['createToken']['responses'][201]['content']['application/json']): string => t.token;
export const note = (n: operations['getAuditCheckpoint']['responses'][200]['content']['text/plain']): string => n;
export const envelope: NonNullable<operations['attachEvidence']['requestBody']>['content']['application/vnd.in-toto+json'] = { payloadType: 'application/vnd.in-toto+json', payload: '', signatures: [{ sig: '' }] };
export const check: paths['/v1/check']['post']['requestBody'] = { content: { 'application/json': { refs: ['scope:platform.registry.read'] } } };
export const allowed = (a: operations['check']['responses'][200]['content']['application/json']): boolean => a.allowed && a.results.every((r) => r.allowed);
export const code = (p: operations['getEntry']['responses'][404]['content']['application/problem+json']): string => p.code + p.errors.map((i) => i.pointer).join();
`;
    writeFileSync(join(dir, 'usage.ts'), usage);
    // The negative control: the same types refuse a field the API does not have.
    writeFileSync(join(dir, 'wrong.ts'), `import type { operations } from './api.js';\nexport const x = (e: operations['getEntry']['responses'][200]['content']['application/json']): string => e.no_such_field;\n`);
    // One program, plain ES2022 (no DOM, no @types): a few seconds even on a busy machine.
    const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, lib: ['lib.es2022.d.ts'], types: [] };
    const program = ts.createProgram([join(dir, 'usage.ts'), join(dir, 'wrong.ts')], options);
    const diagnostics = (file: string) => ts.getPreEmitDiagnostics(program, program.getSourceFile(join(dir, file))).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(diagnostics('usage.ts'), []);
    assert.deepEqual(diagnostics('api.ts'), [], 'the generated client compiles');
    assert.match(diagnostics('wrong.ts').join('\n'), /Property 'no_such_field' does not exist/);
  });

  it('passes `redocly lint` with the recommended ruleset (redocly.yaml)', () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
    const r = spawnSync(process.execPath, [cli, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }, timeout: 110_000 });
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    const found = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    assert.deepEqual(found, [], 'no errors and no warnings');
    assert.equal(r.status, 0, r.stderr);
  });
});
