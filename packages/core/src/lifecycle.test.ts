import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Catalog } from './catalog.js';
import { planChangeSet, type Operation, type Principal } from './changeset.js';
import { allowedMoves, canTransition, isLifecycle, LIFECYCLES, type Lifecycle } from './lifecycle.js';

/** DESIGN §3, copied by hand: the only allowed moves. */
const TABLE: Record<Lifecycle, Lifecycle[]> = {
  proposed: ['active', 'retired'],
  active: ['deprecated', 'disabled'],
  deprecated: ['active', 'disabled', 'retired'],
  disabled: ['active', 'deprecated', 'retired'],
  retired: [],
};

const ADMIN: Principal = { name: 'admin', product: null, admin: true };
const NOW = '2026-03-01T00:00:00.000Z';

describe('lifecycle moves (DESIGN §3)', () => {
  it('knows exactly the five states', () => {
    assert.deepEqual([...LIFECYCLES].sort(), ['active', 'deprecated', 'disabled', 'proposed', 'retired']);
    for (const s of LIFECYCLES) assert.equal(isLifecycle(s), true);
    for (const s of ['Active', 'deleted', '', null, 1]) assert.equal(isLifecycle(s), false);
  });

  for (const from of LIFECYCLES) {
    for (const to of LIFECYCLES) {
      const allowed = TABLE[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        assert.equal(canTransition(from, to), allowed);
      });
    }
    it(`allowedMoves(${from}) lists exactly the table's moves`, () => {
      assert.deepEqual([...allowedMoves(from)].sort(), [...TABLE[from]].sort());
    });
  }

  it('retired is a terminal tombstone: nothing leaves it', () => {
    assert.deepEqual([...allowedMoves('retired')], []);
    for (const to of LIFECYCLES) assert.equal(canTransition('retired', to), false);
  });

  it('property: on any random walk nothing returns to proposed, and retired is never left', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...LIFECYCLES), { maxLength: 40 }), (targets) => {
        let state: Lifecycle = 'proposed';
        let left = false;
        for (const to of targets) {
          const ok = canTransition(state, to);
          assert.equal(ok, TABLE[state].includes(to));
          if (!ok) continue;
          assert.notEqual(state, 'retired');
          state = to;
          if (state !== 'proposed') left = true;
          if (left) assert.notEqual(state, 'proposed');
        }
      }),
    );
  });
});

describe('lifecycle moves through change sets', () => {
  function base(): Catalog {
    const cat = new Catalog();
    const plan = planChangeSet(
      cat,
      {
        title: 'base',
        operations: [
          { op: 'create', entry: { family: 'product', id: 'platform', owner: 'platform', lifecycle: 'active', title: 'Platform', spec: { owner_domain: 'platform.example.com' } } },
          { op: 'create', entry: { family: 'usage-unit', id: 'unit_a', owner: 'platform', lifecycle: 'proposed', title: 'A', spec: { unit: 'hour', quantity: 'duration', aggregation: 'sum', billable: true, precision: 6 } } },
          { op: 'create', entry: { family: 'usage-unit', id: 'unit_b', owner: 'platform', lifecycle: 'active', title: 'B', spec: { unit: 'hour', quantity: 'duration', aggregation: 'sum', billable: true, precision: 6 } } },
        ],
      },
      ADMIN,
      NOW,
    );
    assert.deepEqual(plan.errors, []);
    cat.apply(plan.changes.map((c) => c.after), 1);
    return cat;
  }

  it('property: a random walk of transitions is planned iff the table allows it, and applied entries follow it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...LIFECYCLES), { minLength: 1, maxLength: 25 }), (targets) => {
        const cat = base();
        let state: Lifecycle = 'proposed';
        for (const to of targets) {
          const entry = cat.get('usage-unit', 'unit_a')!;
          const op: Operation = {
            op: 'transition',
            family: 'usage-unit',
            id: 'unit_a',
            expected_revision: entry.revision,
            to,
            // deprecation needs a replacement or a sunset; give both so only the table decides
            ...(to === 'deprecated' ? { replaced_by: 'usage-unit:unit_b', sunset_at: '2027-01-01T00:00:00Z' } : {}),
          };
          const plan = planChangeSet(cat, { title: 'walk', operations: [op] }, ADMIN, NOW);
          const legal = TABLE[state].includes(to);
          if (legal) {
            assert.deepEqual(plan.errors, [], `${state} → ${to}`);
            cat.apply(plan.changes.map((c) => c.after), cat.sequence + 1);
            state = to;
            assert.equal(cat.get('usage-unit', 'unit_a')!.lifecycle, to);
            assert.equal(cat.get('usage-unit', 'unit_a')!.revision, entry.revision + 1);
          } else {
            assert.ok(plan.errors.length > 0, `${state} → ${to} must be refused`);
            // a retired entry is refused before the move is even considered (see report)
            const expected = state === 'retired' ? ['ILLEGAL_TRANSITION', 'IMMUTABLE_FIELD'] : ['ILLEGAL_TRANSITION'];
            assert.ok(plan.errors.every((e) => expected.includes(e.code)), JSON.stringify(plan.errors));
            assert.equal(cat.get('usage-unit', 'unit_a')!.lifecycle, state);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('an illegal move names the allowed ones, with a pointer to `to`', () => {
    const cat = base();
    const plan = planChangeSet(cat, { title: 't', operations: [{ op: 'transition', family: 'usage-unit', id: 'unit_b', expected_revision: 1, to: 'retired' }] }, ADMIN, NOW);
    assert.equal(plan.errors.length, 1);
    assert.equal(plan.errors[0]!.code, 'ILLEGAL_TRANSITION');
    assert.equal(plan.errors[0]!.pointer, '/operations/0/to');
    assert.match(plan.errors[0]!.detail, /deprecated, disabled/);
  });
});
