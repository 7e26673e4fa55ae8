import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Catalog, checkEntry } from './catalog.js';
import type { Entry } from './entry.js';
import type { FamilyName } from './ids.js';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (iso: string): number => Date.parse(iso);
/** The injected clock: checks never read the wall clock. */
const NOW = at('2026-06-01T00:00:00Z');

function entry(family: FamilyName, id: string, over: Partial<Entry> = {}): Entry {
  return {
    family,
    id,
    owner: 'platform',
    lifecycle: 'active',
    title: id,
    description: '',
    labels: {},
    spec: {},
    revision: 1,
    replaced_by: null,
    sunset_at: null,
    activated_at: T0,
    created_at: T0,
    updated_at: T0,
    ...over,
  };
}

const scope = (id: string, implies: string[] = [], over: Partial<Entry> = {}): Entry =>
  entry('scope', id, { spec: { kind: 'api', privileged: true, implies }, ...over });

const signer = (id: string, window: { not_before?: string; not_after?: string }, over: Partial<Entry> = {}): Entry =>
  entry('signer', id, { spec: { algorithm: 'ed25519', public_key: '-----BEGIN PUBLIC KEY-----', evidence_types: ['evidence-type:slsa_provenance_v1'], ...window }, ...over });

function catalogOf(...entries: Entry[]): Catalog {
  const c = new Catalog();
  c.apply(entries, 7);
  return c;
}

