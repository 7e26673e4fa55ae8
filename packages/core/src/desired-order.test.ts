import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dependenciesOf, inDependencyOrder, pointerInEntry } from './desired.js';
import type { EntryInput } from './entry.js';

const scope = (id: string, implies: string[] = []): EntryInput => ({ family: 'scope', id, owner: id.split('.')[0]!, lifecycle: 'active', title: id, spec: { kind: 'api', privileged: false, implies } }) as EntryInput;
const product = (id: string): EntryInput => ({ family: 'product', id, owner: id, lifecycle: 'active', title: id, spec: { owner_domain: `${id}.example` } }) as EntryInput;
const key = (e: EntryInput) => `${e.family}:${e.id}`;

describe('registry as code: dependency order', () => {
  it('an entry depends on its product and on what its spec references', () => {
    assert.deepEqual(dependenciesOf(scope('acme.write', ['scope:acme.read@2'])), ['product:acme', 'product:acme', 'scope:acme.read']);
    assert.deepEqual(dependenciesOf(product('acme')), []);
    assert.deepEqual(dependenciesOf({ family: 'scope', id: 'x', spec: 'not an object' } as unknown as EntryInput), ['product:x']);
  });

  it('puts products and referenced entries first, otherwise keeping the files order', () => {
    const files = [scope('acme.admin', ['scope:acme.write']), scope('acme.write', ['scope:acme.read']), scope('other.x'), scope('acme.read'), product('acme')];
    assert.deepEqual(inDependencyOrder(files, (e) => e).map(key), ['product:acme', 'scope:acme.read', 'scope:acme.write', 'scope:acme.admin', 'scope:other.x']);
  });

  it('leaves a cycle to validation and survives a chain of 20,000 references', () => {
    const cycle = [scope('a.x', ['scope:a.y']), scope('a.y', ['scope:a.x'])];
    assert.equal(inDependencyOrder(cycle, (e) => e).length, 2);
    const chain = Array.from({ length: 20_000 }, (_, i) => scope(`c.s${i}`, i + 1 < 20_000 ? [`scope:c.s${i + 1}`] : []));
    const ordered = inDependencyOrder(chain, (e) => e);
    assert.equal(ordered[0]!.id, 'c.s19999');
    assert.equal(ordered.at(-1)!.id, 'c.s0');
  });

  it('every entry comes after every dependency present, and each exactly once (property)', () => {
    const ids = ['p.a', 'p.b', 'p.c', 'p.d', 'p.e', 'p.f'];
    const arb = fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1 }).chain((present) =>
      fc.tuple(fc.constant(present), fc.array(fc.subarray(ids), { minLength: present.length, maxLength: present.length })),
    );
    fc.assert(
      fc.property(arb, ([present, refs]) => {
        // Only acyclic inputs: each entry references entries later in `ids`.
        const items = present.map((id, i) => scope(id, refs[i]!.filter((r) => ids.indexOf(r) > ids.indexOf(id)).map((r) => `scope:${r}`)));
        const out = inDependencyOrder(items, (e) => e);
        assert.equal(out.length, items.length);
        assert.equal(new Set(out).size, out.length);
        const at = new Map(out.map((e, i) => [e.id, i]));
        for (const e of out) for (const d of dependenciesOf(e)) if (d.startsWith('scope:') && at.has(d.slice(6))) assert.ok(at.get(d.slice(6))! < at.get(e.id)!);
      }),
    );
  });
});

describe('registry as code: pointers back into the entry file', () => {
  it('maps operation pointers to the entry document', () => {
    assert.equal(pointerInEntry({ op: 'create' }, '/entry/spec/implies/0'), '/spec/implies/0');
    assert.equal(pointerInEntry({ op: 'update' }, '/set/title'), '/title');
    assert.equal(pointerInEntry({ op: 'transition' }, '/to'), '/lifecycle');
    assert.equal(pointerInEntry({ op: 'transition' }, ''), '/lifecycle');
    assert.equal(pointerInEntry({ op: 'transition' }, '/replaced_by'), '/replaced_by');
    assert.equal(pointerInEntry({ op: 'update' }, '/expected_revision'), '');
    assert.equal(pointerInEntry({ op: 'create' }, ''), '');
  });
});
