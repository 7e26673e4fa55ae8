import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { startTestServer } from '../testing/server.js';
import { httpsCall, makePki, type TestPki } from '../testing/tls.js';
import { attest, ed25519, activateSigner, type KeyPair } from '../testing/trust.js';
import { KINDS, review, workload, type Kind } from './reviews.testkit.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const PUBLIC = 'https://charter.example.com';
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');

for (const engine of testEngines()) {
  describe(`Kubernetes admission over HTTPS on ${engine.name}`, () => {
    let db: TestDatabase;
    let pki: TestPki;
    let server: RunningServer;
    let admin: string;
    let reviewer: string;
    let releaseCi: KeyPair;
    const promoted = digestOf('gpuaas api 1.0.0');
    const unpromoted = digestOf('gpuaas api 1.1.0-rc1');
    const bundle = digestOf('gpuaas runtime bundle 7');
    const IMG = `registry.example.com/gpuaas/api@${promoted}`;
    const BAD = `registry.example.com/gpuaas/api@${unpromoted}`;

    const api = (method: string, path: string, o: { body?: unknown; token?: string } = {}) =>
      httpsCall(server.url, method, path, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, ...(o.body !== undefined ? { body: o.body } : {}), ...(o.token ? { headers: { authorization: `Bearer ${o.token}` } } : {}) });
    const validate = (body: unknown, cluster = 'local') => api('POST', `/admission/v1/validate?cluster=${cluster}`, { body });
    const mutate = (body: unknown, cluster = 'local') => api('POST', `/admission/v1/mutate?cluster=${cluster}`, { body });
    const mint = async (principal: string, scopes: string[], extra: Record<string, unknown> = {}) => {
      const r = await api('POST', '/v1/tokens', { token: admin, body: { principal, scopes, ...extra } });
      assert.equal(r.status, 201, r.text);
      return r.json.token as string;
    };
    const govern = async (title: string, operations: unknown[]) => {
      const s = await api('POST', '/v1/changesets', { token: admin, body: { title, operations } });
      assert.equal(s.status, 201, s.text);
      assert.equal((await api('POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} })).status, 200);
      const p = await api('POST', `/v1/changesets/${s.json.id}/apply`, { token: admin });
      assert.equal(p.status, 200, p.text);
    };
    const auditSize = () => server.registry.audit.size();
    const eventsAfter = async (size: number) => server.registry.audit.events({ after: size - 1, limit: 100 });

    before(async () => {
      pki = makePki();
      db = await engine.create();
      server = await startTestServer(db, { config: { tlsCert: pki.serverCert, tlsKey: pki.serverKey, tlsClientCa: pki.caCert, publicUrl: PUBLIC } });
      assert.match(server.url, /^https:/);
      admin = readFileSync(server.adminTokenFile!, 'utf8').trim();
      reviewer = await mint('platform-reviewer', ['scope:platform.registry.approve']);
      releaseCi = ed25519();
      await govern('real release key', activateSigner(server, 'platform.release_ci', releaseCi.publicPem));
      const ci = await mint('gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      const releaser = await mint('release-bot', ['scope:platform.artifacts.promote']);
      for (const [digest, type, version] of [[promoted, 'gpuaas.container_image', '1.0.0'], [unpromoted, 'gpuaas.container_image', '1.1.0-rc1'], [bundle, 'gpuaas.runtime_bundle', '7']] as const) {
        const r = await api('POST', '/v1/artifacts', { token: ci, body: { digest, artifact_type: type, product: 'gpuaas', name: 'api', version } });
        assert.equal(r.status, 201, r.text);
        const e = await api('POST', `/v1/artifacts/${digest}/evidence`, { token: ci, body: attest(releaseCi, digest, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} }) });
        assert.equal(e.status, 201, e.text);
      }
      for (const digest of [promoted, bundle]) assert.equal((await api('POST', `/v1/artifacts/${digest}/promotions`, { token: releaser, body: { stage: 'dev' } })).status, 201);
      await govern('a canary environment that only warns', [
        { op: 'create', entry: { family: 'environment', id: 'gpuaas.canary', owner: 'gpuaas', lifecycle: 'active', title: 'Canary', spec: { stage: 'dev', kubernetes: { cluster: 'local', namespaces: ['canary-*'] }, mode: 'warn' } } },
      ]);
    });
    after(async () => {
      await server?.close();
      await db?.drop();
      pki?.drop();
    });

    it('serves the seeded environments gpuaas.dev, gpuaas.staging and gpuaas.prod bound to cluster local', async () => {
      const r = await api('GET', '/v1/entries?family=environment');
      assert.equal(r.status, 200, r.text);
      const byId = Object.fromEntries(r.json.items.map((e: any) => [e.id, e.spec]));
      assert.deepEqual(byId['gpuaas.dev'].kubernetes, { cluster: 'local', namespaces: ['gpuaas-dev'] });
      assert.equal(byId['gpuaas.staging'].stage, 'staging');
      assert.deepEqual(byId['gpuaas.prod'].kubernetes.namespaces, ['gpuaas-prod*']);
    });

    for (const kind of KINDS) {
      it(`admits a ${kind} whose every image is promoted to the environment's stage, and denies one with an unpromoted image`, async () => {
        const ok = review(kind, 'gpuaas-dev', workload(kind, 'api', 'gpuaas-dev', { containers: [IMG], initContainers: [IMG] }));
        const allowed = await validate(ok);
        assert.equal(allowed.status, 200, allowed.text);
        assert.deepEqual(allowed.json, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: ok.request.uid, allowed: true } });
        const bad = review(kind, 'gpuaas-dev', workload(kind, 'api', 'gpuaas-dev', { containers: [IMG], initContainers: [BAD] }));
        const denied = await validate(bad);
        assert.equal(denied.json.response.uid, bad.request.uid);
        assert.equal(denied.json.response.allowed, false);
        assert.equal(denied.json.response.status.code, 403);
        assert.match(denied.json.response.status.message, new RegExp(`${BAD.replace(/[.]/g, '\\.')} denied in environment gpuaas\\.dev \\(stage dev\\)`));
      });
    }

    it('checks init and ephemeral containers of a CronJob, and an image that carries both a tag and a digest', async () => {
      const tagged = `registry.example.com/gpuaas/api:1.0.0@${promoted}`;
      const cron = (eph: string) => review('CronJob', 'gpuaas-dev', workload('CronJob', 'nightly', 'gpuaas-dev', { containers: [tagged], initContainers: [tagged], ephemeralContainers: [eph] }));
      assert.equal((await validate(cron(tagged))).json.response.allowed, true);
      const denied = await validate(cron(`registry.example.com/gpuaas/debug:2@${unpromoted}`));
      assert.equal(denied.json.response.allowed, false);
      assert.match(denied.json.response.status.message, /gpuaas\/debug:2@sha256:/);
    });

    it('denies a multi-container pod with one unpromoted image: the message names image, environment, stage, first failing requirement and explain URL, under 512 characters; the denial is audited', async () => {
      const size = await auditSize();
      const r = review('Pod', 'gpuaas-dev', workload('Pod', 'web', 'gpuaas-dev', { containers: [IMG, IMG, BAD, IMG] }), { username: 'system:serviceaccount:gpuaas-dev:deployer' });
      const denied = await validate(r);
      const message: string = denied.json.response.status.message;
      assert.ok(message.length < 512, `${message.length} characters`);
      assert.equal(message, `${BAD} denied in environment gpuaas.dev (stage dev): the artifact has not been promoted to dev; explain: ${PUBLIC}/ui/artifacts/${unpromoted}`);
      const events = await eventsAfter(size);
      assert.equal(events.length, 1);
      const e = events[0]!;
      assert.equal(e.action, 'audit-action:platform.admission.deny');
      assert.equal(e.actor, 'admission:local');
      assert.ok(e.subject.includes(unpromoted) && e.subject.includes('environment:gpuaas.dev'));
      const d = e.details as Record<string, unknown>;
      assert.deepEqual([d.user, d.cluster, d.namespace, d.image, d.digest, d.environment, d.enforced], ['system:serviceaccount:gpuaas-dev:deployer', 'local', 'gpuaas-dev', BAD, unpromoted, 'gpuaas.dev', true]);
    });

    it('counts allowed admissions in /metrics and does not log them', async () => {
      const size = await auditSize();
      await validate(review('Pod', 'gpuaas-dev', workload('Pod', 'ok', 'gpuaas-dev', { containers: [IMG] })));
      assert.equal(await auditSize(), size, 'an allowed admission writes nothing');
      const m = await api('GET', '/metrics');
      assert.match(m.text, /charter_admission_reviews_total\{webhook="validate",outcome="allowed"\} [1-9]/);
      assert.match(m.text, /charter_admission_reviews_total\{webhook="validate",outcome="denied"\} [1-9]/);
    });

    it('denies a tag-only image in validate: pin by digest, or let the mutating webhook pin it', async () => {
      const r = await validate(review('Deployment', 'gpuaas-staging', workload('Deployment', 'api', 'gpuaas-staging', { containers: ['registry.example.com/gpuaas/api:1.0.0'] })));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /registry\.example\.com\/gpuaas\/api:1\.0\.0 denied in environment gpuaas\.staging \(stage staging\): the image is not pinned by digest: pin by digest, or let the mutating webhook pin it$/);
    });

    it('mutate leaves a tag alone where no environment pins digests, and denies it like validate', async () => {
      const r = await mutate(review('Pod', 'gpuaas-staging', workload('Pod', 'api', 'gpuaas-staging', { containers: ['registry.example.com/gpuaas/api:1.0.0'] })));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /the image is not pinned by digest: pin by digest, or let the mutating webhook pin it/);
      assert.equal(r.json.response.patch, undefined);
    });

    it('denies a namespace no environment matches, saying so', async () => {
      const r = await validate(review('Pod', 'payments', workload('Pod', 'api', 'payments', { containers: [IMG] })));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /namespace payments of cluster local is in no environment; Charter admits nothing there/);
      const other = await validate(review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [IMG] })), 'eu1');
      assert.match(other.json.response.status.message, /namespace gpuaas-dev of cluster eu1 is in no environment/);
    });

    it('matches namespace globs: gpuaas-prod* covers gpuaas-prod-eu1, and the stage there is prod', async () => {
      const r = await validate(review('Pod', 'gpuaas-prod-eu1', workload('Pod', 'api', 'gpuaas-prod-eu1', { containers: [IMG] })));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /environment gpuaas\.prod \(stage prod\): the artifact has not been promoted to prod/);
    });

    it('answers a dry run but does not record its denial', async () => {
      const size = await auditSize();
      const r = await validate(review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [BAD] }), { dryRun: true }));
      assert.equal(r.json.response.allowed, false);
      assert.equal(await auditSize(), size);
    });

    it('warn mode admits with warnings under 120 characters and records what it would have denied', async () => {
      const size = await auditSize();
      const r = await validate(review('Pod', 'canary-1', workload('Pod', 'api', 'canary-1', { containers: [BAD, IMG] })));
      assert.equal(r.json.response.allowed, true);
      assert.ok(r.json.response.warnings.length >= 1);
      for (const w of r.json.response.warnings) assert.ok(w.length < 120, w);
      assert.match(r.json.response.warnings[0], /^gpuaas\.canary \(warn\) would deny registry\.example\.com\/gpuaas\/api@sha256:/);
      const events = await eventsAfter(size);
      assert.equal(events.length, 1);
      assert.equal((events[0]!.details as { enforced: boolean }).enforced, false);
    });

    it('enforces the environment artifact types: a runtime bundle promoted to dev may not run in gpuaas.dev', async () => {
      const r = await validate(review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [`registry.example.com/gpuaas/bundle@${bundle}`] })));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /artifact type gpuaas\.runtime_bundle may not run in gpuaas\.dev \(it runs gpuaas\.container_image\)/);
    });

    it('allows an UPDATE that changes no image without a check, and checks the images an UPDATE adds', async () => {
      const old = workload('Deployment', 'api', 'gpuaas-dev', { containers: [BAD] });
      const scaled = { ...old, spec: { ...(old.spec as object), replicas: 5 } };
      const size = await auditSize();
      const same = await validate(review('Deployment', 'gpuaas-dev', scaled, { operation: 'UPDATE', oldObject: old }));
      assert.equal(same.json.response.allowed, true);
      assert.equal(await auditSize(), size);
      const changed = await validate(review('Deployment', 'gpuaas-dev', workload('Deployment', 'api', 'gpuaas-dev', { containers: [IMG, BAD] }), { operation: 'UPDATE', oldObject: workload('Deployment', 'api', 'gpuaas-dev', { containers: [IMG] }) }));
      assert.equal(changed.json.response.allowed, false);
    });

    it('checks ephemeral containers added through the pods/ephemeralcontainers subresource', async () => {
      const pod = workload('Pod', 'api', 'gpuaas-dev', { containers: [IMG] });
      const withDebug = workload('Pod', 'api', 'gpuaas-dev', { containers: [IMG], ephemeralContainers: [`registry.example.com/tools/debug@${unpromoted}`] });
      const r = await validate(review('Pod', 'gpuaas-dev', withDebug, { operation: 'UPDATE', oldObject: pod, subResource: 'ephemeralcontainers' }));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /tools\/debug@/);
      const ok = workload('Pod', 'api', 'gpuaas-dev', { containers: [IMG], ephemeralContainers: [IMG] });
      assert.equal((await validate(review('Pod', 'gpuaas-dev', ok, { operation: 'UPDATE', oldObject: pod, subResource: 'ephemeralcontainers' }))).json.response.allowed, true);
    });

    it('takes the cluster in the path too (a webhook URL cannot carry a query string), with the API server timeout', async () => {
      const body = review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [IMG] }));
      const r = await api('POST', '/admission/v1/validate/local?timeout=10s', { body });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.response.allowed, true);
    });

    it('answers a malformed review with a 400 problem', async () => {
      const r = await validate({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { group: '', version: 'v1', kind: 'Pod' } } });
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 'MALFORMED_REQUEST');
      assert.ok(r.json.errors.some((e: { pointer: string }) => e.pointer === '/request/uid'));
      const shape = review('Pod', 'gpuaas-dev', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: 'nginx' } });
      const s = await validate(shape);
      assert.equal(s.status, 400);
      assert.equal(s.json.errors[0].pointer, '/request/object/spec/containers');
      const noCluster = await api('POST', '/admission/v1/validate', { body: shape });
      assert.equal(noCluster.status, 400);
    });

    it('a disabled environment denies everything it matched', async () => {
      const env = server.registry.catalog.get('environment', 'gpuaas.staging')!;
      await govern('freeze staging', [{ op: 'transition', family: 'environment', id: 'gpuaas.staging', expected_revision: env.revision, to: 'disabled', reason: 'incident' }]);
      const r = await validate(review('Pod', 'gpuaas-staging', workload('Pod', 'api', 'gpuaas-staging', { containers: [IMG] })));
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /environment gpuaas\.staging is disabled: it admits nothing \(fail closed\)/);
    });

    it('revocation: disabling the signer makes the next admission deny', async () => {
      const body = () => review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [IMG] }));
      assert.equal((await validate(body())).json.response.allowed, true);
      const signer = server.registry.catalog.get('signer', 'platform.release_ci')!;
      await govern('release key compromised', [{ op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, to: 'disabled', reason: 'compromised' }]);
      const r = await validate(body());
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /slsa_provenance_v1 .*signed by platform\.release_ci, which is disabled/);
    });

    it('refuses a client without a certificate from the client CA', async () => {
      const u = new URL(server.url);
      const outcome = await new Promise<string>((resolve) => {
        const s = connect({ host: u.hostname, port: Number(u.port), ca: readFileSync(pki.caCert) }, () => {
          s.write('POST /admission/v1/validate?cluster=local HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}');
        });
        s.on('data', () => resolve('answered'));
        s.on('error', (e) => resolve(`error ${e.message}`));
        s.on('close', () => resolve('closed'));
      });
      assert.notEqual(outcome, 'answered');
    });

    it('reloads the certificate and key on request (SIGHUP) without a restart', async () => {
      const before = await api('GET', '/healthz');
      assert.equal(before.peerCn, 'charter-test-server');
      pki.reissueServer('charter-test-server-renewed');
      assert.equal(server.reloadTls(), true);
      const after = await api('GET', '/healthz');
      assert.equal(after.peerCn, 'charter-test-server-renewed');
    });

    it('error is not deny: with the database gone, an admission is HTTP 500 with a problem, never allowed', async () => {
      const fresh = digestOf('never asked before');
      await server.handle.close();
      const r = await validate(review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [`registry.example.com/gpuaas/api@${fresh}`] })));
      assert.equal(r.status, 500, r.text);
      assert.match(r.type, /application\/problem\+json/);
      assert.equal(r.json.code, 'ADMISSION_FAILED');
      assert.equal(r.json.response, undefined);
    });
  });
}

export type { Kind };
