import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planChangeSet, type Operation } from './changeset.js';
import { environmentsFor, namespaceMatches, readEnvironment } from './environments.js';
import { DAY, NOW, registry, entry, provenance, scan, BUNDLE } from './policy/policy.testkit.js';
import { trustHorizon } from './policy/horizon.js';

const env = (id: string, namespaces: string[], over: Record<string, unknown> = {}, lifecycle: 'active' | 'proposed' | 'disabled' | 'retired' = 'active') =>
  entry('environment', id, { lifecycle, spec: { stage: 'dev', kubernetes: { cluster: 'local', namespaces }, ...over } });

describe('environment namespace globs', () => {
  it('matches names exactly and globs with * and ?', () => {
    assert.ok(namespaceMatches('gpuaas-dev', 'gpuaas-dev'));
    assert.ok(!namespaceMatches('gpuaas-dev', 'gpuaas-dev2'));
    assert.ok(namespaceMatches('gpuaas-prod*', 'gpuaas-prod'));
    assert.ok(namespaceMatches('gpuaas-prod*', 'gpuaas-prod-eu1'));
    assert.ok(!namespaceMatches('gpuaas-prod*', 'gpuaas-pro'));
    assert.ok(namespaceMatches('team-?-*', 'team-a-web'));
    assert.ok(!namespaceMatches('team-?-*', 'team-ab-web'));
    assert.ok(namespaceMatches('*', 'anything'));
    assert.ok(namespaceMatches('*-dev', 'a-b-dev'));
  });

  it('agrees with a regular-expression reading of the glob on any input', () => {
    const chars = fc.constantFrom('a', 'b', '-', '*', '?');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 10 }), (pattern, ns) => {
        const re = new RegExp(`^${pattern.replace(/[-]/g, '\\-').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        return namespaceMatches(pattern, ns) === re.test(ns);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('environments of a namespace', () => {
  it('returns every environment binding the cluster and a matching namespace, in force or disabled, sorted; proposed and retired ones do not govern', () => {
    const cat = registry(
      env('gpuaas.prod', ['gpuaas-prod*']),
      env('gpuaas.prod_eu', ['gpuaas-prod-eu*'], { mode: 'warn' }),
      env('gpuaas.frozen', ['gpuaas-prod-eu1'], {}, 'disabled'),
      env('gpuaas.next', ['gpuaas-prod-eu1'], {}, 'proposed'),
      env('gpuaas.old', ['gpuaas-prod-eu1'], {}, 'retired'),
      entry('environment', 'other.prod', { spec: { stage: 'prod', kubernetes: { cluster: 'eu1', namespaces: ['*'] } } }),
    );
    assert.deepEqual(environmentsFor(cat, 'local', 'gpuaas-prod-eu1').map((e) => e.id), ['gpuaas.frozen', 'gpuaas.prod', 'gpuaas.prod_eu']);
    assert.deepEqual(environmentsFor(cat, 'local', 'payments'), []);
    assert.deepEqual(environmentsFor(cat, 'eu1', 'payments').map((e) => e.id), ['other.prod']);
  });

  it('reads defaults: mode enforce, pin_digests false; anything but an explicit warn enforces', () => {
    const spec = readEnvironment(env('gpuaas.dev', ['gpuaas-dev'], { artifact_types: ['artifact-type:gpuaas.container_image@2'] }));
    assert.deepEqual(spec, { stage: 'dev', artifactTypes: ['gpuaas.container_image'], cluster: 'local', namespaces: ['gpuaas-dev'], mode: 'enforce', pinDigests: false });
    assert.equal(readEnvironment(env('x.y', ['a'], { mode: 'WARN' })).mode, 'enforce');
  });
});

describe('the environment family', () => {
  const ADMIN = { name: 'admin', product: null, admin: true };
  const create = (spec: unknown): Operation => ({ op: 'create', entry: { family: 'environment', id: 'gpuaas.qa', owner: 'gpuaas', lifecycle: 'active', title: 'QA', spec } as never });
  const errors = (spec: unknown) => planChangeSet(registry(), { title: 't', operations: [create(spec)] }, ADMIN, new Date(NOW).toISOString()).errors;

  it('requires stage, kubernetes.cluster and kubernetes.namespaces', () => {
    assert.deepEqual(errors({ stage: 'dev', kubernetes: { cluster: 'local', namespaces: ['gpuaas-qa'] } }), []);
    const missing = errors({ kubernetes: { namespaces: [] } }).map((e) => e.pointer);
    assert.ok(missing.some((p) => p.endsWith('/spec/stage')), JSON.stringify(missing));
    assert.ok(missing.some((p) => p.endsWith('/spec/kubernetes/cluster')), JSON.stringify(missing));
    assert.ok(errors({ stage: 'dev', kubernetes: { cluster: 'local', namespaces: [] } }).some((e) => e.pointer.endsWith('/spec/kubernetes/namespaces')));
  });

  it('refuses an unknown mode, a namespace that is not a name or glob, and an unresolved artifact type', () => {
    assert.ok(errors({ stage: 'dev', mode: 'audit', kubernetes: { cluster: 'local', namespaces: ['a'] } }).some((e) => e.pointer.endsWith('/spec/mode')));
    assert.ok(errors({ stage: 'dev', kubernetes: { cluster: 'local', namespaces: ['Kube_System'] } }).some((e) => e.pointer.endsWith('/spec/kubernetes/namespaces/0')));
    assert.ok(errors({ stage: 'dev', artifact_types: ['artifact-type:gpuaas.nope'], kubernetes: { cluster: 'local', namespaces: ['a'] } }).some((e) => e.code === 'REFERENCE_UNRESOLVED'));
  });

  it('freezes stage once active: a new meaning needs a new ID', () => {
    const cat = registry(env('gpuaas.qa', ['gpuaas-qa']));
    const p = planChangeSet(cat, { title: 't', operations: [{ op: 'update', family: 'environment', id: 'gpuaas.qa', expected_revision: 1, set: { spec: { stage: 'prod', kubernetes: { cluster: 'local', namespaces: ['gpuaas-qa'] } } } }] }, ADMIN, new Date(NOW).toISOString());
    assert.ok(p.errors.some((e) => e.code === 'FROZEN_FIELD'), JSON.stringify(p.errors));
    const ok = planChangeSet(cat, { title: 't', operations: [{ op: 'update', family: 'environment', id: 'gpuaas.qa', expected_revision: 1, set: { spec: { stage: 'dev', mode: 'warn', kubernetes: { cluster: 'local', namespaces: ['gpuaas-qa', 'gpuaas-qa2'] } } } }] }, ADMIN, new Date(NOW).toISOString());
    assert.deepEqual(ok.errors, []);
  });
});

describe('trust horizon: when a deploy-check answer can next change by the clock alone', () => {
  it('is the next max_age threshold or expiry of the evidence the stages up to this one consult', () => {
    const scanAge = 2 * DAY;
    const input = { artifactType: BUNDLE, stage: 'staging', evidence: [provenance(), scan(0, { age: scanAge })], approvals: [], promotedStages: ['dev', 'staging'], view: registry(), now: NOW, registeredBy: 'ci' };
    const h = trustHorizon(input);
    // 7d max_age: the warning threshold (a day before) comes first.
    assert.equal(h.until, NOW - scanAge + 6 * DAY);
    assert.deepEqual(h.expiring, []);
    const late = trustHorizon({ ...input, now: NOW + 4.5 * DAY });
    assert.equal(late.until, NOW - scanAge + 7 * DAY);
    assert.equal(late.expiring.length, 1);
    assert.equal(late.expiring[0]!.evidence_type, 'vuln_scan');
    assert.equal(late.expiring[0]!.expires_at, new Date(NOW - scanAge + 7 * DAY).toISOString());
  });

  it('includes signer validity and sunsets of the entries consulted, and is unbounded when nothing can expire', () => {
    const dev = { artifactType: BUNDLE, stage: 'dev', evidence: [provenance()], approvals: [], promotedStages: ['dev'], now: NOW, registeredBy: 'ci' };
    assert.equal(trustHorizon({ ...dev, view: registry() }).until, Infinity);
    const notAfter = new Date(NOW + 3 * DAY).toISOString();
    const view = registry(entry('signer', 'platform.release_ci', { spec: { algorithm: 'ed25519', public_key: 'x', evidence_types: ['evidence-type:slsa_provenance_v1'], not_after: notAfter } }));
    assert.equal(trustHorizon({ ...dev, view }).until, NOW + 3 * DAY);
  });
});