describe('the fail-closed table (DESIGN §3)', () => {
  const cat = catalogOf(
    scope('s.active'),
    scope('s.replacement'),
    scope('s.deprecated_open', [], { lifecycle: 'deprecated', replaced_by: 'scope:s.replacement' }),
    scope('s.deprecated_later', [], { lifecycle: 'deprecated', replaced_by: 'scope:s.replacement', sunset_at: '2026-12-31T00:00:00Z' }),
    scope('s.sunset_only', [], { lifecycle: 'deprecated', sunset_at: '2026-12-31T00:00:00Z' }),
    scope('s.sunset_passed', [], { lifecycle: 'deprecated', replaced_by: 'scope:s.replacement', sunset_at: '2026-05-01T00:00:00Z' }),
    scope('s.proposed', [], { lifecycle: 'proposed', activated_at: null }),
    scope('s.disabled', [], { lifecycle: 'disabled' }),
    scope('s.retired', [], { lifecycle: 'retired' }),
    signer('k.inside', { not_before: '2026-01-01T00:00:00Z', not_after: '2027-01-01T00:00:00Z' }),
    signer('k.no_window', {}),
    signer('k.not_yet', { not_before: '2026-07-01T00:00:00Z' }),
    signer('k.expired', { not_after: '2026-05-31T23:59:59Z' }),
    signer('k.proposed', {}, { lifecycle: 'proposed', activated_at: null }),
  );

  function expectRow(ref: string, allowed: boolean, reason: string): ReturnType<Catalog['check']> {
    const r = cat.check(ref, NOW);
    assert.equal(r.ref, ref);
    assert.equal(r.allowed, allowed, `${ref}: ${JSON.stringify(r)}`);
    assert.equal(r.reason, reason, ref);
    return r;
  }

  it('active → allowed, reason active, no warning', () => {
    const r = expectRow('scope:s.active', true, 'active');
    assert.equal(r.lifecycle, 'active');
    assert.equal(r.revision, 1);
    assert.equal(r.warning, null);
  });

  it('deprecated before sunset_at → allowed with a warning naming replaced_by', () => {
    const r = expectRow('scope:s.deprecated_later', true, 'deprecated');
    assert.equal(r.replaced_by, 'scope:s.replacement');
    assert.equal(r.sunset_at, '2026-12-31T00:00:00Z');
    assert.match(r.warning!, /scope:s\.replacement/);
  });

  it('deprecated without a sunset → allowed with a warning naming replaced_by', () => {
    const r = expectRow('scope:s.deprecated_open', true, 'deprecated');
    assert.match(r.warning!, /scope:s\.replacement/);
  });

  it('deprecated with only a sunset → allowed with a warning naming the sunset', () => {
    const r = expectRow('scope:s.sunset_only', true, 'deprecated');
    assert.match(r.warning!, /2026-12-31/);
  });

  it('deprecated after sunset_at → refused, sunset_passed', () => {
    const r = expectRow('scope:s.sunset_passed', false, 'sunset_passed');
    assert.match(r.warning ?? '', /scope:s\.replacement/);
  });

  it('the sunset boundary follows the injected clock', () => {
    const sunset = at('2026-12-31T00:00:00Z');
    assert.equal(cat.check('scope:s.deprecated_later', sunset - 1).allowed, true);
    assert.equal(cat.check('scope:s.deprecated_later', sunset).reason, 'sunset_passed');
    assert.equal(cat.check('scope:s.deprecated_later', sunset + 1).allowed, false);
  });

  it('proposed → refused, not_active', () => {
    expectRow('scope:s.proposed', false, 'not_active');
    expectRow('signer:k.proposed', false, 'not_active');
  });

  it('disabled → refused, disabled', () => {
    expectRow('scope:s.disabled', false, 'disabled');
  });

  it('retired → refused, retired', () => {
    expectRow('scope:s.retired', false, 'retired');
  });

  it('not in the registry → refused, unknown (also the right ID in the wrong family)', () => {
    const r = expectRow('scope:s.nothing', false, 'unknown');
    assert.equal(r.lifecycle, null);
    assert.equal(r.revision, null);
    expectRow('usage-unit:s.active', false, 'unknown');
  });

  it('a pinned revision the entry has not reached is unknown; a reached one answers', () => {
    expectRow('scope:s.active@2', false, 'unknown');
    expectRow('scope:s.active@1', true, 'active');
  });

  for (const ref of ['s.active', 'scope:S.Active', 'scope:s.active@0', 'role:s.active', '', 'scope:s..active']) {
    it(`not a valid reference (${JSON.stringify(ref)}) → refused, malformed`, () => {
      expectRow(ref, false, 'malformed');
    });
  }

  it('a non-string reference is malformed, not a crash', () => {
    const r = cat.check(42 as unknown as string, NOW);
    assert.equal(r.allowed, false);
    assert.equal(r.reason, 'malformed');
  });

  it('a signer inside its validity window (or with none) is allowed', () => {
    expectRow('signer:k.inside', true, 'active');
    expectRow('signer:k.no_window', true, 'active');
  });

  it('a signer before not_before or at/after not_after → refused, untrusted', () => {
    expectRow('signer:k.not_yet', false, 'untrusted');
    expectRow('signer:k.expired', false, 'untrusted');
    const s = signer('k', { not_before: '2026-01-01T00:00:00Z', not_after: '2027-01-01T00:00:00Z' });
    assert.equal(checkEntry('signer:k', s, at('2025-12-31T23:59:59.999Z')).reason, 'untrusted');
    assert.equal(checkEntry('signer:k', s, at('2026-01-01T00:00:00Z')).reason, 'active');
    assert.equal(checkEntry('signer:k', s, at('2027-01-01T00:00:00Z')).reason, 'untrusted');
  });

  it('a deprecated signer outside its validity window is untrusted, not allowed with a warning', () => {
    const s = signer('k', { not_after: '2026-05-01T00:00:00Z' }, { lifecycle: 'deprecated', sunset_at: '2027-01-01T00:00:00Z' });
    const r = checkEntry('signer:k', s, NOW);
    assert.equal(r.allowed, false);
    assert.equal(r.reason, 'untrusted');
  });

  it('every answer carries the entry lifecycle, revision and replacement', () => {
    const r = cat.check('scope:s.disabled', NOW);
    assert.deepEqual(
      { lifecycle: r.lifecycle, revision: r.revision, replaced_by: r.replaced_by, sunset_at: r.sunset_at },
      { lifecycle: 'disabled', revision: 1, replaced_by: null, sunset_at: null },
    );
  });
});

describe('checkAll', () => {
  const cat = catalogOf(scope('a'), scope('b'), scope('c', [], { lifecycle: 'disabled' }), scope('d', [], { lifecycle: 'deprecated', replaced_by: 'scope:a' }));

  it('is allowed when every ref is allowed (deprecated-but-open counts)', () => {
    const answer = cat.checkAll(['scope:a', 'scope:b', 'scope:d'], NOW);
    assert.equal(answer.allowed, true);
    assert.equal(answer.sequence, 7);
    assert.deepEqual(answer.results.map((r) => r.reason), ['active', 'active', 'deprecated']);
  });

  it('is refused when any one ref is refused, and says which', () => {
    for (const bad of ['scope:c', 'scope:nope', 'not a ref']) {
      const answer = cat.checkAll(['scope:a', bad, 'scope:b'], NOW);
      assert.equal(answer.allowed, false, bad);
      assert.deepEqual(answer.results.map((r) => r.allowed), [true, false, true]);
    }
  });

  it('an empty list allows nothing (fail closed)', () => {
    assert.equal(cat.checkAll([], NOW).allowed, false);
  });
});

