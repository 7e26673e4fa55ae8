import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Catalog, type Entry, type Lifecycle } from '@charter/core';
import { LocalCatalog } from './local-catalog.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;
const IDS = ['a.one', 'a.two', 'b.three'];
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();

const entry = fc
  .record({
    family: fc.constantFrom('scope' as const, 'signer' as const),
    id: fc.constantFrom(...IDS),
    lifecycle: fc.constantFrom<Lifecycle>('proposed', 'active', 'deprecated', 'disabled', 'retired'),
    revision: fc.integer({ min: 1, max: 4 }),
    sunset: fc.option(fc.integer({ min: -5, max: 30 })),
    notBefore: fc.option(fc.integer({ min: -5, max: 30 })),
    notAfter: fc.option(fc.integer({ min: -5, max: 30 })),
  })
  .map(({ family, id, lifecycle, revision, sunset, notBefore, notAfter }): Entry => ({
    family,
    id,
    owner: 'a',
    lifecycle,
    title: id,
    description: '',
    labels: {},
    spec: family === 'signer' ? { ...(notBefore !== null ? { not_before: at(notBefore) } : {}), ...(notAfter !== null ? { not_after: at(notAfter) } : {}) } : { kind: 'api', privileged: false },
    revision,
    replaced_by: lifecycle === 'deprecated' ? `${family}:${id}_v2` : null,
    sunset_at: lifecycle === 'deprecated' && sunset !== null ? at(sunset) : null,
    activated_at: null,
    created_at: at(-10),
    updated_at: at(-10),
  }));

const ref = fc.oneof(
  fc.tuple(fc.constantFrom('scope', 'signer'), fc.constantFrom(...IDS), fc.option(fc.integer({ min: 1, max: 5 }))).map(([f, id, r]) => `${f}:${id}${r === null ? '' : `@${r}`}`),
  fc.constantFrom('scope:no.such', 'not a ref!', 'scope:', 'Scope:a.one', 'scope:a.one@0'),
);

/** What the SDK is told: a snapshot, then change-feed pages, served by a fake fetch. */
type Step = { kind: 'check'; ref: string; clock: number } | { kind: 'apply'; entries: Entry[] };

function harness(initial: Entry[]) {
  let sequence = 1;
  let entries = initial;
  let pending: { sequence: number; entries: Entry[] } | null = null;
  let now = T0;
  const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  const fetchFake = (async (input: string | URL) => {
    const url = new URL(String(input));
    if (url.pathname === '/v1/snapshot') return json({ sequence, generated_at: at(0), entries });
    const items = pending ? pending.entries.map((e) => ({ family: e.family, id: e.id, revision: e.revision, sequence: pending!.sequence, changeset: 'cs', author: 'a', approvers: [], operation: 'update', reason: null, entry: e, at: at(0) })) : [];
    const page = { sequence, next_after: sequence, resync: false, items };
    pending = null;
    return json(page);
  }) as typeof fetch;
  const local = new LocalCatalog({ url: 'http://127.0.0.1:1', fetch: fetchFake, clock: () => now, stalenessMs: 1e12 });
  const reference = new Catalog();
  reference.apply(initial, 1);
  return {
    local,
    reference,
    setClock: (t: number) => (now = t),
    async change(next: Entry[]) {
      sequence++;
      pending = { sequence, entries: next };
      entries = [...entries.filter((e) => !next.some((n) => n.family === e.family && n.id === e.id)), ...next];
      reference.apply(next, sequence);
      await local.poll();
    },
  };
}

describe('LocalCatalog answer cache', () => {
  it('property: cached and uncached answers are equal for random catalogs, clocks and refs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 6 }),
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: fc.record({ kind: fc.constant('check' as const), ref, clock: fc.integer({ min: -8 * HOUR, max: 34 * HOUR }) }) },
            { weight: 1, arbitrary: fc.record({ kind: fc.constant('apply' as const), entries: fc.array(entry, { minLength: 1, maxLength: 2 }) }) },
          ),
          { maxLength: 60 },
        ),
        async (initial, steps: Step[]) => {
          const h = harness(initial);
          await h.local.refresh();
          for (const step of steps) {
            if (step.kind === 'apply') {
              await h.change(step.entries);
              continue;
            }
            const now = T0 + step.clock;
            h.setClock(now);
            // Asked twice: the second answer may come from the cache, the first may too.
            assert.deepEqual(h.local.check(step.ref), h.reference.check(step.ref, now), `${step.ref} at ${new Date(now).toISOString()}`);
            assert.deepEqual(h.local.check(step.ref), h.reference.check(step.ref, now));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stops reusing an answer when a sunset passes, and when a change arrives', async () => {
    const deprecated: Entry = { family: 'scope', id: 'a.one', owner: 'a', lifecycle: 'deprecated', title: 'a', description: '', labels: {}, spec: { kind: 'api', privileged: false }, revision: 2, replaced_by: null, sunset_at: at(1), activated_at: null, created_at: at(0), updated_at: at(0) };
    const h = harness([deprecated]);
    await h.local.refresh();
    h.setClock(T0);
    assert.equal(h.local.check('scope:a.one').reason, 'deprecated');
    h.setClock(T0 + HOUR - 1);
    assert.equal(h.local.check('scope:a.one').reason, 'deprecated');
    h.setClock(T0 + HOUR);
    assert.equal(h.local.check('scope:a.one').reason, 'sunset_passed');
    await h.change([{ ...deprecated, lifecycle: 'retired', revision: 3 }]);
    assert.equal(h.local.check('scope:a.one').reason, 'retired');
  });
});
