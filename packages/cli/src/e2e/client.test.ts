import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { CharterClient, CharterProblem, fetchTransport, type Transport } from '@charter/sdk';
import { nodeTransport } from '@charter/sdk/node';
import type { RunningServer } from '@charter/server';
import { activateSigner, adminToken, attest, ed25519, makePki, token, type KeyPair } from '@charter/server/testing';
import { e2eEngines, startE2EServer, type E2EDatabase } from './harness.js';

// The SDK's HTTP client against a real server over HTTP, on every engine: each operation of
// /openapi.json is a method, its answers are typed from the wire schemas, problems arrive as
// CharterProblem. (The test server checks every response it sends against /openapi.json.)
// Each suite runs over both transports: fetch (the default) and node:http (what the CLI uses).
const TRANSPORTS: Array<{ name: string; make: () => Transport }> = [
  { name: 'fetch', make: () => fetchTransport() },
  { name: 'node:http', make: () => nodeTransport() },
];

const SLSA = 'https://slsa.dev/provenance/v1';
const WRITE = 'scope:gpuaas.instances.write';
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');

/** Asserts `promise` rejects with a CharterProblem of `status` and `code`; returns it. */
async function problem(promise: Promise<unknown>, status: number, code: string): Promise<CharterProblem> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CharterProblem, `expected CharterProblem, got ${String(err)}`);
    assert.equal(err.status, status, err.detail);
    assert.equal(err.code, code, err.detail);
    return err;
  }
  assert.fail(`expected ${status} ${code}, got an answer`);
}

