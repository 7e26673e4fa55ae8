/**
 * The artifact trust path end to end, with the real `charter` binary against a real server on
 * SQLite: keys → signers activated by a reviewed change set → artifact registered → provenance,
 * SBOM and vulnerability scan attested and attached → dev, staging → prod denied until two
 * approvals → explain → release proof verified offline (and a changed byte fails it) → signer
 * disabled → explain shows revoked, the deploy check denies, and the old proof still verifies.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keyFingerprint } from '@charter/core';
import type { RunningServer } from '@charter/server';
import { e2eEngines, http, runCharter, startE2EServer, tempDir, type CliRun, type E2EDatabase } from './harness.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const SPDX = 'https://spdx.dev/Document';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
// gpuaas.container_image is the seeded type whose staging stage also requires an SPDX SBOM.
const TYPE = 'gpuaas.container_image';

describe('artifact trust path through the charter CLI (sqlite)', () => {
  const sqlite = e2eEngines().find((e) => e.name === 'sqlite')!;
  const work = tempDir('charter-e2e-trust-');
  const file = (name: string) => join(work, name);
  const digest = 'sha256:' + createHash('sha256').update('gpuaas-api image 1.4.2').digest('hex');
  let db: E2EDatabase;
  let server: RunningServer;
  let admin: string;
  let reviewer: string;
  let ci: string;
  let releaser: string;
  let alice: string;
  let bob: string;
  let reader: string;

  /** `charter --url … --token … ARGS`, from an empty directory so no local admin token is picked up. */
  const charter = (token: string, ...args: string[]): Promise<CliRun> => runCharter(['--url', server.url, '--token', token, ...args], { cwd: work, timeoutMs: 30_000 });
  /** Offline commands: no URL, no token. */
  const offline = (...args: string[]): Promise<CliRun> => runCharter(args, { cwd: work, timeoutMs: 30_000 });
  const says = (r: CliRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

  const api = (method: string, path: string, token: string | null, body?: unknown) => http(server.url, method, path, body, token);

  async function newToken(principal: string, scopes: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const r = await api('POST', '/v1/tokens', admin, { principal, scopes: scopes.map((s) => `scope:${s}`), ...extra });
    assert.equal(r.status, 201, r.text);
    return r.json.token;
  }

  /** A change set by the admin, approved by a second principal, applied. */
  async function govern(title: string, operations: unknown[]): Promise<void> {
    const s = await api('POST', '/v1/changesets', admin, { title, operations });
    assert.equal(s.status, 201, s.text);
    const a = await api('POST', `/v1/changesets/${s.json.id}/approve`, reviewer, {});
    assert.equal(a.status, 200, a.text);
    const p = await api('POST', `/v1/changesets/${s.json.id}/apply`, admin, {});
    assert.equal(p.status, 200, p.text);
  }

  async function signer(id: string): Promise<{ revision: number; spec: Record<string, unknown> }> {
    const r = await api('GET', `/v1/entries/signer/${id}`, null);
    assert.equal(r.status, 200, r.text);
    return r.json;
  }

  before(async () => {
    db = await sqlite.create();
    server = await startE2EServer(db);
    admin = readFileSync(server.adminTokenFile ?? join(db.dataDir, 'admin-token'), 'utf8').trim();
    reviewer = await newToken('platform-reviewer', ['platform.registry.approve']);
    ci = await newToken('gpuaas-ci', ['platform.artifacts.register', 'platform.evidence.attach'], { product: 'gpuaas' });
    releaser = await newToken('release-bot', ['platform.artifacts.promote']);
    alice = await newToken('alice', ['platform.release.approve']);
    bob = await newToken('bob', ['platform.release.approve']);
    reader = await newToken('reader', ['platform.registry.read']);
  });

  after(async () => {
    await server?.close();
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('generates key pairs, private key 0600, and never overwrites one', async () => {
    const ed = await offline('keys', 'generate', '--out', file('release-ci.key'));
    assert.equal(ed.code, 0, says(ed));
    const pub = readFileSync(file('release-ci.key.pub'), 'utf8');
    assert.match(pub, /BEGIN PUBLIC KEY/);
    assert.match(readFileSync(file('release-ci.key'), 'utf8'), /BEGIN PRIVATE KEY/, 'PKCS#8');
    assert.equal(statSync(file('release-ci.key')).mode & 0o777, 0o600);
    assert.match(ed.stdout, new RegExp(`release-ci\\.key\\.pub`));
    assert.match(ed.stdout, new RegExp(keyFingerprint(pub).slice(0, 16)));

    const ec = await offline('keys', 'generate', '--out', file('scanner.key'), '--algorithm', 'ecdsa-p256', '--json');
    assert.equal(ec.code, 0, says(ec));
    const out = JSON.parse(ec.stdout);
    assert.equal(out.algorithm, 'ecdsa-p256');
    assert.equal(out.public_key, file('scanner.key.pub'));
    assert.equal(out.fingerprint, keyFingerprint(readFileSync(file('scanner.key.pub'), 'utf8')).slice(0, 16));
    assert.equal(statSync(file('scanner.key')).mode & 0o777, 0o600);

    const before = readFileSync(file('release-ci.key'), 'utf8');
    const again = await offline('keys', 'generate', '--out', file('release-ci.key'));
    assert.equal(again.code, 1, says(again));
    assert.match(again.stderr, /already exists/);
    assert.equal(readFileSync(file('release-ci.key'), 'utf8'), before, 'the existing key is untouched');
  });

  it('activates the seeded signers with those public keys by a reviewed change set', async () => {
    const ops: unknown[] = [];
    for (const [id, key, algorithm] of [['platform.release_ci', 'release-ci.key.pub', 'ed25519'], ['platform.scanner', 'scanner.key.pub', 'ecdsa-p256']] as const) {
      const e = await signer(id);
      ops.push({ op: 'update', family: 'signer', id, expected_revision: e.revision, set: { spec: { ...e.spec, algorithm, public_key: readFileSync(file(key), 'utf8') } } });
      ops.push({ op: 'transition', family: 'signer', id, expected_revision: e.revision, to: 'active' });
    }
    await govern('release CI and scanner keys', ops);
    assert.equal((await api('GET', '/v1/entries/signer/platform.scanner', null)).json.lifecycle, 'active');
  });

  it('registers the artifact by digest with a product-bound CI token, idempotently', async () => {
    const args = ['artifact', 'register', '--digest', digest, '--type', TYPE, '--product', 'gpuaas', '--name', 'gpuaas-api', '--version', '1.4.2', '--repo', 'https://git.example/gpuaas/api', '--commit', '0a1b2c3d', '--build-url', 'https://ci.example/runs/42', '--label', 'team=compute'];
    const r = await charter(ci, ...args);
    assert.equal(r.code, 0, says(r));
    assert.match(r.stdout, /^registered sha256:/);
    const again = await charter(ci, ...args, '--json');
    assert.equal(again.code, 0, says(again));
    const a = JSON.parse(again.stdout);
    assert.deepEqual([a.digest, a.artifact_type, a.version, a.registered_by, a.labels.team, a.source.build_url], [digest, TYPE, '1.4.2', 'gpuaas-ci', 'compute', 'https://ci.example/runs/42']);
    const conflict = await charter(ci, 'artifact', 'register', '--digest', digest, '--type', TYPE, '--product', 'gpuaas', '--name', 'gpuaas-api', '--version', '1.4.3');
    assert.equal(conflict.code, 1, says(conflict));
    assert.match(conflict.stderr, /ARTIFACT_CONFLICT/);
  });

  it('attests offline and attaches: trusted evidence exits 0, an unknown key is kept but untrusted (exit 1)', async () => {
    writeFileSync(file('provenance.json'), JSON.stringify({ buildDefinition: { buildType: 'https://ci.example/build/v1', externalParameters: { ref: 'refs/tags/v1.4.2' } }, runDetails: { builder: { id: 'https://ci.example/runner' } } }));
    writeFileSync(file('sbom.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'gpuaas-api', packages: [] }));
    writeFileSync(file('scan.json'), JSON.stringify({ scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0' }, metadata: { scanStartedOn: '2026-06-01T00:00:00Z', scanFinishedOn: '2026-06-01T00:01:00Z' }, summary: { critical: 0, high: 0 } }));
    const attest = (key: string, type: string, predicate: string, out: string) => offline('attest', '--key', file(key), '--predicate-type', type, '--predicate', file(predicate), '--subject', digest, '--subject-name', 'registry.example/gpuaas/api', '--out', file(out));
    for (const [key, type, predicate, out] of [['release-ci.key', SLSA, 'provenance.json', 'provenance.dsse.json'], ['release-ci.key', SPDX, 'sbom.json', 'sbom.dsse.json'], ['scanner.key', VULN, 'scan.json', 'scan.dsse.json']]) {
      const r = await attest(key!, type!, predicate!, out!);
      assert.equal(r.code, 0, says(r));
    }
    const envelope = JSON.parse(readFileSync(file('provenance.dsse.json'), 'utf8'));
    assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    assert.deepEqual(statement.subject, [{ name: 'registry.example/gpuaas/api', digest: { sha256: digest.slice(7) } }]);
    assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
    assert.equal(statement.predicateType, SLSA);

    const prov = await charter(ci, 'artifact', 'attach', digest, file('provenance.dsse.json'));
    assert.equal(prov.code, 0, says(prov));
    assert.match(prov.stdout, /evidence: ev_[0-9a-f]{20}/);
    assert.match(prov.stdout, /type:\s+evidence-type:slsa_provenance_v1/);
    assert.match(prov.stdout, /trusted:\s+yes/);
    assert.match(prov.stdout, /signature 1: signer:platform\.release_ci: verified/);
    const sbom = await charter(ci, 'artifact', 'attach', digest, file('sbom.dsse.json'), '--json');
    assert.equal(sbom.code, 0, says(sbom));
    const sbomEvidence = JSON.parse(sbom.stdout);
    assert.equal(sbomEvidence.evidence_type, 'evidence-type:spdx_sbom');
    // The file's bytes, unchanged, are what the server keeps.
    const stored = await api('GET', `/v1/artifacts/${digest}/evidence/${sbomEvidence.id}/envelope`, null);
    assert.equal(stored.text, readFileSync(file('sbom.dsse.json'), 'utf8'));

    const stranger = await offline('keys', 'generate', '--out', file('stranger.key'));
    assert.equal(stranger.code, 0, says(stranger));
    assert.equal((await attest('stranger.key', SLSA, 'provenance.json', 'stranger.dsse.json')).code, 0);
    const untrusted = await charter(ci, 'artifact', 'attach', digest, file('stranger.dsse.json'));
    assert.equal(untrusted.code, 1, says(untrusted));
    assert.match(untrusted.stdout, /trusted:\s+no/);
    assert.match(untrusted.stdout, /signature 1: unknown key .*no_matching_key.*no registered signer/);
  });

  it('promotes dev and staging by policy, and denies prod (exit 1) until two other principals approve', async () => {
    const dev = await charter(releaser, 'artifact', 'promote', digest, '--stage', 'dev');
    assert.equal(dev.code, 0, says(dev));
    assert.match(dev.stdout, new RegExp(`^promoted ${digest} to dev`));
    assert.match(dev.stdout, /REQUIREMENT\s+STATUS\s+DETAIL/);
    assert.match(dev.stdout, /slsa_provenance_v1 by platform\.release_ci\s+satisfied/);

    // Staging needs the vulnerability scan too: denied first, with the reason in the table.
    const early = await charter(releaser, 'artifact', 'promote', digest, '--stage', 'staging');
    assert.equal(early.code, 1, says(early));
    assert.match(early.stdout, /^denied/);
    assert.match(early.stdout, /vuln_scan by platform\.scanner.*missing\s+needs vuln_scan signed by platform\.scanner; none attached/);
    const scan = await charter(ci, 'artifact', 'attach', digest, file('scan.dsse.json'));
    assert.equal(scan.code, 0, says(scan));
    assert.match(scan.stdout, /signature 1: signer:platform\.scanner: verified/);
    const staging = await charter(releaser, 'artifact', 'promote', digest, '--stage', 'staging');
    assert.equal(staging.code, 0, says(staging));

    const prod = await charter(releaser, 'artifact', 'promote', digest, '--stage', 'prod', '--json');
    assert.equal(prod.code, 1, says(prod));
    const denied = JSON.parse(prod.stdout);
    assert.equal(denied.outcome, 'denied');
    assert.match(denied.checks.find((c: { requirement: object }) => 'approvals' in c.requirement).detail, /needs 2 approvals for prod; has none/);

    const one = await charter(alice, 'artifact', 'approve', digest, '--stage', 'prod', '--comment', 'release notes reviewed');
    assert.equal(one.code, 0, says(one));
    assert.match(one.stdout, /alice approves/);
    const stillDenied = await charter(releaser, 'artifact', 'promote', digest, '--stage', 'prod');
    assert.equal(stillDenied.code, 1, says(stillDenied));
    assert.match(stillDenied.stdout, /2 approvals\s+missing\s+needs 2 approvals for prod; has 1 \(alice\)/);
    assert.equal((await charter(bob, 'artifact', 'approve', digest, '--stage', 'prod')).code, 0);
    const promoted = await charter(releaser, 'artifact', 'promote', digest, '--stage', 'prod');
    assert.equal(promoted.code, 0, says(promoted));
    assert.match(promoted.stdout, /2 approvals\s+satisfied\s+2 approvals for prod \(alice, bob\)/);

    const check = await charter(reader, 'artifact', 'check', digest, '--stage', 'prod');
    assert.equal(check.code, 0, says(check));
    assert.match(check.stdout, /^allowed: promoted to prod and still trusted/);
    const listed = await charter(reader, 'artifact', 'list', '--stage', 'prod', '--json');
    assert.deepEqual(JSON.parse(listed.stdout).items.map((a: { digest: string }) => a.digest), [digest]);
    const evidence = await charter(reader, 'artifact', 'evidence', digest);
    assert.equal(evidence.code, 0, says(evidence));
    assert.match(evidence.stdout, /untrusted when attached: signed by an unknown key/);
  });

  it('explains every stage as promoted and trusted', async () => {
    const x = await charter(reader, 'artifact', 'explain', digest);
    assert.equal(x.code, 0, says(x));
    assert.match(x.stdout, /^current_stage: prod/);
    for (const stage of ['dev', 'staging', 'prod']) assert.match(x.stdout, new RegExp(`^${stage}\\s+yes\\s+yes\\s+promoted \\S+ by release-bot \\(dec_[0-9a-f]+\\)\\s+no$`, 'm'));
    assert.match(x.stdout, /vuln_scan by platform\.scanner where \/predicate\/summary\/critical ≤ 0, at most 7d old\s+satisfied/);
    const raw = JSON.parse((await charter(reader, 'artifact', 'explain', digest, '--json')).stdout);
    assert.equal(raw.current_stage, 'prod');
    assert.deepEqual(raw.stages.map((s: { stage: string; promoted: boolean; would_pass: boolean; revoked: boolean }) => [s.stage, s.promoted, s.would_pass, s.revoked]), [['dev', true, true, false], ['staging', true, true, false], ['prod', true, true, false]]);
  });

  it('downloads a release proof that verifies offline with the pinned log key, and fails with one byte changed', async () => {
    const dl = await charter(reader, 'artifact', 'proof', digest, '--stage', 'prod', '--out', file('proof.json'));
    assert.equal(dl.code, 0, says(dl));
    const key = await api('GET', '/v1/audit/key', null);
    writeFileSync(file('log.vkey'), key.json.vkey + '\n');
    writeFileSync(file('log.pem'), key.json.public_key);

    const ok = await offline('proof', 'verify', file('proof.json'), '--log-key', file('log.vkey'));
    assert.equal(ok.code, 0, says(ok));
    assert.match(ok.stdout, /^ok: the release proof/);
    assert.match(ok.stdout, /pinned from/);
    assert.match(ok.stdout, new RegExp(`artifact ${digest} \\(gpuaas-api 1\\.4\\.2, gpuaas\\) was promoted to prod at \\S+ by release-bot`));
    assert.match(ok.stdout, /re-evaluating the policy of gpuaas\.container_image/);
    const pem = await offline('proof', 'verify', file('proof.json'), '--log-key', file('log.pem'), '--json');
    assert.equal(pem.code, 0, says(pem));
    assert.deepEqual([JSON.parse(pem.stdout).ok, JSON.parse(pem.stdout).log_key.source], [true, 'pinned']);
    const unpinned = await offline('proof', 'verify', file('proof.json'));
    assert.equal(unpinned.code, 0, says(unpinned));
    assert.match(unpinned.stdout, /log key: taken from the proof itself/);

    // One byte inside a string value: the artifact's name, an envelope, a decision's actor.
    const text = readFileSync(file('proof.json'), 'utf8');
    const envelopeAt = text.indexOf('"envelope": "') + '"envelope": "'.length + 30;
    for (const [what, at] of [['artifact name', text.indexOf('"gpuaas-api"') + 3], ['an envelope', envelopeAt], ['the actor', text.indexOf('"release-bot"') + 4]] as const) {
      assert.ok(at > 30, `found ${what}`);
      const changed = text.slice(0, at) + (text[at] === 'x' ? 'y' : 'x') + text.slice(at + 1);
      assert.notEqual(changed, text);
      JSON.parse(changed); // still a well-formed document
      writeFileSync(file('proof.changed.json'), changed);
      const bad = await offline('proof', 'verify', file('proof.changed.json'), '--log-key', file('log.vkey'));
      assert.equal(bad.code, 1, `a change in ${what} went unnoticed: ${says(bad)}`);
      assert.match(bad.stdout, /^FAILED/);
      assert.match(bad.stdout, /problems:\n {2}- /);
    }
  });

  it('revokes current trust when the release CI signer is disabled; the deploy check denies; the old proof still verifies', async () => {
    const e = await signer('platform.release_ci');
    await govern('release CI key leaked', [{ op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: e.revision, to: 'disabled', reason: 'key leaked in a build log' }]);

    const x = await charter(reader, 'artifact', 'explain', digest);
    assert.equal(x.code, 0, says(x));
    assert.match(x.stdout, /^current_stage: none/);
    for (const stage of ['dev', 'staging', 'prod']) {
      assert.match(x.stdout, new RegExp(`^${stage}\\s+yes\\s+no\\s+promoted .* yes: .*signed by platform\\.release_ci, which is disabled`, 'm'), `${stage} shows revoked with the reason`);
    }
    const raw = JSON.parse((await charter(reader, 'artifact', 'explain', digest, '--json')).stdout);
    const prod = raw.stages.find((s: { stage: string }) => s.stage === 'prod');
    assert.deepEqual([prod.promoted, prod.revoked, prod.last_decision.outcome], [true, true, 'promoted'], 'history stays readable');
    assert.match(prod.revoked_reason, /platform\.release_ci, which is disabled/);

    const check = await charter(reader, 'artifact', 'check', digest, '--stage', 'prod');
    assert.equal(check.code, 1, says(check));
    assert.match(check.stdout, /^denied \(revoked\): promoted to prod, but no longer trusted: .*platform\.release_ci, which is disabled/);
    const checkJson = JSON.parse((await charter(reader, 'artifact', 'check', digest, '--stage', 'prod', '--json')).stdout);
    assert.deepEqual([checkJson.allowed, checkJson.reason], [false, 'revoked']);

    // The proof is about what was decided then, by the registry as it was then: history is history.
    const old = await offline('proof', 'verify', file('proof.json'), '--log-key', file('log.vkey'));
    assert.equal(old.code, 0, says(old));
    assert.match(old.stdout, /promoted to prod/);
  });
});
