import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Catalog } from './catalog.js';
import type { Entry } from './entry.js';
import { grantProblems, type Grantor } from './grants.js';
import { entry, HOUR, NOW } from './policy/policy.testkit.js';
import { effectiveScopes, SCOPES } from './scopes.js';

const scope = (id: string, implies: string[] = [], over: Partial<Entry> = {}) => entry('scope', id, { owner: 'platform', spec: { kind: 'api', privileged: true, implies }, ...over });
const view = new Catalog();
view.apply(
  [
    scope('platform.registry.read'),
    scope('platform.registry.propose', [SCOPES.read]),
    scope('platform.registry.approve', [SCOPES.read]),
    scope('platform.registry.admin', [SCOPES.propose, SCOPES.approve]),
    scope('platform.tokens.admin'),
    scope('platform.artifacts.register'),
    scope('platform.ops', [SCOPES.tokens]),
    scope('platform.gone', [], { lifecycle: 'disabled' }),
    entry('scope', 'acme.thing', { owner: 'acme' }),
    entry('product', 'acme', { owner: 'acme' }),
    entry('product', 'gpuaas', { owner: 'gpuaas' }),
  ],
  1,
);
const holding = (product: string | null, held: string[], expiresAt: string | null = null): Grantor => ({ product, scopes: effectiveScopes(view, held, NOW), expiresAt });
const codes = (g: Grantor, req: Parameters<typeof grantProblems>[2]) => grantProblems(view, g, req, NOW).map((i) => `${i.pointer} ${i.code}`);

describe('token grants: only within the grantor reach', () => {
  it('never a scope the grantor does not hold', () => {
    const desk = holding(null, [SCOPES.tokens, SCOPES.propose]);
    assert.deepEqual(codes(desk, { scopes: [SCOPES.propose] }), []);
    assert.deepEqual(codes(desk, { scopes: [SCOPES.read] }), [], 'implied scopes are held');
    assert.deepEqual(codes(desk, { scopes: [SCOPES.propose, SCOPES.approve] }), ['/scopes/1 GRANT_DENIED']);
  });

  it('an unbound registry admin reaches every live platform scope', () => {
    const admin = holding(null, [SCOPES.admin, SCOPES.tokens]);
    assert.deepEqual(codes(admin, { scopes: ['scope:platform.artifacts.register'], product: 'acme' }), []);
    assert.deepEqual(codes(admin, { scopes: ['scope:platform.gone'] }), ['/scopes/0 INVALID_TOKEN_REQUEST']);
    assert.deepEqual(codes(admin, { scopes: ['scope:acme.thing'] }), ['/scopes/0 INVALID_TOKEN_REQUEST']);
    assert.deepEqual(codes(admin, { scopes: ['scope:platform.registry.read@1'] }), ['/scopes/0 INVALID_TOKEN_REQUEST']);
    assert.deepEqual(codes(admin, { scopes: [SCOPES.read], product: 'nope' }), ['/product INVALID_TOKEN_REQUEST']);
  });

  it('a bound grantor: never unbound, never another product, never platform administration', () => {
    const acme = holding('acme', [SCOPES.tokens, SCOPES.propose, SCOPES.admin, 'scope:platform.ops']);
    assert.deepEqual(codes(acme, { scopes: [SCOPES.propose], product: 'acme' }), []);
    assert.deepEqual(codes(acme, { scopes: [SCOPES.propose] }), ['/product GRANT_DENIED']);
    assert.deepEqual(codes(acme, { scopes: [SCOPES.propose], product: null }), ['/product GRANT_DENIED']);
    assert.deepEqual(codes(acme, { scopes: [SCOPES.propose], product: 'gpuaas' }), ['/product GRANT_DENIED']);
    assert.deepEqual(codes(acme, { scopes: [SCOPES.admin], product: 'acme' }), ['/scopes/0 GRANT_DENIED'], 'holding registry.admin does not let a bound token hand it on');
    assert.deepEqual(codes(acme, { scopes: [SCOPES.tokens], product: 'acme' }), ['/scopes/0 GRANT_DENIED']);
    assert.deepEqual(codes(acme, { scopes: ['scope:platform.ops'], product: 'acme' }), ['/scopes/0 GRANT_DENIED'], 'nor a scope that implies tokens.admin');
    assert.deepEqual(codes(acme, { scopes: [SCOPES.approve], product: 'acme' }), [], 'what registry.admin implies is held');
    const bound = holding('acme', [SCOPES.tokens, SCOPES.admin]);
    assert.deepEqual(codes(bound, { scopes: ['scope:platform.artifacts.register'], product: 'acme' }), ['/scopes/0 GRANT_DENIED'], 'a bound registry admin does not reach every scope as an unbound one does');
  });

  it('nothing outlives its grantor', () => {
    const short = holding(null, [SCOPES.tokens, SCOPES.propose], new Date(NOW + HOUR).toISOString());
    assert.deepEqual(codes(short, { scopes: [SCOPES.propose] }), ['/expires_in GRANT_DENIED']);
    assert.deepEqual(codes(short, { scopes: [SCOPES.propose], expires_in: '2h' }), ['/expires_in GRANT_DENIED']);
    assert.deepEqual(codes(short, { scopes: [SCOPES.propose], expires_in: '60m' }), []);
    assert.deepEqual(codes(short, { scopes: [SCOPES.propose], expires_in: 'soon' }), ['/expires_in INVALID_TOKEN_REQUEST']);
  });

  it('whatever is granted, a minted token never reaches beyond its grantor (property)', () => {
    const all = [...view.entries()].filter((e) => e.family === 'scope').map((e) => `scope:${e.id}`);
    const products = [null, 'acme', 'gpuaas'];
    fc.assert(
      fc.property(fc.subarray(all), fc.constantFrom(...products), fc.subarray(all, { minLength: 1 }), fc.constantFrom(...products), (held, bound, wanted, product) => {
        const g = holding(bound, held);
        if (grantProblems(view, g, { scopes: wanted, product }, NOW).length > 0) return;
        const minted = effectiveScopes(view, wanted, NOW);
        const unboundAdmin = bound === null && g.scopes.has(SCOPES.admin);
        if (!unboundAdmin) for (const s of minted) assert.ok(g.scopes.has(s), `${s} escaped ${JSON.stringify(held)}`);
        if (bound !== null) {
          assert.equal(product, bound);
          assert.ok(!minted.has(SCOPES.admin) && !minted.has(SCOPES.tokens));
        }
      }),
    );
  });
});