for (const engine of e2eEngines()) for (const { name: via, make } of TRANSPORTS) {
  describe(`CharterClient against a live server on ${engine.name}, over ${via}`, () => {
    let db: E2EDatabase;
    let server: RunningServer;
    let anon: CharterClient;
    let admin: CharterClient;
    let reviewer: CharterClient;
    let ci: CharterClient;
    let releaser: CharterClient;
    let approver: CharterClient;
    let key: KeyPair;
    const transport = make();
    const as = (secret: string) => new CharterClient({ url: server.url, token: secret, transport });

    before(async () => {
      db = await engine.create();
      server = await startE2EServer(db);
      const adminSecret = adminToken(server, db.dataDir);
      admin = as(adminSecret);
      anon = new CharterClient({ url: server.url, transport });
      reviewer = as(await token(server, adminSecret, 'sdk-reviewer', ['scope:platform.registry.approve']));
      ci = as(await token(server, adminSecret, 'sdk-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' }));
      releaser = as(await token(server, adminSecret, 'sdk-release', ['scope:platform.artifacts.promote']));
      approver = as(await token(server, adminSecret, 'sdk-approver', ['scope:platform.release.approve']));
      key = ed25519();
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    it('has a method for every operationId of /openapi.json', async () => {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
      const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId)).filter((id): id is string => typeof id === 'string');
      assert.ok(ids.length >= 40, `operations: ${ids.length}`);
      const missing = ids.filter((id) => typeof (CharterClient.prototype as unknown as Record<string, unknown>)[id] !== 'function');
      assert.deepEqual(missing, [], 'operations without a CharterClient method');
    });

    it('reads the catalog: families, entries (paged), one entry, history, dependents', async () => {
      const families = await anon.listFamilies();
      assert.ok(families.items.some((f) => f.name === 'scope' && f.contract_fields.includes('kind')));
      const page = await anon.listEntries({ family: 'scope', owner: 'gpuaas', limit: 2 });
      assert.equal(page.items.length, 2);
      assert.ok(page.next_cursor);
      const all = [];
      for await (const e of anon.listAllEntries({ family: 'scope', owner: 'gpuaas', limit: 2 })) all.push(e.id);
      assert.ok(all.length > 2, 'follows next_cursor');
      assert.equal(new Set(all).size, all.length);
      const entry = await anon.getEntry('scope', 'gpuaas.instances.write');
      assert.equal(entry.lifecycle, 'active');
      assert.equal((await anon.getEntry('scope', 'gpuaas.instances.write', 1)).revision, 1);
      const history = await anon.getEntryHistory('scope', 'gpuaas.instances.write');
      assert.equal(history.items[0]?.author, 'seed');
      const dependents = await anon.listEntryDependents('scope', 'gpuaas.instances.read');
      assert.ok(dependents.items.some((e) => e.id === 'gpuaas.instances.write'));
    });

    it('answers the fail-closed check by body and by query, and follows the feed with ETags', async () => {
      const answer = await anon.check([WRITE, 'scope:gpuaas.nope']);
      assert.equal(answer.allowed, false);
      assert.deepEqual(answer.results.map((r) => r.reason), ['active', 'unknown']);
      assert.deepEqual(await anon.checkByQuery([WRITE]), { ...(await anon.check([WRITE])) });
      const snap = await anon.getSnapshot();
      assert.ok(snap && snap.etag && snap.snapshot.entries.length > 10);
      assert.equal(await anon.getSnapshot(snap.etag), null, '304 when unchanged');
      const changes = await anon.listChanges(0, { limit: 1 });
      assert.equal(changes.resync, false);
      assert.ok(changes.items.length > 0);
    });

    it('turns problems into CharterProblem with status, code, detail and errors[]', async () => {
      const unknown = await problem(anon.getEntry('scope', 'gpuaas.nope'), 404, 'UNKNOWN_ENTRY');
      assert.match(unknown.detail, /gpuaas\.nope/);
      assert.equal(unknown.problem?.status, 404);
      await problem(anon.createToken({ principal: 'x', scopes: ['scope:platform.registry.read'] }), 401, 'UNAUTHENTICATED');
      const invalid = await problem(
        admin.submitChangeSet({ title: 'bad', operations: [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.Bad', owner: 'gpuaas', lifecycle: 'active', title: 't', spec: { kind: 'api', privileged: false } } }] } as never),
        422,
        'CHANGESET_INVALID',
      );
      assert.ok(invalid.errors.length > 0);
      assert.ok(invalid.errors.every((e) => e.pointer.startsWith('/operations/0')), JSON.stringify(invalid.errors));
      const unreachable = new CharterClient({ url: 'http://127.0.0.1:1', retries: 0, transport });
      await problem(unreachable.getHealth(), 0, 'UNREACHABLE');
    });

    it('governs: tokens, change sets (plan, submit, review, apply), revocation', async () => {
      const created = await admin.createToken({ principal: 'sdk-temp', scopes: ['scope:platform.registry.propose'], product: 'gpuaas', expires_in: '1d' });
      assert.match(created.token, /\S{16,}/);
      assert.ok((await admin.listTokens()).items.some((t) => t.id === created.id && t.revoked_at === null));
      const author = as(created.token);
      const input = { title: 'sdk scope', operations: [{ op: 'create' as const, entry: { family: 'scope' as const, id: 'gpuaas.sdk.read', owner: 'gpuaas', lifecycle: 'active' as const, title: 'SDK read', spec: { kind: 'api', privileged: false } } }] };
      const plan = await author.planChangeSet(input as never);
      assert.equal(plan.dry_run, true);
      assert.equal(plan.plan[0]?.ref, 'scope:gpuaas.sdk.read');
      const cs = await author.submitChangeSet(input as never);
      assert.equal(cs.status, 'open');
      assert.equal((await anon.getChangeSet(cs.id)).id, cs.id);
      assert.ok((await anon.listChangeSets({ status: 'open' })).items.some((c) => c.id === cs.id));
      await problem(author.approveChangeSet(cs.id), 403, 'FORBIDDEN');
      const approved = await reviewer.approveChangeSet(cs.id, 'looks right');
      assert.equal(approved.status, 'approved');
      const applied = await author.applyChangeSet(cs.id);
      assert.equal(applied.status, 'applied');
      assert.equal((await anon.check(['scope:gpuaas.sdk.read'])).allowed, true);
      const other = await author.submitChangeSet({ ...input, title: 'dup', operations: [{ ...input.operations[0]!, entry: { ...input.operations[0]!.entry, id: 'gpuaas.sdk.other' } }] } as never);
      assert.equal((await reviewer.rejectChangeSet(other.id, 'not needed')).status, 'rejected');
      const revoked = await admin.revokeToken(created.id);
      assert.ok(revoked.revoked_at);
      await problem(author.submitChangeSet(input as never), 401, 'UNAUTHENTICATED');
    });

    it('walks the trust path: register, attach (JSON, in-toto, bytes), approve, promote (denied returns the decision), explain, deploy check, proof', async () => {
      const signer = server.registry.catalog.get('signer', 'platform.release_ci');
      assert.ok(signer);
      const ops = activateSigner(server, 'platform.release_ci', key.publicPem);
      const cs = await admin.submitChangeSet({ title: 'sdk signer', operations: ops } as never);
      await reviewer.approveChangeSet(cs.id);
      await admin.applyChangeSet(cs.id);

      const digest = digestOf('sdk artifact');
      const reg = { digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'sdk', version: '1.0.0' };
      const first = await ci.registerArtifact(reg);
      assert.equal(first.created, true);
      assert.equal(first.value.registered_by, 'sdk-ci');
      assert.equal((await ci.registerArtifact(reg)).created, false, 'idempotent');
      assert.equal((await anon.getArtifact(digest)).name, 'sdk');
      assert.ok((await anon.listArtifacts({ product: 'gpuaas' })).items.some((a) => a.digest === digest));

      const envelope = attest(key, digest, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} });
      const attached = await ci.attachEvidence(digest, envelope);
      assert.equal(attached.created, true);
      assert.equal(attached.value.trusted, true);
      assert.equal((await ci.attachEvidence(digest, new TextEncoder().encode(envelope), 'application/vnd.in-toto+json')).created, false, 'the same bytes again');
      const asObject = await ci.attachEvidence(digest, JSON.parse(attest(key, digest, SLSA, { buildDefinition: { buildType: 'https://example/other' }, runDetails: {} })) as object);
      assert.equal(asObject.created, true);
      const bundle = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: {}, dsseEnvelope: JSON.parse(attest(key, digest, SLSA, { buildDefinition: { buildType: 'https://example/bundle' }, runDetails: {} })) as object };
      const fromBundle = await ci.attachEvidence(digest, JSON.stringify(bundle), 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.equal(fromBundle.value.trusted, true);
      assert.equal((await anon.listEvidence(digest)).items.length, 3);
      assert.equal(await anon.getEvidenceEnvelope(digest, attached.value.id), envelope, 'byte for byte');

      const dev = await releaser.promoteArtifact(digest, 'dev');
      assert.equal(dev.outcome, 'promoted');
      const staging = await releaser.promoteArtifact(digest, 'staging');
      assert.equal(staging.outcome, 'denied', 'a 403 with a decision is an answer');
      assert.ok(staging.checks.some((c) => c.status === 'missing'));
      await problem(ci.promoteArtifact(digest, 'dev'), 403, 'FORBIDDEN'); // no scope: no decision, so a throw
      assert.deepEqual((await anon.listPromotions(digest)).items.map((d) => d.outcome), ['promoted', 'denied']);
      const approval = await approver.approveRelease(digest, 'prod', 'ship it');
      assert.equal(approval.principal, 'sdk-approver');
      assert.equal((await anon.listApprovals(digest)).items.length, 1);

      const explained = await anon.explainArtifact(digest);
      assert.equal(explained.current_stage, 'dev');
      assert.equal(explained.stages.find((s) => s.stage === 'dev')?.promoted, true);
      assert.equal((await anon.checkDeploy(digest, 'dev')).allowed, true);
      const notThere = await anon.checkDeploy(digest, 'prod');
      assert.equal(notThere.allowed, false);
      assert.equal(notThere.reason, 'not_promoted');
      const proof = await anon.getReleaseProof(digest, 'dev');
      assert.equal(proof.format, 'charter.release-proof/v1');
      assert.equal(proof.decision.id, dev.id);
    });

    it('reads the audit log: events, checkpoint as text, key, inclusion and consistency proofs', async () => {
      const events = await admin.listAuditEvents({ limit: 5 });
      assert.equal(events.items.length, 5);
      assert.equal((await admin.getAuditEvent(0)).index, 0);
      const note = await anon.getAuditCheckpoint();
      const key = await anon.getAuditKey();
      assert.ok(note.startsWith(`${key.name}\n`), note);
      const size = Number(note.split('\n')[1]);
      assert.ok(size >= 5);
      assert.equal((await anon.getInclusionProof(0, size)).size, size);
      assert.equal((await anon.getConsistencyProof(1, size)).to, size);
    });

    it('validates run-time contracts and renders notifications; a "no" is an answer', async () => {
      const ok = await anon.validateManifest('sdk-contract:app_sdk.v1', { name: 'demo', version: '1.0.0', artifact: { digest: digestOf('app'), artifact_type: 'artifact-type:gpuaas.container_image' } });
      assert.equal(ok.valid, true, JSON.stringify(ok.errors));
      const bad = await anon.validateManifest('sdk-contract:app_sdk.v1', { name: 'Demo' });
      assert.equal(bad.valid, false);
      assert.ok(bad.errors.length > 0);
      const usage = await anon.validateUsage([{ unit: 'usage-unit:gpu_hour', quantity: 1.5 }]);
      assert.equal(usage.results.length, 1);
      const rendered = await anon.renderNotification({ template: 'notification-template:gpuaas.quota_exceeded', channel: 'email', variables: { project_id: 'p1', quota: 8, used: 9 } });
      assert.equal(rendered.valid, true, JSON.stringify(rendered.errors));
    });

    it('replays admission reviews and asks the Gatekeeper provider; a denial is an answer', async () => {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', namespace: 'payments' }, spec: { containers: [{ name: 'api', image: `registry.example.com/api@sha256:${'b'.repeat(64)}` }] } };
      const review = { apiVersion: 'admission.k8s.io/v1' as const, kind: 'AdmissionReview' as const, request: { uid: 'r-1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'payments', operation: 'CREATE' as const, userInfo: { username: 'alice' }, object: pod, dryRun: true } };
      for (const answer of [await anon.admissionValidate('local', review), await anon.admissionValidateCluster('local', review), await anon.admissionMutate('local', review), await anon.admissionMutateCluster('local', review)]) {
        assert.equal(answer.response.uid, 'r-1');
        assert.equal(answer.response.allowed, false);
        assert.match(answer.response.status!.message, /namespace payments of cluster local is in no environment/);
      }
      const provided = await anon.gatekeeperProvider('gpuaas.dev', [`registry.example.com/api@sha256:${'b'.repeat(64)}`, 'not a reference']);
      assert.equal(provided.response.items.length, 2);
      assert.equal(provided.response.items[0]!.value!.allowed, false);
      assert.ok(provided.response.items[1]!.error);
    });

    it('answers health, readiness and metrics', async () => {
      assert.deepEqual(await anon.getHealth(), { status: 'ok' });
      assert.equal((await anon.getReadiness()).status, 'ready');
      assert.match(await anon.getMetrics(), /^# HELP /m);
    });
  });
}

/** A stand-in server that fails the first `failures` requests with `status` (or never answers). */
async function flaky(failures: number, status: number | 'hang'): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const srv = http.createServer((req, res) => {
    hits++;
    req.resume();
    if (hits <= failures) {
      if (status === 'hang') return; // never answers
      res.writeHead(status, { 'content-type': 'application/problem+json', 'retry-after': '0' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status, code: 'DATABASE_UNAVAILABLE', detail: 'try again', errors: [] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ allowed: true, sequence: 1, results: [], status: 'ok' }));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => (srv.closeAllConnections(), srv.close(() => resolve()))),
  };
}

for (const { name: via, make } of TRANSPORTS) describe(`CharterClient retries only what is safe to repeat, with a bound, and times out, over ${via}`, () => {
  const transport = make();
  it('retries a GET and POST /v1/check through 503s, and gives up after `retries` more attempts', async () => {
    const s = await flaky(2, 503);
    try {
      const client = new CharterClient({ url: s.url, retries: 2, retryDelayMs: 1, transport });
      assert.deepEqual(await client.getHealth(), { allowed: true, sequence: 1, results: [], status: 'ok' });
      assert.equal(s.hits(), 3);
    } finally {
      await s.close();
    }
    const check = await flaky(1, 503);
    try {
      await new CharterClient({ url: check.url, retryDelayMs: 1, transport }).check([WRITE]);
      assert.equal(check.hits(), 2);
    } finally {
      await check.close();
    }
    const down = await flaky(100, 503);
    try {
      const p = await problem(new CharterClient({ url: down.url, retries: 3, retryDelayMs: 1, transport }).getHealth(), 503, 'DATABASE_UNAVAILABLE');
      assert.equal(p.detail, 'try again');
      assert.equal(down.hits(), 4, 'one try and three retries, no more');
    } finally {
      await down.close();
    }
  });

  it('never repeats a mutation', async () => {
    const s = await flaky(2, 503);
    try {
      const client = new CharterClient({ url: s.url, retries: 5, retryDelayMs: 1, transport });
      await problem(client.applyChangeSet('cs_00000000-0000-0000-0000-000000000000'), 503, 'DATABASE_UNAVAILABLE');
      await problem(client.checkDeploy(digestOf('x'), 'dev'), 503, 'DATABASE_UNAVAILABLE');
      assert.equal(s.hits(), 2, 'each was sent exactly once');
    } finally {
      await s.close();
    }
  });

  it('a redirect is not followed: it is a problem that says where it points, and the request was sent once', async () => {
    let hits = 0;
    const srv = http.createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(301, { location: 'https://charter.example/v1/check' });
      res.end('moved');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const client = new CharterClient({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, retries: 2, retryDelayMs: 1, transport });
      const p = await problem(client.check([WRITE]), 301, 'HTTP_301');
      assert.match(p.detail, /redirect to https:\/\/charter\.example\/v1\/check/);
      assert.equal(hits, 1, 'neither followed nor retried');
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });

  it('a server that does not answer is a TIMEOUT within the per-attempt bound', async () => {
    const s = await flaky(100, 'hang');
    try {
      const t0 = Date.now();
      await problem(new CharterClient({ url: s.url, timeoutMs: 200, retries: 1, retryDelayMs: 1, transport }).getHealth(), 0, 'TIMEOUT');
      const ms = Date.now() - t0;
      assert.equal(s.hits(), 2);
      assert.ok(ms >= 400 && ms < 5000, `${ms} ms`);
    } finally {
      await s.close();
    }
  });
});

describe('nodeTransport over TLS', () => {
  it('trusts the CA it is given, and a certificate it cannot verify is UNREACHABLE with the reason', async () => {
    const pki = makePki();
    const srv = https.createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', etag: '"7"' });
      res.end(JSON.stringify({ status: 'ok' }));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const trusted = new CharterClient({ url, retries: 0, transport: nodeTransport({ ca: readFileSync(pki.caCert) }) });
      assert.deepEqual(await trusted.getHealth(), { status: 'ok' });
      const stranger = new CharterClient({ url, retries: 0, transport: nodeTransport() });
      const p = await problem(stranger.getHealth(), 0, 'UNREACHABLE');
      assert.match(p.detail, /certificate/i);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      pki.drop();
    }
  });
});