describe('Catalog state', () => {
  it('keeps the latest revision and never goes back to an older one', () => {
    const c = new Catalog();
    c.apply([scope('a', [], { revision: 2, title: 'two' })], 2);
    c.apply([scope('a', [], { revision: 1, title: 'one' })], 3);
    assert.equal(c.get('scope', 'a')!.title, 'two');
    assert.equal(c.size, 1);
  });

  it('the sequence only moves forward', () => {
    const c = new Catalog();
    c.apply([scope('a')], 5);
    c.apply([], 3);
    assert.equal(c.sequence, 5);
    c.apply([], 9);
    assert.equal(c.sequence, 9);
  });
});

describe('dependents index', () => {
  const ids = (es: Entry[]): string[] => es.map((e) => `${e.family}:${e.id}`).sort();

  it('lists the entries whose spec references an entry', () => {
    const c = catalogOf(scope('read'), scope('write', ['scope:read']), scope('admin', ['scope:write', 'scope:read']));
    assert.deepEqual(ids(c.dependents('scope', 'read')), ['scope:admin', 'scope:write']);
    assert.deepEqual(ids(c.dependents('scope', 'write')), ['scope:admin']);
    assert.deepEqual(c.dependents('scope', 'admin'), []);
  });

  it('indexes references across families (artifact-type stages → evidence types and signers)', () => {
    const at = entry('artifact-type', 'p.bundle', {
      spec: {
        media_types: ['application/x-tar'],
        stages: [
          { name: 'dev', requirements: [{ evidence: 'evidence-type:prov', signers: ['signer:p.ci'] }] },
          { name: 'prod', requirements: [{ evidence: 'evidence-type:prov', signers: ['signer:p.ci', 'signer:p.ci2'] }, { approvals: 2 }] },
        ],
      },
    });
    const c = catalogOf(at);
    assert.deepEqual(ids(c.dependents('evidence-type', 'prov')), ['artifact-type:p.bundle']);
    assert.deepEqual(ids(c.dependents('signer', 'p.ci2')), ['artifact-type:p.bundle']);
  });

  it('follows updates: an entry that stops referencing X is no longer a dependent of X', () => {
    const c = catalogOf(scope('read'), scope('list'), scope('write', ['scope:read']));
    c.apply([scope('write', ['scope:list'], { revision: 2 })], 8);
    assert.deepEqual(c.dependents('scope', 'read'), []);
    assert.deepEqual(ids(c.dependents('scope', 'list')), ['scope:write']);
    c.apply([scope('write', [], { revision: 3 })], 9);
    assert.deepEqual(c.dependents('scope', 'list'), []);
  });

  it('an ignored older revision does not disturb the index', () => {
    const c = catalogOf(scope('read'), scope('write', ['scope:read'], { revision: 4 }));
    c.apply([scope('write', [], { revision: 3 })], 8);
    assert.deepEqual(ids(c.dependents('scope', 'read')), ['scope:write']);
  });

  it('dependents are returned at their current revision', () => {
    const c = catalogOf(scope('read'), scope('write', ['scope:read']));
    c.apply([scope('write', ['scope:read'], { revision: 2, lifecycle: 'disabled' })], 8);
    const [d] = c.dependents('scope', 'read');
    assert.equal(d!.revision, 2);
    assert.equal(d!.lifecycle, 'disabled');
  });
});

describe('stableUntil', () => {
  it('is the earliest future sunset or signer boundary among the refs, Infinity when none', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const c = new Catalog();
    c.apply(
      [
        { family: 'scope', id: 'gpuaas.a', owner: 'gpuaas', lifecycle: 'deprecated', title: 'a', description: '', labels: {}, spec: { kind: 'api', privileged: false }, revision: 2, replaced_by: null, sunset_at: '2026-07-01T00:00:00Z', activated_at: null, created_at: '', updated_at: '' },
        { family: 'signer', id: 'platform.s', owner: 'platform', lifecycle: 'active', title: 's', description: '', labels: {}, spec: { not_before: '2026-01-01T00:00:00Z', not_after: '2026-06-15T00:00:00Z' }, revision: 1, replaced_by: null, sunset_at: null, activated_at: null, created_at: '', updated_at: '' },
      ],
      3,
    );
    assert.equal(c.stableUntil(['scope:gpuaas.a'], now), Date.parse('2026-07-01T00:00:00Z'));
    assert.equal(c.stableUntil(['scope:gpuaas.a', 'signer:platform.s'], now), Date.parse('2026-06-15T00:00:00Z'));
    assert.equal(c.stableUntil(['scope:nope', 'bad ref'], now), Infinity);
    assert.equal(c.stableUntil(['scope:gpuaas.a'], Date.parse('2026-08-01T00:00:00Z')), Infinity, 'a past boundary changes nothing any more');
  });
});
