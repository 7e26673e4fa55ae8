import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { Catalog } from './catalog.js';
import { planChangeSet, type ChangeSetInput, type Operation, type Plan, type Principal } from './changeset.js';
import type { EntryInput } from './entry.js';
import type { ErrorCode } from './errors.js';

const NOW = '2026-03-01T00:00:00.000Z';
const ADMIN: Principal = { name: 'alice', product: null, admin: true };
const GPUAAS: Principal = { name: 'gpuaas-ci', product: 'gpuaas', admin: false };

const ed25519Pem = (): string => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

// ---- entry builders (registry as code, as a product team writes it) -------------------------

const product = (id: string): Operation => ({ op: 'create', entry: { family: 'product', id, owner: id, lifecycle: 'active', title: id, spec: { owner_domain: `${id}.example.com` } } });

function create(entry: Partial<EntryInput> & Pick<EntryInput, 'family' | 'id' | 'spec'>): Operation {
  const ns = entry.id.split('.')[0]!;
  const owner = entry.owner ?? (['gpuaas', 'inference', 'platform'].includes(ns) ? ns : 'platform');
  return { op: 'create', entry: { lifecycle: 'active', title: entry.id, ...entry, owner } };
}

const scope = (id: string, implies: string[] = [], extra: Partial<EntryInput> = {}): Operation =>
  create({ family: 'scope', id, spec: { kind: 'api', privileged: true, ...(implies.length ? { implies } : {}) }, ...extra });

const unit = (id: string, extra: Partial<EntryInput> = {}): Operation =>
  create({ family: 'usage-unit', id, spec: { unit: 'hour', quantity: 'duration', aggregation: 'sum', billable: true, precision: 6 }, ...extra });

const evidenceType = (id: string): Operation =>
  create({ family: 'evidence-type', id, spec: { predicate_type: `https://example.com/${id}/v1`, retention_class: 'standard', signature: 'required' } });

const signer = (id: string, evidence: string[], extra: Partial<EntryInput> = {}): Operation =>
  create({ family: 'signer', id, spec: { algorithm: 'ed25519', public_key: ed25519Pem(), evidence_types: evidence }, ...extra });

const artifactType = (id: string, stages: unknown[], mediaTypes = ['application/vnd.gpuaas.bundle.v1.tar+gzip']): Operation =>
  create({ family: 'artifact-type', id, spec: { media_types: mediaTypes, stages } });

const update = (family: string, id: string, expected_revision: number, set: Record<string, unknown>): Operation =>
  ({ op: 'update', family, id, expected_revision, set }) as Operation;

const transition = (family: string, id: string, expected_revision: number, to: string, extra: Record<string, unknown> = {}): Operation =>
  ({ op: 'transition', family, id, expected_revision, to, ...extra }) as Operation;

// ---- planning helpers ------------------------------------------------------------------------

interface Planned extends Plan {
  body: ChangeSetInput;
}

function plan(cat: Catalog, operations: Operation[], who: Principal = ADMIN): Planned {
  const body: ChangeSetInput = { title: 'test change set', operations };
  return { ...planChangeSet(cat, body, who, NOW), body };
}

/** Plans, requires zero errors, and installs the planned entries the way the server does. */
function commit(cat: Catalog, operations: Operation[], who: Principal = ADMIN): Planned {
  const p = plan(cat, operations, who);
  assert.deepEqual(p.errors, [], 'expected a clean plan');
  cat.apply(p.changes.map((c) => c.after), cat.sequence + 1);
  return p;
}

function resolve(doc: unknown, ptr: string): { found: boolean } {
  if (ptr === '') return { found: true };
  let cur: unknown = doc;
  for (const raw of ptr.slice(1).split('/')) {
    const tok = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, tok)) return { found: false };
    cur = (cur as Record<string, unknown>)[tok];
  }
  return { found: true };
}

/** Every error points into the submitted body: at a field, or at the object missing a required one. */
function assertPointersInBody(p: Planned): void {
  for (const e of p.errors) {
    const parent = e.pointer.slice(0, Math.max(0, e.pointer.lastIndexOf('/')));
    assert.ok(resolve(p.body, e.pointer).found || resolve(p.body, parent).found, `pointer ${e.pointer} (${e.code}) is not inside the submitted body`);
  }
}

function expectIssue(p: Planned, code: ErrorCode, pointer: string, detail?: RegExp): void {
  const hit = p.errors.find((e) => e.code === code && e.pointer === pointer);
  assert.ok(hit, `expected ${code} at ${pointer}, got ${JSON.stringify(p.errors, null, 1)}`);
  if (detail) assert.match(hit.detail, detail);
  assertPointersInBody(p);
}

