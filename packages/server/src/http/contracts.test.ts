import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { call } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);

describe('run-time contract checks over HTTP', () => {
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

  it('accepts an app manifest that satisfies app_sdk.v1 and names usable, allowed refs', async () => {
    const manifest = { name: 'llm_chat', version: '1.2.0', artifact: { digest: DIGEST, artifact_type: 'artifact-type:gpuaas.container_image' }, scopes: ['scope:gpuaas.instances.read'], usage_units: ['usage-unit:gpu_hour'] };
    const r = await call(server, 'POST', '/v1/validate/manifest', { body: { contract: 'sdk-contract:app_sdk.v1', manifest } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.errors, []);
    assert.equal(r.json.valid, true);
    assert.equal(r.json.contract.ref, 'sdk-contract:app_sdk.v1');
  });

  it('refuses a manifest with schema problems and unusable refs, each at its pointer', async () => {
    const manifest = { name: 'Bad Name', version: '1.2', artifact: { digest: DIGEST, artifact_type: 'artifact-type:gpuaas.nope' }, scopes: ['scope:gpuaas.instances.read', 'scope:platform.registry.admin'] };
    const r = await call(server, 'POST', '/v1/validate/manifest', { body: { contract: 'sdk-contract:app_sdk.v1', manifest } });
    assert.equal(r.json.valid, false);
    const at = r.json.errors.map((e: any) => `${e.code} ${e.pointer}`);
    assert.ok(at.includes('INVALID_MANIFEST /manifest/name'), JSON.stringify(at));
    assert.ok(at.includes('INVALID_MANIFEST /manifest/version'));
    assert.ok(at.includes('UNUSABLE_ENTRY /manifest/artifact/artifact_type'));
    assert.ok(at.some((x: string) => x.endsWith('/manifest/scopes/1')), 'a scope the contract does not allow is refused');
    const unknown = await call(server, 'POST', '/v1/validate/manifest', { body: { contract: 'sdk-contract:app_sdk.v9', manifest: {} } });
    assert.deepEqual([unknown.json.valid, unknown.json.errors[0].pointer], [false, '/contract']);
  });

  it('validates usage records against their units: kind, precision, dimensions, usability', async () => {
    const r = await call(server, 'POST', '/v1/validate/usage', {
      body: { records: [{ unit: 'usage-unit:gpu_hour', quantity: 1.5, dimensions: { gpu_model: 'h100' } }, { unit: 'usage-unit:gpu_hour', quantity: -1 }, { unit: 'usage-unit:gpu_hour', quantity: 1, dimensions: { colour: 'red' } }, { unit: 'usage-unit:nope', quantity: 1 }] },
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.valid, false);
    assert.deepEqual(r.json.results.map((x: any) => x.valid), [true, false, false, false]);
    assert.equal(r.json.results[1].errors[0].pointer, '/records/1/quantity');
    assert.equal(r.json.results[2].errors[0].pointer, '/records/2/dimensions/colour');
    assert.equal(r.json.results[3].errors[0].pointer, '/records/3/unit');
    assert.equal((await call(server, 'POST', '/v1/validate/usage', { body: { records: [] } })).status, 400);
  });

  it('renders a notification only for a declared channel with variables that satisfy its schema', async () => {
    const ok = await call(server, 'POST', '/v1/notifications/render', { body: { template: 'notification-template:gpuaas.quota_exceeded', channel: 'email', variables: { project_id: 'p-1', quota: 8, used: 9 } } });
    assert.equal(ok.json.valid, true, JSON.stringify(ok.json.errors));
    assert.equal(ok.json.subject, 'Project p-1 has exceeded its quota');
    assert.match(ok.json.body, /using 9 against a quota of 8/);
    const bad = await call(server, 'POST', '/v1/notifications/render', { body: { template: 'notification-template:gpuaas.quota_exceeded', channel: 'sms', variables: { project_id: 'p-1' } } });
    assert.equal(bad.json.valid, false);
    assert.equal(bad.json.subject, null);
    const at = bad.json.errors.map((e: any) => e.pointer);
    assert.ok(at.includes('/channel'));
    assert.ok(at.some((p: string) => p.startsWith('/variables')));
  });
});
