import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertMayReview, principalOf } from './authority.js';
import { CharterError } from './errors.js';
import { authorAtApply, reviewTransition, type ReviewState } from './review.js';
import { SCOPES } from './scopes.js';

const at = '2026-06-01T00:00:00.000Z';
const reviewer = { name: 'platform-reviewer', product: null, admin: false };
const state = (over: Partial<ReviewState> = {}): ReviewState => ({ id: 'cs_1', status: 'open', author: 'gpuaas-ci', author_product: 'gpuaas', approvals: [], rejection: null, ...over });
const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof CharterError ? err.code : 'other';
  }
};

describe('the change-set review state machine', () => {
  it('open → approved by someone else, more approvals accumulate, the same approval twice changes nothing', () => {
    const one = reviewTransition(state(), { kind: 'approve', by: reviewer, at, comment: 'ok' });
    assert.equal(one.status, 'approved');
    assert.deepEqual(one.approvals, [{ principal: 'platform-reviewer', at, comment: 'ok' }]);
    const again = reviewTransition(state({ status: 'approved', approvals: one.approvals }), { kind: 'approve', by: reviewer, at });
    assert.equal(again.changed, false);
    const two = reviewTransition(state({ status: 'approved', approvals: one.approvals }), { kind: 'approve', by: { ...reviewer, name: 'bob' }, at });
    assert.deepEqual(two.approvals.map((a) => a.principal), ['platform-reviewer', 'bob']);
  });

  it('the author never approves; anyone reviewing may reject open or approved; nothing leaves applied or rejected', () => {
    assert.equal(code(() => reviewTransition(state(), { kind: 'approve', by: { name: 'gpuaas-ci', product: 'gpuaas', admin: false }, at })), 'SELF_APPROVAL');
    assert.equal(reviewTransition(state({ status: 'approved' }), { kind: 'reject', by: reviewer, at, reason: 'no' }).status, 'rejected');
    for (const status of ['applied', 'rejected'] as const) {
      for (const kind of ['approve', 'reject', 'apply'] as const) {
        assert.equal(code(() => reviewTransition(state({ status }), { kind, by: reviewer, at, reason: 'x' } as never)), 'CHANGESET_STATE', `${kind} from ${status}`);
      }
    }
  });

  it('only an approved change set applies', () => {
    assert.equal(code(() => reviewTransition(state(), { kind: 'apply', by: reviewer, at })), 'CHANGESET_STATE');
    assert.equal(reviewTransition(state({ status: 'approved' }), { kind: 'apply', by: reviewer, at }).status, 'applied');
  });

  it('a product-bound token acts only on change sets of its product; unbound reviewers on any', () => {
    const acme = { name: 'acme-lead', product: 'acme', admin: false };
    for (const kind of ['approve', 'reject', 'apply'] as const) {
      assert.equal(code(() => reviewTransition(state({ status: 'approved' }), { kind, by: acme, at, reason: 'x' } as never)), 'NAMESPACE_DENIED', kind);
    }
    assert.equal(code(() => assertMayReview(acme, { id: 'cs_2', author_product: null })), 'NAMESPACE_DENIED');
    assert.equal(code(() => assertMayReview({ ...acme, product: 'gpuaas' }, state())), null);
    assert.equal(code(() => assertMayReview(reviewer, { id: 'cs_2', author_product: 'acme' })), null);
  });
});

describe('principals and authors', () => {
  it('a product-bound token is never a registry admin', () => {
    assert.equal(principalOf({ principal: 'x', product: 'acme' }, new Set([SCOPES.admin])).admin, false);
    assert.equal(principalOf({ principal: 'x', product: null }, new Set([SCOPES.admin])).admin, true);
  });

  it('the author applies with the authority their token grants at apply', () => {
    const now = Date.parse(at);
    const token = { id: 'tok_1', principal: 'gpuaas-ci', product: 'gpuaas', revoked_at: null, expires_at: null };
    const cs = { id: 'cs_1', author: 'gpuaas-ci' };
    assert.deepEqual(authorAtApply(cs, token, new Set([SCOPES.propose]), now), { name: 'gpuaas-ci', product: 'gpuaas', admin: false });
    assert.equal(code(() => authorAtApply(cs, { ...token, revoked_at: at }, new Set([SCOPES.propose]), now)), 'AUTHOR_REVOKED');
    assert.equal(code(() => authorAtApply(cs, { ...token, expires_at: at }, new Set([SCOPES.propose]), now)), 'AUTHOR_REVOKED');
    assert.equal(code(() => authorAtApply(cs, token, new Set(), now)), 'AUTHOR_REVOKED', 'propose disabled or gone');
    assert.equal(code(() => authorAtApply(cs, undefined, new Set(), now)), 'AUTHOR_REVOKED');
    assert.equal(code(() => authorAtApply(cs, { ...token, principal: 'someone-else' }, new Set([SCOPES.propose]), now)), 'AUTHOR_REVOKED');
  });
});
