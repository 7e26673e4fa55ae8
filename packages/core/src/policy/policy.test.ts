import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Statement } from '../evidence/intoto.js';
import { PolicyError } from './errors.js';
import type { Check, Evidence } from './model.js';
import { evaluateStage } from './policy.js';
import {
  approval,
  artifactType,
  BUNDLE,
  DAY,
  entry,
  ev,
  evidenceType,
  HOUR,
  input,
  NOW,
  provenance,
  registry,
  scan,
  signedBy,
  signer,
  unknownKey,
} from './policy.testkit.js';

/** The check for requirement `index` of the evaluated stage. */
function checkAt(checks: readonly Check[], index: number): Check {
  const c = checks.find((x) => 'index' in x.requirement && x.requirement.index === index);
  assert.ok(c, `no check for requirement ${index}`);
  return c;
}

const staging = (evidence: Evidence[], over: Parameters<typeof input>[0] = {}) =>
  evaluateStage(input({ stage: 'staging', promotedStages: ['dev'], evidence, ...over }));

/** The vuln_scan check of staging (requirement 1). */
const scanCheck = (evidence: Evidence[], over: Parameters<typeof input>[0] = {}) => checkAt(staging(evidence, over).checks, 1);

describe('evaluateStage: stages and the shape of an answer', () => {
  it('refuses a stage the artifact type does not have, naming the ones it has', () => {
    assert.throws(
      () => evaluateStage(input({ stage: 'qa' })),
      (e: unknown) => {
        assert.ok(e instanceof PolicyError);
        assert.equal(e.code, 'UNKNOWN_STAGE');
        assert.deepEqual(e.stages, ['dev', 'staging', 'prod']);
        assert.match(e.message, /no stage 'qa'; its stages are dev, staging, prod/);
        return true;
      },
    );
  });

  it('refuses an entry that is not an artifact type', () => {
    assert.throws(
      () => evaluateStage(input({ artifactType: evidenceType('vuln_scan') })),
      (e: unknown) => e instanceof PolicyError && e.code === 'INVALID_POLICY',
    );
  });

  it('passes dev with provenance signed by release CI, naming the evidence, the signer and the policy revision', () => {
    const p = provenance({ id: 'ev_12ab' });
    const r = evaluateStage(input({ evidence: [p] }));
    assert.equal(r.passes, true);
    assert.equal(r.stage, 'dev');
    assert.equal(r.previous_stage, null);
    assert.deepEqual(r.policy, { artifact_type: 'artifact-type:gpuaas.runtime_bundle', revision: 3 });
    assert.deepEqual(r.checks, [
      {
        requirement: { evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'], index: 0 },
        status: 'satisfied',
        evidence: ['ev_12ab'],
        detail: 'slsa_provenance_v1 signed by platform.release_ci (ev_12ab)',
      },
    ]);
  });

  it('echoes each requirement as written plus its index, as a copy the caller may keep', () => {
    const r = staging([provenance(), scan(0)]);
    const req = checkAt(r.checks, 1).requirement as Record<string, unknown>;
    assert.deepEqual(req, { ...RUNTIME_STAGE_1, index: 1 });
    (req['where'] as Record<string, unknown>)['/x'] = { eq: 1 };
    assert.deepEqual(Object.keys(RUNTIME_STAGE_1.where), ['/predicate/summary/critical']);
  });

  it('a satisfied check with where and max_age names the facts it relied on', () => {
    const c = scanCheck([provenance(), scan(0, { id: 'ev_9', age: 2 * DAY + 3 * HOUR })]);
    assert.equal(c.status, 'satisfied');
    assert.deepEqual(c.evidence, ['ev_9']);
    assert.equal(c.detail, 'vuln_scan signed by platform.scanner (ev_9), critical = 0, 2d 3h old');
  });

  it('uses the newest qualifying evidence when several satisfy', () => {
    const c = scanCheck([scan(0, { id: 'old', age: 3 * DAY }), scan(0, { id: 'new', age: DAY }), scan(0, { id: 'mid', age: 2 * DAY })]);
    assert.deepEqual(c.evidence, ['new']);
  });
});

const RUNTIME_STAGE_1 = {
  evidence: 'evidence-type:vuln_scan',
  signers: ['signer:platform.scanner', 'signer:platform.backup_scanner'],
  where: { '/predicate/summary/critical': { max: 0 } },
  max_age: '7d',
};

describe('evaluateStage: each status, in order of precedence', () => {
  it('missing: nothing of that type attached (evidence of other types does not count)', () => {
    const c = scanCheck([provenance(), ev('sbom', 'platform.release_ci')]);
    assert.equal(c.status, 'missing');
    assert.deepEqual(c.evidence, []);
    assert.equal(c.detail, 'needs vuln_scan signed by platform.scanner or platform.backup_scanner; none attached');
  });

  it('untrusted: signed by an unknown key, shown by the first 4 bytes of its fingerprint', () => {
    const s = ev('vuln_scan', null, { id: 'ev_u', predicate: { summary: { critical: 0 } } });
    const c = scanCheck([s]);
    assert.equal(c.status, 'untrusted');
    assert.deepEqual(c.evidence, ['ev_u']);
    assert.equal(c.detail, 'needs vuln_scan signed by platform.scanner or platform.backup_scanner; found one signed by an unknown key 3f2a9c01…');
  });

  it('untrusted: an unknown key without fingerprint is named by its keyid hint', () => {
    const s = ev('vuln_scan', null, { signers: [unknownKey(null, 'ci-key-2')] });
    assert.match(scanCheck([s]).detail, /found one signed by an unknown key \(keyid "ci-key-2"\)$/);
    const bare = ev('vuln_scan', null, { signers: [unknownKey(null, null)] });
    assert.match(scanCheck([bare]).detail, /found one signed by an unknown key$/);
    const none = ev('vuln_scan', null, { signers: [] });
    assert.match(scanCheck([none]).detail, /found one with no signature$/);
  });

  it('untrusted: a signature that names a key but does not verify never counts', () => {
    const s = ev('vuln_scan', null, { signers: [{ signer: null, keyid: 'k', fingerprint: null, verified: false, reason: 'bad_signature' }] });
    const c = scanCheck([s]);
    assert.equal(c.status, 'untrusted');
    assert.match(c.detail, /found one with a signature that does not verify$/);
    // verified: false wins over a signer name: the signer field alone is never trust.
    const named = ev('vuln_scan', null, { signers: [{ ...signedBy('platform.scanner'), verified: false, reason: 'bad_signature' }] });
    assert.equal(scanCheck([named]).status, 'untrusted');
  });

  it('untrusted: verified by a registry signer the requirement does not list', () => {
    const s = ev('vuln_scan', 'platform.release_ci', { predicate: { summary: { critical: 0 } } });
    const c = scanCheck([s]);
    assert.equal(c.status, 'untrusted');
    assert.match(c.detail, /found one signed by platform\.release_ci, which may not sign vuln_scan$/);
  });

  it('untrusted: a listed signer that is disabled, proposed, sunset or outside its validity window', () => {
    const cases: [ReturnType<typeof signer>, RegExp][] = [
      [signer('platform.scanner', ['vuln_scan'], { lifecycle: 'disabled' }), /signed by platform\.scanner, which is disabled$/],
      [signer('platform.scanner', ['vuln_scan'], { lifecycle: 'retired' }), /which is retired$/],
      [signer('platform.scanner', ['vuln_scan'], { lifecycle: 'proposed' }), /which is proposed, not active$/],
      [
        signer('platform.scanner', ['vuln_scan'], { lifecycle: 'deprecated', sunset_at: '2026-05-01T00:00:00Z' }),
        /which is deprecated and its sunset \(2026-05-01T00:00:00Z\) has passed$/,
      ],
      [signer('platform.scanner', ['vuln_scan'], {}, { not_after: '2026-05-31T00:00:00Z' }), /which is outside its validity window$/],
      [signer('platform.scanner', ['vuln_scan'], {}, { not_before: '2026-07-01T00:00:00Z' }), /which is outside its validity window$/],
    ];
    for (const [s, detail] of cases) {
      const c = scanCheck([scan(0)], { view: registry(s) });
      assert.equal(c.status, 'untrusted', s.lifecycle);
      assert.match(c.detail, detail);
    }
  });

  it('untrusted: a listed signer no longer registered to sign that evidence type', () => {
    const c = scanCheck([scan(0)], { view: registry(signer('platform.scanner', ['sbom'])) });
    assert.equal(c.status, 'untrusted');
    assert.match(c.detail, /signed by platform\.scanner, which is not registered to sign vuln_scan$/);
  });

  it('a deprecated signer still counts before its sunset', () => {
    const s = signer('platform.scanner', ['vuln_scan'], { lifecycle: 'deprecated', replaced_by: 'signer:platform.backup_scanner', sunset_at: '2026-12-01T00:00:00Z' });
    assert.equal(scanCheck([scan(0)], { view: registry(s) }).status, 'satisfied');
  });

  it('untrusted: evidence whose predicate type is not the evidence type\'s', () => {
    const s = scan(0);
    const forged: Evidence = { ...s, predicate_type: 'https://example.com/other', statement: { ...s.statement, predicateType: 'https://example.com/other' } };
    const c = scanCheck([forged]);
    assert.equal(c.status, 'untrusted');
    assert.match(c.detail, /whose predicate type https:\/\/example\.com\/other is not vuln_scan's/);
    const inconsistent: Evidence = { ...s, statement: { ...s.statement, predicateType: 'https://example.com/other' } };
    assert.equal(scanCheck([inconsistent]).status, 'untrusted');
  });

  it('untrusted with several candidates: lists distinct reasons, the one closest to trusted first', () => {
    const view = registry(signer('platform.backup_scanner', ['vuln_scan'], { lifecycle: 'disabled' }));
    const c = scanCheck(
      [ev('vuln_scan', null, { id: 'a' }), ev('vuln_scan', 'platform.backup_scanner', { id: 'b' }), ev('vuln_scan', null, { id: 'c' })],
      { view },
    );
    assert.equal(c.status, 'untrusted');
    assert.deepEqual([...c.evidence].sort(), ['a', 'b', 'c']);
    assert.equal(
      c.detail,
      'needs vuln_scan signed by platform.scanner or platform.backup_scanner; found 3, none trusted: signed by platform.backup_scanner, which is disabled; signed by an unknown key 3f2a9c01…',
    );
  });

  it('failed: trusted evidence that breaks a where condition says what the value is and what is allowed', () => {
    const c = scanCheck([provenance(), scan(2, { id: 'ev_9' })]);
    assert.equal(c.status, 'failed');
    assert.deepEqual(c.evidence, ['ev_9']);
    assert.equal(c.detail, 'critical = 2, policy allows at most 0 (vuln_scan ev_9, signed by platform.scanner)');
  });

  it('failed outranks untrusted: an untrusted passing scan does not hide a trusted failing one', () => {
    const c = scanCheck([ev('vuln_scan', null, { predicate: { summary: { critical: 0 } } }), scan(5, { id: 'trusted' })]);
    assert.equal(c.status, 'failed');
    assert.deepEqual(c.evidence, ['trusted']);
  });

  it('expired: would pass but is too old', () => {
    const c = scanCheck([scan(0, { id: 'ev_old', age: 9 * DAY })]);
    assert.equal(c.status, 'expired');
    assert.deepEqual(c.evidence, ['ev_old']);
    assert.equal(c.detail, 'newest vuln_scan (ev_old) is 9d old; policy allows 7d');
  });

  it('expired outranks failed: an old passing scan is closer than a fresh failing one, and says so', () => {
    const c = scanCheck([scan(0, { id: 'old', age: 8 * DAY }), scan(3, { id: 'fresh_bad', age: HOUR })]);
    assert.equal(c.status, 'expired');
    assert.deepEqual(c.evidence, ['old']);
    assert.equal(c.detail, 'newest vuln_scan that meets the policy (old) is 8d old; policy allows 7d');
  });

  it('satisfied outranks everything: one fresh, trusted, passing item is enough', () => {
    const c = scanCheck([
      ev('vuln_scan', null),
      scan(9),
      scan(0, { age: 30 * DAY }),
      ev('vuln_scan', 'platform.release_ci', { predicate: { summary: { critical: 0 } } }),
      scan(0, { id: 'good', age: DAY }),
    ]);
    assert.equal(c.status, 'satisfied');
    assert.deepEqual(c.evidence, ['good']);
  });

  it('max_age boundary: exactly max_age old still counts, one millisecond more does not', () => {
    assert.equal(scanCheck([scan(0, { age: 7 * DAY })]).status, 'satisfied');
    assert.equal(scanCheck([scan(0, { age: 7 * DAY + 1 })]).status, 'expired');
    assert.equal(scanCheck([scan(0, { age: -HOUR })]).status, 'satisfied', 'attached "in the future" by clock skew is fresh, not an error');
  });

  it('evidence with an unreadable attach time never satisfies a max_age', () => {
    const c = scanCheck([scan(0, { attached_at: 'yesterday' })]);
    assert.equal(c.status, 'expired');
    assert.match(c.detail, /has no readable attach time; policy allows 7d$/);
    // Without max_age the time does not matter.
    assert.equal(evaluateStage(input({ evidence: [provenance({ attached_at: 'yesterday' })] })).passes, true);
  });
});

describe('evaluateStage: AND across requirements, OR across signers', () => {
  it('a stage passes only when every requirement is satisfied', () => {
    const both = staging([provenance(), scan(0)]);
    assert.equal(both.passes, true);
    assert.deepEqual(both.checks.map((c) => c.status), ['satisfied', 'satisfied']);
    const onlyScan = staging([scan(0)]);
    assert.equal(onlyScan.passes, false);
    // Without provenance dev no longer holds either, so staging loses the stage it stands on too.
    assert.deepEqual(onlyScan.checks.map((c) => c.status), ['untrusted', 'missing', 'satisfied']);
    const onlyProvenance = staging([provenance()]);
    assert.equal(onlyProvenance.passes, false);
    assert.deepEqual(onlyProvenance.checks.map((c) => c.status), ['satisfied', 'missing']);
  });

  it('any one listed signer satisfies a requirement', () => {
    const byBackup = ev('vuln_scan', 'platform.backup_scanner', { id: 'b', predicate: { summary: { critical: 0 } } });
    const c = scanCheck([byBackup]);
    assert.equal(c.status, 'satisfied');
    assert.match(c.detail, /^vuln_scan signed by platform\.backup_scanner \(b\)/);
  });

  it('one trusted signature among untrusted ones is enough', () => {
    const s = scan(0, { signers: [unknownKey(), signedBy('platform.release_ci'), signedBy('platform.scanner')] });
    assert.equal(scanCheck([s]).status, 'satisfied');
  });

  it('a stage with no requirements passes once the previous stage is promoted', () => {
    const type = artifactType('gpuaas.simple', [{ name: 'dev', requirements: [] }, { name: 'prod', requirements: [] }]);
    const view = registry(type);
    assert.equal(evaluateStage(input({ artifactType: type, view })).passes, true);
    assert.equal(evaluateStage(input({ artifactType: type, view, stage: 'prod' })).passes, false);
    assert.equal(evaluateStage(input({ artifactType: type, view, stage: 'prod', promotedStages: ['dev'] })).passes, true);
  });
});

describe('evaluateStage: the previous stage', () => {
  it('promotion needs the previous stage first, as an extra first check', () => {
    const r = evaluateStage(input({ stage: 'staging', evidence: [provenance(), scan(0)] }));
    assert.equal(r.passes, false);
    assert.equal(r.previous_stage, 'dev');
    assert.deepEqual(r.checks[0], { requirement: { previous_stage: 'dev' }, status: 'missing', evidence: [], detail: 'needs promotion to dev first' });
    assert.equal(r.checks.length, 3);
  });

  it('the gate is the immediately previous stage, which must itself still hold', () => {
    const r = evaluateStage(input({ stage: 'prod', promotedStages: ['dev'], evidence: [provenance()], approvals: [approval('prod', 'a'), approval('prod', 'b')] }));
    assert.equal(r.previous_stage, 'staging');
    assert.deepEqual(r.checks[0]?.requirement, { previous_stage: 'staging' });
    const broken = evaluateStage(input({ stage: 'prod', promotedStages: ['staging'], evidence: [provenance(), scan(0)], approvals: [approval('prod', 'a'), approval('prod', 'b')] }));
    assert.equal(broken.passes, false, 'staging stands on dev, which was never promoted');
    assert.equal(broken.checks[0]?.status, 'untrusted');
    const ok = evaluateStage(input({ stage: 'prod', promotedStages: ['dev', 'staging'], evidence: [provenance(), scan(0)], approvals: [approval('prod', 'a'), approval('prod', 'b')] }));
    assert.equal(ok.passes, true);
  });
});

describe('evaluateStage: approvals', () => {
  const prod = (approvals: ReturnType<typeof approval>[]) =>
    checkAt(evaluateStage(input({ stage: 'prod', promotedStages: ['dev', 'staging'], evidence: [provenance()], approvals })).checks, 1);

  it('needs N distinct principals other than the registrant, for this stage', () => {
    const c = prod([approval('prod', 'alice', 'ap_1')]);
    assert.equal(c.status, 'missing');
    assert.deepEqual(c.evidence, ['ap_1']);
    assert.equal(c.detail, 'needs 2 approvals for prod; has 1 (alice)');
    const ok = prod([approval('prod', 'alice', 'ap_1'), approval('prod', 'carol', 'ap_2')]);
    assert.equal(ok.status, 'satisfied');
    assert.deepEqual(ok.evidence, ['ap_1', 'ap_2']);
    assert.equal(ok.detail, '2 approvals for prod (alice, carol)');
  });

  it('never counts the principal that registered the artifact, and says why', () => {
    const c = prod([approval('prod', 'alice'), approval('prod', 'ci-bot')]);
    assert.equal(c.status, 'missing');
    assert.equal(c.detail, 'needs 2 approvals for prod; has 1 (alice); ci-bot registered the artifact, so their own approval does not count');
  });

  it('counts the same principal once however often they approve', () => {
    const c = prod([approval('prod', 'alice', 'ap_1'), approval('prod', 'alice', 'ap_2'), approval('prod', 'alice', 'ap_3')]);
    assert.equal(c.status, 'missing');
    assert.deepEqual(c.evidence, ['ap_1']);
  });

  it('does not count approvals given for other stages', () => {
    const c = prod([approval('staging', 'alice'), approval('dev', 'bob'), approval('prod', 'carol')]);
    assert.equal(c.status, 'missing');
    assert.equal(c.detail, 'needs 2 approvals for prod; has 1 (carol)');
    assert.equal(prod([]).detail, 'needs 2 approvals for prod; has none');
  });

  it('says "1 approval" in the singular', () => {
    const type = artifactType('gpuaas.one', [{ name: 'dev', requirements: [{ approvals: 1 }] }]);
    const r = evaluateStage(input({ artifactType: type, view: registry(type) }));
    assert.equal(r.checks[0]?.detail, 'needs 1 approval for dev; has none');
  });
});

describe('evaluateStage: where conditions on the in-toto Statement', () => {
  const typeWith = (where: Record<string, unknown>) => {
    const t = artifactType('gpuaas.w', [
      { name: 'dev', requirements: [{ evidence: 'evidence-type:vuln_scan', signers: ['signer:platform.scanner'], where }] },
    ]);
    return t;
  };
  const judge = (where: Record<string, unknown>, predicate: unknown): Check => {
    const t = typeWith(where);
    const c = evaluateStage(input({ artifactType: t, view: registry(t), evidence: [ev('vuln_scan', 'platform.scanner', { id: 'e', predicate })] })).checks[0];
    assert.ok(c);
    return c;
  };
  const status = (where: Record<string, unknown>, predicate: unknown) => judge(where, predicate).status;

  it('eq is deep equality (key order free, array order matters)', () => {
    assert.equal(status({ '/predicate/builder': { eq: { id: 'gcb', v: [1, 2] } } }, { builder: { v: [1, 2], id: 'gcb' } }), 'satisfied');
    assert.equal(status({ '/predicate/builder': { eq: { id: 'gcb', v: [1, 2] } } }, { builder: { v: [2, 1], id: 'gcb' } }), 'failed');
    assert.equal(status({ '/predicate/builder': { eq: { id: 'gcb' } } }, { builder: { id: 'gcb', extra: 1 } }), 'failed');
    assert.equal(status({ '/predicate/n': { eq: 1 } }, { n: '1' }), 'failed');
    assert.equal(status({ '/predicate/n': { eq: null } }, { n: null }), 'satisfied');
    assert.equal(judge({ '/predicate/level': { eq: 'L3' } }, { level: 'L1' }).detail, 'level = "L1", policy requires "L3" (vuln_scan e, signed by platform.scanner)');
  });

  it('in is membership by deep equality', () => {
    assert.equal(status({ '/predicate/level': { in: ['L2', 'L3'] } }, { level: 'L3' }), 'satisfied');
    assert.equal(status({ '/predicate/level': { in: [['a'], { b: 1 }] } }, { level: { b: 1 } }), 'satisfied');
    const c = judge({ '/predicate/level': { in: ['L2', 'L3'] } }, { level: 'L1' });
    assert.equal(c.status, 'failed');
    assert.match(c.detail, /^level = "L1", policy requires one of "L2", "L3"/);
  });

  it('min and max compare numbers, inclusively', () => {
    assert.equal(status({ '/predicate/coverage': { min: 80 } }, { coverage: 80 }), 'satisfied');
    assert.equal(status({ '/predicate/coverage': { min: 80 } }, { coverage: 79.5 }), 'failed');
    assert.equal(status({ '/predicate/c': { max: 0 } }, { c: 0 }), 'satisfied');
    assert.equal(status({ '/predicate/c': { max: 0 } }, { c: -1 }), 'satisfied');
    assert.equal(status({ '/predicate/c': { min: 1, max: 5 } }, { c: 3 }), 'satisfied');
    const both = judge({ '/predicate/c': { min: 1, max: 5 } }, { c: 9 });
    assert.equal(both.status, 'failed');
    assert.match(both.detail, /^c = 9, policy allows at most 5/);
    assert.match(judge({ '/predicate/coverage': { min: 80 } }, { coverage: 50 }).detail, /^coverage = 50, policy requires at least 80/);
  });

  it('min and max on anything but a number fail (not crash, not coerce)', () => {
    for (const v of ['0', true, null, [0], { n: 0 }]) {
      const c = judge({ '/predicate/c': { max: 10 } }, { c: v });
      assert.equal(c.status, 'failed', JSON.stringify(v));
      assert.match(c.detail, /which is not a number; policy allows at most 10/);
    }
    assert.match(judge({ '/predicate/c': { max: 0 } }, { c: '2' }).detail, /^c = "2", which is not a number; policy allows at most 0/);
  });

  it('a missing pointer fails every operator except exists: false', () => {
    for (const cond of [{ eq: 0 }, { in: [0] }, { min: 0 }, { max: 0 }, { exists: true }]) {
      assert.equal(status({ '/predicate/summary/critical': cond }, { summary: {} }), 'failed', JSON.stringify(cond));
    }
    assert.equal(status({ '/predicate/summary/critical': { exists: false } }, { summary: {} }), 'satisfied');
    assert.match(judge({ '/predicate/summary/critical': { max: 0 } }, {}).detail, /^critical is absent, policy allows at most 0/);
  });

  it('exists: true/false on presence (null counts as present)', () => {
    assert.equal(status({ '/predicate/sig': { exists: true } }, { sig: null }), 'satisfied');
    assert.equal(status({ '/predicate/sig': { exists: true } }, {}), 'failed');
    assert.equal(status({ '/predicate/debug': { exists: false } }, { debug: false }), 'failed');
    assert.match(judge({ '/predicate/debug': { exists: false } }, { debug: true }).detail, /^debug = true, policy requires it to be absent/);
    assert.match(judge({ '/predicate/sig': { exists: true } }, {}).detail, /^sig is absent, policy requires it to be present/);
  });

  it('all conditions must hold', () => {
    const where = { '/predicate/a': { eq: 1 }, '/predicate/b': { max: 0 } };
    assert.equal(status(where, { a: 1, b: 0 }), 'satisfied');
    const c = judge(where, { a: 2, b: 3 });
    assert.equal(c.status, 'failed');
    assert.match(c.detail, /^a = 2, policy requires 1; b = 3, policy allows at most 0 /);
  });

  it('pointers follow RFC 6901: ~1 is "/", ~0 is "~", array indexes, the whole statement', () => {
    assert.equal(status({ '/predicate/a~1b': { eq: 1 } }, { 'a/b': 1 }), 'satisfied');
    assert.equal(status({ '/predicate/m~0n': { eq: 1 } }, { 'm~n': 1 }), 'satisfied');
    assert.equal(status({ '/predicate/~01': { eq: 1 } }, { '~1': 1, '/': 2 }), 'satisfied');
    assert.equal(status({ '/predicate/a~1b': { eq: 1 } }, { a: { b: 1 } }), 'failed');
    assert.equal(status({ '/predicate/list/1/name': { eq: 'y' } }, { list: [{ name: 'x' }, { name: 'y' }] }), 'satisfied');
    assert.equal(status({ '/predicate/list/01': { exists: true } }, { list: [0, 1] }), 'failed');
    assert.equal(status({ '/predicate/list/-': { exists: true } }, { list: [0, 1] }), 'failed');
    assert.equal(status({ '/subject/0/digest/sha256': { eq: 'ab'.repeat(32) } }, {}), 'satisfied');
    assert.equal(status({ '/predicateType': { eq: 'https://charter.example/vuln_scan/v1' } }, {}), 'satisfied');
  });

  it('inherited properties are never reached (the statement is attacker-written)', () => {
    assert.equal(status({ '/predicate/__proto__': { exists: true } }, {}), 'failed');
    assert.equal(status({ '/predicate/constructor': { exists: true } }, {}), 'failed');
    assert.equal(status({ '/predicate/c/length': { exists: true } }, { c: 'abc' }), 'failed');
    assert.equal(status({ '/predicate/list/length': { eq: 2 } }, { list: [1, 2] }), 'failed');
  });

  it('a condition this code cannot read fails closed instead of throwing', () => {
    for (const cond of [{}, { gt: 1 }, { max: '5' }, { in: [] }, { in: 'abc' }, { exists: 'yes' }, null, 7]) {
      const c = judge({ '/predicate/c': cond }, { c: 1 });
      assert.equal(c.status, 'failed', JSON.stringify(cond));
      assert.match(c.detail, /not understood, so it cannot hold/);
    }
    assert.equal(status({ 'predicate/c': { exists: true } }, { c: 1 }), 'failed');
    assert.equal(status({ '/predicate/~2': { exists: true } }, { '~2': 1 }), 'failed');
  });
});

describe('evaluateStage: revocation (trust withdrawn after the fact)', () => {
  const passingStaging = [provenance(), scan(0)];

  it('evidence untrusted when attached never counts, even once its signer is trusted again', () => {
    const signedWhileDisabled = scan(0, { signers: [{ ...signedBy('platform.scanner'), reason: 'signer_disabled' }] });
    const c = scanCheck([signedWhileDisabled]);
    assert.equal(c.status, 'untrusted');
    assert.match(c.detail, /was not trusted when it was attached \(signer disabled\); attach it again/);
  });

  it('disabling a listed signer flips a passing stage to failing', () => {
    assert.equal(staging(passingStaging).passes, true);
    const r = staging(passingStaging, { view: registry(signer('platform.scanner', ['vuln_scan'], { lifecycle: 'disabled' })) });
    assert.equal(r.passes, false);
    assert.equal(checkAt(r.checks, 1).status, 'untrusted');
    assert.match(checkAt(r.checks, 1).detail, /which is disabled$/);
  });

  it('disabling the evidence type flips it too, even with good evidence', () => {
    const r = staging(passingStaging, { view: registry(evidenceType('vuln_scan', { lifecycle: 'disabled' })) });
    assert.equal(r.passes, false);
    const c = checkAt(r.checks, 1);
    assert.equal(c.status, 'untrusted');
    assert.equal(c.detail, 'needs vuln_scan signed by platform.scanner or platform.backup_scanner, but evidence type vuln_scan is disabled, so no vuln_scan counts');
    assert.equal(checkAt(r.checks, 0).status, 'satisfied');
  });

  it('an unusable evidence type is reported as untrusted even with nothing attached: attaching cannot fix it', () => {
    const c = scanCheck([], { view: registry(evidenceType('vuln_scan', { lifecycle: 'retired' })) });
    assert.equal(c.status, 'untrusted');
  });

  it('disabling the artifact type fails every stage with an artifact_type check first', () => {
    const view = registry(artifactType('gpuaas.runtime_bundle', [], { lifecycle: 'disabled' }));
    for (const stage of ['dev', 'staging', 'prod']) {
      const r = evaluateStage(input({ stage, view, promotedStages: ['dev', 'staging'], evidence: passingStaging, approvals: [approval('prod', 'a'), approval('prod', 'b')] }));
      assert.equal(r.passes, false, stage);
      assert.deepEqual(r.checks[0], {
        requirement: { artifact_type: 'artifact-type:gpuaas.runtime_bundle' },
        status: 'untrusted',
        evidence: [],
        detail: 'artifact type gpuaas.runtime_bundle is disabled',
      });
      const own = r.checks.slice(1).filter((c) => !('previous_stage' in c.requirement));
      assert.ok(own.every((c) => c.status === 'satisfied'), 'the other checks are still explained');
    }
  });

  it('an artifact type missing from the registry view is not trusted', () => {
    const other = artifactType('gpuaas.ghost', RUNTIME_STAGES_COPY());
    const r = evaluateStage(input({ artifactType: other, evidence: [provenance()] }));
    assert.equal(r.passes, false);
    assert.equal(r.checks[0]?.detail, 'artifact type gpuaas.ghost is not in the registry');
  });
});

const RUNTIME_STAGES_COPY = () => structuredClone((BUNDLE.spec['stages'] as unknown[]));

describe('evaluateStage: references', () => {
  it('pinned refs (signer:x@2, evidence-type:x@1) compare by ID', () => {
    const type = artifactType('gpuaas.pinned', [
      { name: 'dev', requirements: [{ evidence: 'evidence-type:vuln_scan@1', signers: ['signer:platform.scanner@2'] }] },
    ]);
    const e: Evidence = { ...ev('vuln_scan', 'platform.scanner'), evidence_type: 'evidence-type:vuln_scan@4', signers: [{ ...signedBy('platform.scanner'), signer: 'signer:platform.scanner@7' }] };
    const r = evaluateStage(input({ artifactType: type, view: registry(type), evidence: [e] }));
    assert.equal(r.passes, true, JSON.stringify(r.checks));
  });

  it('refs of the wrong family or malformed never match', () => {
    const e1: Evidence = { ...scan(0), evidence_type: 'signer:vuln_scan' };
    const e2: Evidence = { ...scan(0), evidence_type: 'vuln_scan' };
    assert.equal(scanCheck([e1, e2]).status, 'missing');
    const e3 = scan(0, { signers: [{ ...signedBy('platform.scanner'), signer: 'evidence-type:platform.scanner' }] });
    assert.equal(scanCheck([e3]).status, 'untrusted');
  });

  it('a requirement this version cannot read fails closed, as does an unreadable max_age', () => {
    const type = artifactType('gpuaas.odd', [
      { name: 'dev', requirements: [{ quorum: 3 }, { evidence: 'evidence-type:vuln_scan', signers: ['signer:platform.scanner'], max_age: '7 days' }, { evidence: 'vuln_scan', signers: [] }] },
    ]);
    const r = evaluateStage(input({ artifactType: type, view: registry(type), evidence: [scan(0)] }));
    assert.equal(r.passes, false);
    assert.deepEqual(r.checks.map((c) => c.status), ['failed', 'failed', 'failed']);
    assert.equal(r.checks[0]?.detail, 'requirement 1 of dev is not understood by this version of Charter, so it cannot be satisfied');
    assert.match(r.checks[1]?.detail ?? '', /max_age '7 days' is not a duration/);
    assert.match(r.checks[2]?.detail ?? '', /'vuln_scan' is not an evidence-type reference/);
  });
});

describe('evaluateStage: types', () => {
  it('accepts the evidence module\'s parsed Statement as the statement', () => {
    const statement: Statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://charter.example/vuln_scan/v1', predicate: { summary: { critical: 0 } } };
    const e: Evidence = { ...scan(0), statement };
    assert.equal(scanCheck([e]).status, 'satisfied');
  });

  it('never reads the wall clock: the same input gives the same answer at any real time', () => {
    const evidence = [provenance(), scan(0, { age: 6 * DAY })];
    const a = staging(evidence);
    const b = staging(evidence, { now: NOW });
    assert.deepEqual(a, b);
    assert.equal(staging(evidence, { now: NOW + 2 * DAY }).passes, false);
  });

  it('uses the entry it is given for the stages and the view only for lifecycle', () => {
    // An older revision of the policy (no vuln_scan requirement) judged against the current registry.
    const v1 = artifactType('gpuaas.runtime_bundle', [{ name: 'dev', requirements: [] }, { name: 'staging', requirements: [] }], { revision: 1 });
    const r = evaluateStage(input({ artifactType: v1, stage: 'staging', promotedStages: ['dev'] }));
    assert.equal(r.passes, true);
    assert.deepEqual(r.policy, { artifact_type: 'artifact-type:gpuaas.runtime_bundle', revision: 1 });
  });

  it('entry() builds entries the catalog accepts', () => {
    assert.equal(registry(entry('scope', 'gpuaas.x', { spec: { kind: 'api', privileged: false } })).get('scope', 'gpuaas.x')?.id, 'gpuaas.x');
  });
});
