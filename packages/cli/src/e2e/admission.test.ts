import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { httpsCall, makePki, type TestPki } from '@charter/server/testing';
import { runCharter, spawnServe, tempDir, waitUntil, type ServeProcess } from './harness.js';

describe('charter admission config', () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.drop());

  it('prints a Mutating- and a ValidatingWebhookConfiguration that fail closed, skip system namespaces and cover pods, ephemeral containers and workloads', async () => {
    const run = await runCharter(['admission', 'config', '--cluster', 'local', '--url', 'https://charter.charter-system.svc:8443', '--ca-file', pki.caCert], { cwd: tempDir() });
    assert.equal(run.code, 0, run.stderr);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => d.kind), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    for (const doc of docs) {
      assert.equal(doc.apiVersion, 'admissionregistration.k8s.io/v1');
      const [w] = doc.webhooks;
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(w.sideEffects, 'NoneOnDryRun');
      assert.equal(w.timeoutSeconds, 5);
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), readFileSync(pki.caCert, 'utf8'));
      assert.doesNotMatch(w.clientConfig.url, /[?#]/, 'a webhook URL may not carry a query string');
      assert.deepEqual(w.namespaceSelector.matchExpressions[0], { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease'] });
      const resources = w.rules.flatMap((r: { resources: string[] }) => r.resources);
      for (const r of ['pods', 'pods/ephemeralcontainers', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs']) assert.ok(resources.includes(r), r);
      for (const r of w.rules) assert.deepEqual(r.operations, ['CREATE', 'UPDATE']);
    }
    assert.equal(docs[0].webhooks[0].clientConfig.url, 'https://charter.charter-system.svc:8443/admission/v1/mutate/local');
    assert.equal(docs[1].webhooks[0].clientConfig.url, 'https://charter.charter-system.svc:8443/admission/v1/validate/local');
  });

  it('refuses a plain-HTTP URL: clusters call webhooks over TLS only', async () => {
    const run = await runCharter(['admission', 'config', '--cluster', 'local', '--url', 'http://charter:8080', '--ca-file', pki.caCert], { cwd: tempDir() });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /must be an https:\/\/ URL/);
  });
});

describe('charter serve over TLS', () => {
  let pki: TestPki;
  let serve: ServeProcess;
  before(async () => {
    pki = makePki();
    const dir = tempDir();
    serve = await spawnServe(['--port', '0', '--data-dir', dir, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-client-ca', pki.caCert, '--public-url', 'https://charter.example.com'], { cwd: dir, timeoutMs: 60_000 });
  });
  after(async () => {
    await serve?.stop();
    pki?.drop();
  });

  const get = (path: string) => httpsCall(serve.url, 'GET', path, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey });

  it('serves HTTPS with --tls-cert/--tls-key, requiring client certificates with --tls-client-ca', async () => {
    assert.match(serve.url, /^https:\/\//);
    assert.equal((await get('/healthz')).status, 200);
    await assert.rejects(httpsCall(serve.url, 'GET', '/healthz', { ca: pki.caCert }));
  });

  it('re-reads the certificate and key on SIGHUP', async () => {
    assert.equal((await get('/healthz')).peerCn, 'charter-test-server');
    pki.reissueServer('charter-rotated');
    serve.child.kill('SIGHUP');
    await waitUntil('the rotated certificate', async () => (await get('/healthz')).peerCn === 'charter-rotated');
    assert.match(serve.stderr(), /TLS certificate and key reloaded/);
  });

  it('keeps the running certificate when the new file cannot be read, and says so', async () => {
    writeFileSync(pki.serverCert, 'not a certificate');
    serve.child.kill('SIGHUP');
    await waitUntil('the reload failure on stderr', () => /TLS reload failed, still serving the previous certificate/.test(serve.stderr()));
    assert.equal((await get('/healthz')).peerCn, 'charter-rotated');
  });
});