function expectClean(p: Planned): void {
  assert.deepEqual(p.errors, []);
}

/** platform, gpuaas and inference, a few scopes, an evidence type, a signer and an artifact type. */
function registry(): Catalog {
  const cat = new Catalog();
  commit(cat, [
    product('platform'),
    product('gpuaas'),
    product('inference'),
    unit('gpu_hour'),
    scope('gpuaas.instances.read'),
    scope('gpuaas.instances.write', ['scope:gpuaas.instances.read']),
    scope('inference.models.read'),
    evidenceType('slsa_provenance_v1'),
    signer('platform.release_ci', ['evidence-type:slsa_provenance_v1']),
    artifactType('gpuaas.runtime_bundle', [
      { name: 'dev', requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'] }] },
      { name: 'prod', requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'] }, { approvals: 2 }] },
    ]),
  ]);
  return cat;
}

// ---- tests -----------------------------------------------------------------------------------

describe('change set planning is pure', () => {
  it('planning stores nothing and the plan has one change per entry at revision 1', () => {
    const cat = registry();
    const seq = cat.sequence;
    const p = plan(cat, [scope('gpuaas.quotas.write')]);
    expectClean(p);
    assert.equal(cat.get('scope', 'gpuaas.quotas.write'), undefined);
    assert.equal(cat.sequence, seq);
    assert.equal(p.changes.length, 1);
    const c = p.changes[0]!;
    assert.equal(c.ref, 'scope:gpuaas.quotas.write');
    assert.equal(c.action, 'create');
    assert.equal(c.before, null);
    assert.equal(c.after.revision, 1);
    assert.equal(c.after.created_at, NOW);
    assert.equal(c.after.activated_at, NOW);
  });

  it('an entry created without a lifecycle is proposed and not yet activated', () => {
    const p = plan(registry(), [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.x', owner: 'gpuaas', title: 'x', spec: { kind: 'api', privileged: false } } }]);
    expectClean(p);
    assert.equal(p.changes[0]!.after.lifecycle, 'proposed');
    assert.equal(p.changes[0]!.after.activated_at, null);
  });
});

describe('spec schema → INVALID_SPEC with a pointer to the field', () => {
  it('a value outside an enum', () => {
    const p = plan(registry(), [create({ family: 'scope', id: 'gpuaas.x', spec: { kind: 'superuser', privileged: true } })]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/kind');
  });

  it('a missing required field points at where it belongs', () => {
    const p = plan(registry(), [create({ family: 'scope', id: 'gpuaas.x', spec: { kind: 'api' } })]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/privileged', /required/);
  });

  it('a field the family does not define (additionalProperties is false)', () => {
    const p = plan(registry(), [create({ family: 'scope', id: 'gpuaas.x', spec: { kind: 'api', privileged: true, owner_team: 'x' } })]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/owner_team');
  });

  it('a nested field deep in an artifact type stage', () => {
    const p = plan(registry(), [
      artifactType('gpuaas.image', [{ name: 'dev', requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'], max_age: '7 days' }] }]),
    ]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/stages/0/requirements/0/max_age');
  });

  it('a stage named twice (a check the schema cannot express)', () => {
    const req = [{ approvals: 1 }];
    const p = plan(registry(), [artifactType('gpuaas.image', [{ name: 'dev', requirements: req }, { name: 'dev', requirements: req }])]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/stages/1/name', /twice/);
  });

  it('a signer whose key is not of its algorithm, and a window that ends before it starts', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const p = plan(registry(), [
      create({ family: 'signer', id: 'platform.k1', spec: { algorithm: 'ed25519', public_key: rsa, evidence_types: ['evidence-type:slsa_provenance_v1'] } }),
      create({
        family: 'signer',
        id: 'platform.k2',
        spec: { algorithm: 'ed25519', public_key: ed25519Pem(), evidence_types: ['evidence-type:slsa_provenance_v1'], not_before: '2027-01-01T00:00:00Z', not_after: '2026-01-01T00:00:00Z' },
      }),
    ]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/public_key', /not ed25519/);
    expectIssue(p, 'INVALID_SPEC', '/operations/1/entry/spec/not_after');
  });

  it('an embedded JSON Schema that is not a usable schema', () => {
    const p = plan(registry(), [create({ family: 'notification-template', id: 'gpuaas.t', spec: { channels: ['email'], variables: { type: 'no-such-type' } } })]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/entry/spec/variables/type', /not a usable JSON Schema/);
  });

  it('an update with an invalid spec points into `set`', () => {
    const p = plan(registry(), [update('scope', 'gpuaas.instances.read', 1, { spec: { kind: 'api', privileged: 'no' } })]);
    expectIssue(p, 'INVALID_SPEC', '/operations/0/set/spec/privileged');
  });

  it('the same embedded schema (with an $id) validates on every submission, not only the first', () => {
    const contract = (): Operation =>
      create({ family: 'sdk-contract', id: 'app_sdk.v9', spec: { manifest_schema: { $id: 'https://charter.example/app_sdk.v9/manifest.json', type: 'object' } } });
    expectClean(plan(registry(), [contract()]));
    // the server plans at submit and again at apply, from freshly parsed JSON each time
    expectClean(plan(registry(), [contract()]));
  });
});

describe('request shape → MALFORMED_REQUEST', () => {
  it('an operation of an unknown kind is refused with a pointer to it', () => {
    const p = plan(registry(), [{ op: 'delete', family: 'scope', id: 'gpuaas.instances.read' } as unknown as Operation]);
    assert.ok(p.errors.length > 0);
    assert.ok(p.errors.every((e) => e.code === 'MALFORMED_REQUEST' && e.pointer.startsWith('/operations/0')));
    assert.deepEqual(p.changes, []);
  });

  it('a create with a bad title reports that problem, not the required fields of update and transition', () => {
    const p = plan(registry(), [{ op: 'create', entry: { family: 'usage-unit', id: 'gpuaas.x', owner: 'gpuaas', title: '', spec: {} } }]);
    assert.deepEqual(p.errors.map((e) => [e.code, e.pointer]), [['MALFORMED_REQUEST', '/operations/0/entry/title']]);
  });
});

describe('ID grammar → INVALID_ID', () => {
  for (const id of ['GPUaaS.x', 'gpuaas..x', 'gpuaas.x.', '9gpu', 'gpuaas.' + 'x'.repeat(125), 'a.b.c.d.e.f.g.h.i', 'gpuaas.ünit']) {
    it(`refuses ${JSON.stringify(id.length > 40 ? id.slice(0, 20) + '…' : id)} at /entry/id`, () => {
      const p = plan(registry(), [unit(id, { owner: 'gpuaas' })]);
      expectIssue(p, 'INVALID_ID', '/operations/0/entry/id');
      assert.deepEqual(p.changes, []);
    });
  }
});

describe('namespace and ownership', () => {
  it("a gpuaas-bound product token may create in gpuaas's namespace", () => {
    expectClean(plan(registry(), [scope('gpuaas.quotas.write')], GPUAAS));
  });

  it("a gpuaas-bound token cannot create in inference's namespace → NAMESPACE_DENIED", () => {
    const p = plan(registry(), [scope('inference.models.write')], GPUAAS);
    expectIssue(p, 'NAMESPACE_DENIED', '/operations/0/entry/id', /inference/);
  });

  it('a gpuaas-bound token cannot create an un-namespaced (shared platform) ID → NAMESPACE_DENIED', () => {
    const p = plan(registry(), [unit('tpu_hour')], GPUAAS);
    expectIssue(p, 'NAMESPACE_DENIED', '/operations/0/entry/id', /platform\.registry\.admin/);
  });

  it('…and claiming such an ID for itself is refused too', () => {
    const p = plan(registry(), [unit('tpu_hour', { owner: 'gpuaas' })], GPUAAS);
    assert.ok(p.errors.some((e) => e.code === 'NAMESPACE_DENIED'));
    assertPointersInBody(p);
  });

  it('a gpuaas-bound token cannot update or transition entries of another product', () => {
    const p = plan(registry(), [update('scope', 'inference.models.read', 1, { title: 'mine now' }), transition('usage-unit', 'gpu_hour', 1, 'disabled')], GPUAAS);
    expectIssue(p, 'NAMESPACE_DENIED', '/operations/0/id');
    expectIssue(p, 'NAMESPACE_DENIED', '/operations/1/id');
  });

  it('a product token cannot create a product', () => {
    const p = plan(registry(), [product('storage')], GPUAAS);
    assert.ok(p.errors.some((e) => e.code === 'NAMESPACE_DENIED'));
  });

  it('an admin may create shared vocabulary and entries in any namespace', () => {
    expectClean(plan(registry(), [unit('tpu_hour'), scope('inference.models.write')]));
  });

  it('the wrong owner for a product-prefixed ID → NAMESPACE_DENIED at /owner, even for an admin', () => {
    const p = plan(registry(), [scope('gpuaas.quotas.write', [], { owner: 'platform' })]);
    expectIssue(p, 'NAMESPACE_DENIED', '/operations/0/entry/owner', /owner must be 'gpuaas'/);
  });

  it('the wrong owner for an un-namespaced ID → NAMESPACE_DENIED at /owner', () => {
    const p = plan(registry(), [unit('tpu_hour', { owner: 'gpuaas' })]);
    expectIssue(p, 'NAMESPACE_DENIED', '/operations/0/entry/owner', /platform/);
  });

  it('a prefix that is not a product makes the ID shared vocabulary, owned by platform', () => {
    const p = plan(registry(), [scope('storage.volumes.read', [], { owner: 'storage' })]);
    assert.ok(p.errors.some((e) => e.pointer === '/operations/0/entry/owner' && (e.code === 'NAMESPACE_DENIED' || e.code === 'OWNER_UNKNOWN')));
  });

  it('an owner product that does not exist → OWNER_UNKNOWN', () => {
    const p = plan(new Catalog(), [unit('gpu_hour')]);
    expectIssue(p, 'OWNER_UNKNOWN', '/operations/0/entry/owner', /platform/);
  });

  it('a product created earlier in the same change set owns what follows it', () => {
    expectClean(plan(new Catalog(), [product('platform'), unit('gpu_hour'), product('gpuaas'), scope('gpuaas.instances.read')]));
  });

  it('a product cannot take a name that is already a shared ID → NAMESPACE_TAKEN', () => {
    const p = plan(registry(), [product('gpu_hour')]);
    expectIssue(p, 'NAMESPACE_TAKEN', '/operations/0/entry/id');
  });

  it('a product cannot take a name that prefixes existing shared IDs (they would change owner)', () => {
    const cat = registry();
    commit(cat, [scope('storage.volumes.read')]); // 'storage' is not a product: shared, owned by platform
    assert.equal(cat.get('scope', 'storage.volumes.read')!.owner, 'platform');
    const p = plan(cat, [product('storage')]);
    assert.ok(p.errors.some((e) => e.code === 'NAMESPACE_TAKEN' || e.code === 'NAMESPACE_DENIED'), JSON.stringify(p.errors));
  });

  it("an ID equal to a product's name is neither that product's entry nor in its namespace", () => {
    const p = plan(registry(), [scope('gpuaas')], GPUAAS);
    assert.ok(p.errors.length > 0, 'scope:gpuaas should be refused');
  });
});

describe('reference integrity', () => {
  it('a reference to an unknown entry → REFERENCE_UNRESOLVED at the reference', () => {
    const p = plan(registry(), [scope('gpuaas.instances.admin', ['scope:gpuaas.instances.write', 'scope:gpuaas.nope'])]);
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/0/entry/spec/implies/1');
    assert.equal(p.errors.length, 1);
  });

  it('a reference to a disabled entry → REFERENCE_UNRESOLVED', () => {
    const cat = registry();
    commit(cat, [transition('scope', 'gpuaas.instances.write', 1, 'disabled')]);
    const p = plan(cat, [scope('gpuaas.instances.admin', ['scope:gpuaas.instances.write'])]);
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/0/entry/spec/implies/0', /disabled/);
  });

  it('a reference to a retired entry → REFERENCE_UNRESOLVED', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.old', [], { lifecycle: 'proposed' })]);
    commit(cat, [transition('scope', 'gpuaas.old', 1, 'retired')]);
    const p = plan(cat, [scope('gpuaas.instances.admin', ['scope:gpuaas.old'])]);
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/0/entry/spec/implies/0', /retired/);
  });

  it('a pinned revision the target has not reached → REFERENCE_UNRESOLVED; a reached one is fine', () => {
    const p = plan(registry(), [scope('gpuaas.a', ['scope:gpuaas.instances.read@2']), scope('gpuaas.b', ['scope:gpuaas.instances.read@1'])]);
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/0/entry/spec/implies/0', /revision/);
    assert.equal(p.errors.length, 1);
  });

  it('a reference to a proposed entry is allowed (a signer awaiting its real key)', () => {
    const cat = registry();
    commit(cat, [signer('platform.scanner', ['evidence-type:slsa_provenance_v1'], { lifecycle: 'proposed' })]);
    expectClean(plan(cat, [artifactType('gpuaas.image', [{ name: 'dev', requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.scanner'] }] }])]));
  });

  it('references to entries created earlier in the same change set are fine; later ones are not', () => {
    const cat = registry();
    expectClean(plan(cat, [scope('gpuaas.a'), scope('gpuaas.b', ['scope:gpuaas.a'])]));
    const p = plan(cat, [scope('gpuaas.b', ['scope:gpuaas.a']), scope('gpuaas.a')]);
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/0/entry/spec/implies/0');
  });

  it('deprecation replaced_by of another family → REFERENCE_WRONG_FAMILY', () => {
    const p = plan(registry(), [transition('scope', 'gpuaas.instances.write', 1, 'deprecated', { replaced_by: 'usage-unit:gpu_hour' })]);
    expectIssue(p, 'REFERENCE_WRONG_FAMILY', '/operations/0/replaced_by');
  });

  it('a spec reference of the wrong family → REFERENCE_WRONG_FAMILY', () => {
    const p = plan(registry(), [scope('gpuaas.a', ['usage-unit:gpu_hour'])]);
    expectIssue(p, 'REFERENCE_WRONG_FAMILY', '/operations/0/entry/spec/implies/0');
  });

  it('a spec reference of the wrong family is refused, at the reference', () => {
    const p = plan(registry(), [scope('gpuaas.a', ['usage-unit:gpu_hour'])]);
    assert.ok(p.errors.some((e) => e.pointer === '/operations/0/entry/spec/implies/0'), JSON.stringify(p.errors));
    assertPointersInBody(p);
  });

  function withDeprecatedRead(): Catalog {
    const cat = registry();
    commit(cat, [scope('gpuaas.instances.view'), transition('scope', 'gpuaas.instances.read', 1, 'deprecated', { replaced_by: 'scope:gpuaas.instances.view' })]);
    return cat;
  }

  it('a new reference to a deprecated entry → REFERENCE_DEPRECATED, naming the replacement', () => {
    const p = plan(withDeprecatedRead(), [scope('gpuaas.instances.admin', ['scope:gpuaas.instances.read'])]);
    expectIssue(p, 'REFERENCE_DEPRECATED', '/operations/0/entry/spec/implies/0', /scope:gpuaas\.instances\.view/);
  });

  it('…and adding one in an update is refused too', () => {
    const cat = withDeprecatedRead();
    commit(cat, [scope('gpuaas.instances.admin')]);
    const p = plan(cat, [update('scope', 'gpuaas.instances.admin', 1, { spec: { kind: 'api', privileged: true, implies: ['scope:gpuaas.instances.read'] } })]);
    expectIssue(p, 'REFERENCE_DEPRECATED', '/operations/0/set/spec/implies/0');
  });

  it('an existing reference to a now-deprecated entry survives an update', () => {
    const cat = withDeprecatedRead();
    // gpuaas.instances.write already implies the deprecated read scope; it may keep it while changing other things
    const p = plan(cat, [update('scope', 'gpuaas.instances.write', 1, { title: 'Write instances', spec: { kind: 'api', privileged: true, implies: ['scope:gpuaas.instances.read', 'scope:gpuaas.instances.view'] } })]);
    expectClean(p);
  });

  it('activating a proposed entry re-checks its references against the registry now', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.instances.admin', ['scope:gpuaas.instances.write'], { lifecycle: 'proposed' })]);
    commit(cat, [transition('scope', 'gpuaas.instances.write', 1, 'disabled')]);
    const p = plan(cat, [transition('scope', 'gpuaas.instances.admin', 1, 'active')]);
    assert.ok(p.errors.some((e) => e.code === 'REFERENCE_UNRESOLVED'), JSON.stringify(p.errors));
  });

  it('…and its error points into the submitted body', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.instances.admin', ['scope:gpuaas.instances.write'], { lifecycle: 'proposed' })]);
    commit(cat, [transition('scope', 'gpuaas.instances.write', 1, 'disabled')]);
    assertPointersInBody(plan(cat, [transition('scope', 'gpuaas.instances.admin', 1, 'active')]));
  });
});

describe('lifecycle rules', () => {
  it('an illegal move → ILLEGAL_TRANSITION at /to', () => {
    const p = plan(registry(), [transition('scope', 'gpuaas.instances.write', 1, 'retired')]);
    expectIssue(p, 'ILLEGAL_TRANSITION', '/operations/0/to', /active to retired/);
  });

  it('creating an entry directly in a later state is refused', () => {
    const p = plan(registry(), [scope('gpuaas.x', [], { lifecycle: 'deprecated' })]);
    assert.ok(p.errors.some((e) => e.pointer === '/operations/0/entry/lifecycle'), JSON.stringify(p.errors));
  });

  it('deprecating without replaced_by or sunset_at → DEPRECATION_NEEDS_REPLACEMENT', () => {
    const p = plan(registry(), [transition('scope', 'gpuaas.instances.write', 1, 'deprecated')]);
    expectIssue(p, 'DEPRECATION_NEEDS_REPLACEMENT', '/operations/0');
  });

  it('deprecating with only a sunset_at is enough, and records it', () => {
    const p = plan(registry(), [transition('scope', 'gpuaas.instances.write', 1, 'deprecated', { sunset_at: '2026-12-31T00:00:00Z' })]);
    expectClean(p);
    assert.equal(p.changes[0]!.after.sunset_at, '2026-12-31T00:00:00Z');
  });

  it('replaced_by must exist, be live and not be the entry itself', () => {
    const p = plan(registry(), [
      transition('scope', 'gpuaas.instances.write', 1, 'deprecated', { replaced_by: 'scope:gpuaas.nope' }),
      transition('scope', 'gpuaas.instances.read', 1, 'deprecated', { replaced_by: 'scope:gpuaas.instances.read' }),
    ]);
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/0/replaced_by');
    expectIssue(p, 'REFERENCE_UNRESOLVED', '/operations/1/replaced_by');
  });

  it('reactivating a deprecated entry clears replaced_by and sunset_at', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.v2'), transition('scope', 'gpuaas.instances.write', 1, 'deprecated', { replaced_by: 'scope:gpuaas.v2', sunset_at: '2026-12-31T00:00:00Z' })]);
    const p = commit(cat, [transition('scope', 'gpuaas.instances.write', 2, 'active')]);
    assert.equal(p.changes[0]!.after.replaced_by, null);
    assert.equal(p.changes[0]!.after.sunset_at, null);
    assert.equal(cat.check('scope:gpuaas.instances.write', Date.parse(NOW)).reason, 'active');
  });

  it('retiring an entry that live entries still reference → REFERENCED_BY_ACTIVE, listing them', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.instances.admin', ['scope:gpuaas.instances.read']), scope('gpuaas.view')]);
    const p = plan(cat, [
      transition('scope', 'gpuaas.instances.read', 1, 'deprecated', { replaced_by: 'scope:gpuaas.view' }),
      transition('scope', 'gpuaas.instances.read', 1, 'retired'),
    ]);
    expectIssue(p, 'REFERENCED_BY_ACTIVE', '/operations/1/to');
    const detail = p.errors.find((e) => e.code === 'REFERENCED_BY_ACTIVE')!.detail;
    assert.match(detail, /scope:gpuaas\.instances\.admin/);
    assert.match(detail, /scope:gpuaas\.instances\.write/);
  });

  it('retiring is allowed once the references are removed in the same change set', () => {
    const cat = registry();
    commit(cat, [transition('scope', 'gpuaas.instances.read', 1, 'deprecated', { sunset_at: '2026-04-01T00:00:00Z' })]);
    expectClean(
      plan(cat, [
        update('scope', 'gpuaas.instances.write', 1, { spec: { kind: 'api', privileged: true } }),
        transition('scope', 'gpuaas.instances.read', 2, 'retired'),
      ]),
    );
  });

  it('retiring is not blocked by disabled or proposed dependents', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.later', ['scope:gpuaas.instances.read'], { lifecycle: 'proposed' }), transition('scope', 'gpuaas.instances.write', 1, 'disabled')]);
    commit(cat, [transition('scope', 'gpuaas.instances.read', 1, 'disabled')]);
    expectClean(plan(cat, [transition('scope', 'gpuaas.instances.read', 2, 'retired')]));
  });

  it('disabling (the kill switch) is allowed and lists what it affects', () => {
    const cat = registry();
    const p = plan(cat, [transition('signer', 'platform.release_ci', 1, 'disabled')]);
    expectClean(p);
    assert.deepEqual(p.changes[0]!.affects, ['artifact-type:gpuaas.runtime_bundle']);
    const q = plan(cat, [transition('scope', 'gpuaas.instances.read', 1, 'disabled')]);
    assert.deepEqual(q.changes[0]!.affects, ['scope:gpuaas.instances.write']);
  });

  it('deprecating lists what it affects too', () => {
    const p = plan(registry(), [transition('scope', 'gpuaas.instances.read', 1, 'deprecated', { sunset_at: '2026-12-31T00:00:00Z' })]);
    assert.deepEqual(p.changes[0]!.affects, ['scope:gpuaas.instances.write']);
  });

  it('a retired entry never changes again', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.old', [], { lifecycle: 'proposed' })]);
    commit(cat, [transition('scope', 'gpuaas.old', 1, 'retired')]);
    const p = plan(cat, [transition('scope', 'gpuaas.old', 2, 'active'), update('scope', 'gpuaas.old', 2, { title: 'back' })]);
    assert.ok(p.errors.some((e) => e.pointer.startsWith('/operations/0')));
    assert.ok(p.errors.some((e) => e.pointer.startsWith('/operations/1')));
    assert.deepEqual(p.changes, []);
  });
});

describe('frozen contract fields', () => {
  it('changing a contract field of an active entry → FROZEN_FIELD at that field', () => {
    const p = plan(registry(), [update('scope', 'gpuaas.instances.write', 1, { spec: { kind: 'operator', privileged: true, implies: ['scope:gpuaas.instances.read'] } })]);
    expectIssue(p, 'FROZEN_FIELD', '/operations/0/set/spec/kind', /new ID/);
    assert.equal(p.errors.length, 1);
  });

  it('stays frozen after the entry is deprecated', () => {
    const cat = registry();
    commit(cat, [transition('usage-unit', 'gpu_hour', 1, 'deprecated', { sunset_at: '2027-01-01T00:00:00Z' })]);
    const p = plan(cat, [update('usage-unit', 'gpu_hour', 2, { spec: { unit: 'hour', quantity: 'duration', aggregation: 'sum', billable: true, precision: 3 } })]);
    expectIssue(p, 'FROZEN_FIELD', '/operations/0/set/spec/precision');
  });

  it("a proposed entry's contract field can still change (e.g. a signer's placeholder key)", () => {
    const cat = registry();
    commit(cat, [signer('platform.scanner', ['evidence-type:slsa_provenance_v1'], { lifecycle: 'proposed' })]);
    const key = ed25519Pem();
    const p = plan(cat, [update('signer', 'platform.scanner', 1, { spec: { algorithm: 'ed25519', public_key: key, evidence_types: ['evidence-type:slsa_provenance_v1'] } })]);
    expectClean(p);
    assert.equal(p.changes[0]!.after.spec.public_key, key);
  });

  it('labels, title, description and non-contract spec fields of an active entry change freely', () => {
    const p = plan(registry(), [
      update('scope', 'gpuaas.instances.write', 1, { title: 'Manage instances', description: 'new words', labels: { docs: 'https://docs.example.com/scopes' }, spec: { kind: 'api', privileged: true } }),
    ]);
    expectClean(p);
  });

  it("an active artifact type's stages evolve; its media types are frozen", () => {
    const cat = registry();
    const stages = [{ name: 'dev', requirements: [{ approvals: 1 }] }];
    expectClean(plan(cat, [update('artifact-type', 'gpuaas.runtime_bundle', 1, { labels: { team: 'compute' }, spec: { media_types: ['application/vnd.gpuaas.bundle.v1.tar+gzip'], stages } })]));
    const p = plan(cat, [update('artifact-type', 'gpuaas.runtime_bundle', 1, { spec: { media_types: ['application/x-tar'], stages } })]);
    expectIssue(p, 'FROZEN_FIELD', '/operations/0/set/spec/media_types');
  });
});

describe('identity and concurrency', () => {
  it('an ID is never reused after retirement → ID_REUSED', () => {
    const cat = registry();
    commit(cat, [unit('gpuaas.tmp_unit', { lifecycle: 'proposed' })]);
    commit(cat, [transition('usage-unit', 'gpuaas.tmp_unit', 1, 'retired')]);
    const p = plan(cat, [unit('gpuaas.tmp_unit')]);
    expectIssue(p, 'ID_REUSED', '/operations/0/entry/id', /never reused/);
  });

  it('creating an existing entry → ENTRY_EXISTS', () => {
    const p = plan(registry(), [scope('gpuaas.instances.read')]);
    expectIssue(p, 'ENTRY_EXISTS', '/operations/0/entry/id');
  });

  it('the same ID in another family is a different entry', () => {
    expectClean(plan(registry(), [unit('gpuaas.instances.read')]));
  });

  it('creating the same entry twice in one change set → DUPLICATE_OPERATION', () => {
    const p = plan(registry(), [scope('gpuaas.x'), scope('gpuaas.x')]);
    expectIssue(p, 'DUPLICATE_OPERATION', '/operations/1/entry/id');
  });

  it('an update against a stale revision → REVISION_MISMATCH at expected_revision', () => {
    const cat = registry();
    commit(cat, [update('scope', 'gpuaas.instances.read', 1, { title: 'first' })]);
    const p = plan(cat, [update('scope', 'gpuaas.instances.read', 1, { title: 'second' })]);
    expectIssue(p, 'REVISION_MISMATCH', '/operations/0/expected_revision', /revision 2/);
  });

  it('an update of an unknown entry → UNKNOWN_ENTRY', () => {
    const p = plan(registry(), [update('scope', 'gpuaas.nope', 1, { title: 'x' })]);
    expectIssue(p, 'UNKNOWN_ENTRY', '/operations/0/id');
  });

  it('each applied change gives the entry a new revision', () => {
    const cat = registry();
    commit(cat, [update('scope', 'gpuaas.instances.read', 1, { title: 'a' })]);
    commit(cat, [transition('scope', 'gpuaas.instances.read', 2, 'disabled')]);
    const e = cat.get('scope', 'gpuaas.instances.read')!;
    assert.equal(e.revision, 3);
    assert.equal(e.title, 'a');
    assert.equal(e.lifecycle, 'disabled');
  });
});

describe('reporting', () => {
  it('reports every problem at once: three bad operations give at least three errors, one per operation', () => {
    const p = plan(
      registry(),
      [
        create({ family: 'scope', id: 'gpuaas.x', spec: { kind: 'nope', privileged: true } }),
        scope('gpuaas.y', ['scope:gpuaas.missing']),
        transition('scope', 'gpuaas.instances.write', 1, 'retired'),
        scope('gpuaas.fine'),
      ],
    );
    assert.ok(p.errors.length >= 3, JSON.stringify(p.errors));
    for (const i of [0, 1, 2]) assert.ok(p.errors.some((e) => e.pointer.startsWith(`/operations/${i}/`)), `no error for operation ${i}`);
    assert.ok(!p.errors.some((e) => e.pointer.startsWith('/operations/3')));
    assertPointersInBody(p);
  });

  it('also reports problems across different kinds of rule in one pass', () => {
    const p = plan(registry(), [unit('BAD'), scope('inference.x'), update('scope', 'gpuaas.instances.read', 9, { title: 'x' })], GPUAAS);
    assert.deepEqual(new Set(p.errors.map((e) => e.code)), new Set(['INVALID_ID', 'NAMESPACE_DENIED', 'REVISION_MISMATCH']));
  });

  it("the plan's diff lists exactly the changed fields, with before and after", () => {
    const p = plan(registry(), [
      update('scope', 'gpuaas.instances.write', 1, {
        title: 'Manage instances',
        spec: { kind: 'api', privileged: true, implies: ['scope:gpuaas.instances.read', 'scope:gpuaas.instances.write'] },
      }),
    ]);
    expectClean(p);
    const c = p.changes[0]!;
    assert.equal(c.action, 'update');
    assert.equal(c.before!.revision, 1);
    assert.equal(c.after.revision, 2);
    assert.deepEqual(c.diff.map((d) => d.path).sort(), ['/spec/implies', '/title']);
    const title = c.diff.find((d) => d.path === '/title')!;
    assert.deepEqual([title.before, title.after], ['gpuaas.instances.write', 'Manage instances']);
  });

  it('a transition diff shows the lifecycle and the replacement', () => {
    const cat = registry();
    commit(cat, [scope('gpuaas.v2')]);
    const p = plan(cat, [transition('scope', 'gpuaas.instances.write', 1, 'deprecated', { replaced_by: 'scope:gpuaas.v2' })]);
    expectClean(p);
    assert.deepEqual(p.changes[0]!.diff.map((d) => [d.path, d.before, d.after]).sort(), [
      ['/lifecycle', 'active', 'deprecated'],
      ['/replaced_by', null, 'scope:gpuaas.v2'],
    ]);
  });

  it('several operations on one entry merge into one planned change', () => {
    const p = plan(registry(), [update('scope', 'gpuaas.instances.read', 1, { title: 'Read' }), transition('scope', 'gpuaas.instances.read', 1, 'disabled')]);
    expectClean(p);
    assert.equal(p.changes.length, 1);
    assert.deepEqual(p.changes[0]!.operations, [0, 1]);
    assert.deepEqual(p.changes[0]!.diff.map((d) => d.path).sort(), ['/lifecycle', '/title']);
  });
});

describe('registry-as-code edge cases', () => {
  it('reports the spec problems of an entry whose ID is also invalid (every problem at once)', () => {
    const p = plan(registry(), [{ op: 'create', entry: { family: 'usage-unit', id: 'gpuaas.Bad', owner: 'gpuaas', title: 'x', spec: { unit: 'hour' } } }]);
    assert.ok(p.errors.some((e) => e.code === 'INVALID_ID' && e.pointer === '/operations/0/entry/id'));
    assert.ok(p.errors.some((e) => e.code === 'INVALID_SPEC' && e.pointer.startsWith('/operations/0/entry/spec')), JSON.stringify(p.errors));
  });

  it('refuses an owner change with IMMUTABLE_FIELD at /set/owner', () => {
    const p = plan(registry(), [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: 1, set: { owner: 'platform' } }]);
    assert.deepEqual(p.errors.map((e) => [e.code, e.pointer]), [['IMMUTABLE_FIELD', '/operations/0/set/owner']]);
  });

  it('accepts empty replaced_by and sunset_at on a new entry, and refuses set ones', () => {
    const ok = plan(registry(), [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.fresh', owner: 'gpuaas', title: 'f', spec: { kind: 'api', privileged: false }, replaced_by: null, sunset_at: null } }]);
    assert.deepEqual(ok.errors, []);
    const bad = plan(registry(), [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.fresh', owner: 'gpuaas', title: 'f', spec: { kind: 'api', privileged: false }, replaced_by: 'scope:gpuaas.instances.read' } }]);
    assert.ok(bad.errors.some((e) => e.pointer === '/operations/0/entry/replaced_by'));
  });
});
