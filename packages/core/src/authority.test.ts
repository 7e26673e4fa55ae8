import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertMayActOn, assertMayRegister, assertNotOwnApproval } from './authority.js';
import type { Entry } from './entry.js';
import { CharterError } from './errors.js';

const type = (owner: string) => ({ family: 'artifact-type', id: `${owner}.bundle`, owner }) as Entry;
const gpuaas = { name: 'gpuaas-ci', product: 'gpuaas', admin: false };
const code = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof CharterError ? err.code : 'other';
  }
};

describe('authority', () => {
  it('a product-bound token registers only for its product, of its own or a platform type', () => {
    assert.equal(code(() => assertMayRegister(gpuaas, 'gpuaas', type('gpuaas'))), null);
    assert.equal(code(() => assertMayRegister(gpuaas, 'gpuaas', type('platform'))), null);
    assert.equal(code(() => assertMayRegister(gpuaas, 'inference', type('gpuaas'))), 'NAMESPACE_DENIED');
    assert.equal(code(() => assertMayRegister(gpuaas, 'gpuaas', type('inference'))), 'NAMESPACE_DENIED');
    assert.equal(code(() => assertMayRegister({ name: 'platform-ci', product: null, admin: false }, 'inference', type('inference'))), null);
    assert.equal(code(() => assertMayRegister({ name: 'root', product: 'gpuaas', admin: true }, 'inference', type('inference'))), null);
  });

  it('a product-bound token acts only on its product artifacts', () => {
    assert.equal(code(() => assertMayActOn(gpuaas, { digest: 'sha256:x', product: 'gpuaas' })), null);
    assert.equal(code(() => assertMayActOn(gpuaas, { digest: 'sha256:x', product: 'inference' })), 'NAMESPACE_DENIED');
  });

  it('nobody approves what they proposed', () => {
    assert.equal(code(() => assertNotOwnApproval(gpuaas, 'gpuaas-ci', 'registered it')), 'SELF_APPROVAL');
    assert.equal(code(() => assertNotOwnApproval(gpuaas, 'someone-else', 'registered it')), null);
  });
});
