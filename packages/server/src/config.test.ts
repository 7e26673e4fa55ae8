import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from './config.js';

describe('server configuration: TLS and the public URL', () => {
  it('--tls-cert and --tls-key go together, and --tls-client-ca needs them', () => {
    assert.throws(() => resolveConfig({ tlsCert: 'server.pem' }, {}), /--tls-cert and --tls-key go together/);
    assert.throws(() => resolveConfig({}, { CHARTER_TLS_KEY: 'server.key' }), /--tls-cert and --tls-key go together/);
    assert.throws(() => resolveConfig({ tlsClientCa: 'ca.pem' }, {}), /--tls-client-ca needs --tls-cert and --tls-key/);
    const c = resolveConfig({}, { CHARTER_TLS_CERT: 'a.pem', CHARTER_TLS_KEY: 'a.key', CHARTER_TLS_CLIENT_CA: 'ca.pem' });
    assert.deepEqual([c.tlsCert, c.tlsKey, c.tlsClientCa], ['a.pem', 'a.key', 'ca.pem']);
  });

  it('takes the public URL from --public-url or CHARTER_PUBLIC_URL, the flag winning, and refuses what is not an http(s) URL', () => {
    assert.equal(resolveConfig({}, { CHARTER_PUBLIC_URL: 'https://charter.example.com' }).publicUrl, 'https://charter.example.com');
    assert.equal(resolveConfig({ publicUrl: 'https://a.example' }, { CHARTER_PUBLIC_URL: 'https://b.example' }).publicUrl, 'https://a.example');
    assert.equal(resolveConfig({}, {}).publicUrl, undefined);
    assert.throws(() => resolveConfig({ publicUrl: 'charter.example.com' }, {}), /must be an http\(s\) URL/);
  });

  it('bounds every admission answer by 2 seconds unless told otherwise', () => {
    assert.equal(resolveConfig({}, {}).admissionDeadlineMs, 2000);
  });
});
