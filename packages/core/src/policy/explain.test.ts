import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRequirement } from './describe.js';
import { PolicyError } from './errors.js';
import { checkStageTrust, explain, type DecisionSummary } from './explain.js';
import type { Evidence } from './model.js';
import {
  approval,
  artifactType,
  DAY,
  evidenceType,
  input,
  NOW,
  provenance,
  registry,
  RUNTIME_STAGES,
  scan,
  signer,
} from './policy.testkit.js';

interface Decision extends DecisionSummary {
  actor: string;
}

const decision = (id: string, stage: string, outcome: 'promoted' | 'denied', daysAgo: number): Decision => ({
  id,
  stage,
  outcome,
  decided_at: new Date(NOW - daysAgo * DAY).toISOString(),
  actor: 'release-bot',
});

const evidence: Evidence[] = [provenance({ id: 'prov' }), scan(0, { id: 'scan', age: DAY })];
const decisions: Decision[] = [
  decision('d1', 'dev', 'promoted', 3),
  decision('d2', 'staging', 'denied', 2),
  decision('d3', 'staging', 'promoted', 1),
  decision('d4', 'prod', 'denied', 0.5),
];
const promoted = input({ evidence, promotedStages: ['dev', 'staging'] });

describe('explain', () => {
  it('gives every stage in order: promoted, would pass, last decision, checks; and the current stage', () => {
    const x = explain({ ...promoted, decisions });
    assert.equal(x.artifact_type, 'artifact-type:gpuaas.runtime_bundle');
    assert.equal(x.revision, 3);
    assert.equal(x.evaluated_at, new Date(NOW).toISOString());
    assert.equal(x.current_stage, 'staging');
    assert.deepEqual(
      x.stages.map((s) => [s.stage, s.promoted, s.would_pass, s.revoked, s.last_decision?.id ?? null]),
      [
        ['dev', true, true, false, 'd1'],
        ['staging', true, true, false, 'd3'],
        ['prod', false, false, false, 'd4'],
      ],
    );
    const prod = x.stages[2]!;
    assert.equal(prod.revoked_reason, null);
    assert.equal(prod.revoked_status, null);
    assert.deepEqual(prod.checks.map((c) => [c.status, c.detail]), [
      ['satisfied', 'slsa_provenance_v1 signed by platform.release_ci (prov)'],
      ['missing', 'needs 2 approvals for prod; has none'],
    ]);
    // The caller's decision records pass through whole.
    assert.equal(x.stages[0]!.last_decision?.actor, 'release-bot');
  });

  it('the last decision is the latest by time; on equal times the later record', () => {
    const same = [decision('a', 'dev', 'denied', 1), decision('b', 'dev', 'promoted', 1), decision('c', 'dev', 'denied', 2)];
    assert.equal(explain({ ...promoted, decisions: same }).stages[0]!.last_decision?.id, 'b');
    const unreadable = [decision('a', 'dev', 'promoted', 1), { ...decision('b', 'dev', 'denied', 0), decided_at: 'soon' }];
    assert.equal(explain({ ...promoted, decisions: unreadable }).stages[0]!.last_decision?.id, 'a');
    assert.equal(explain({ ...promoted, decisions: [] }).stages[0]!.last_decision, null);
  });

  it('a disabled signer shows as revoked with the reason, while past decisions stay readable', () => {
    const view = registry(signer('platform.scanner', ['vuln_scan'], { lifecycle: 'disabled' }));
    const x = explain({ ...promoted, view, decisions });
    const staging = x.stages[1]!;
    assert.equal(staging.promoted, true);
    assert.equal(staging.would_pass, false);
    assert.equal(staging.revoked, true);
    assert.equal(staging.revoked_status, 'untrusted');
    assert.equal(
      staging.revoked_reason,
      'needs vuln_scan signed by platform.scanner or platform.backup_scanner; found one signed by platform.scanner, which is disabled',
    );
    assert.equal(staging.last_decision?.id, 'd3');
    assert.equal(staging.last_decision?.outcome, 'promoted');
    assert.equal(x.stages[0]!.revoked, false);
    assert.equal(x.current_stage, 'dev');
  });

  it('a disabled evidence type revokes the stages that need it', () => {
    const x = explain({ ...promoted, view: registry(evidenceType('vuln_scan', { lifecycle: 'disabled' })), decisions });
    assert.deepEqual(x.stages.map((s) => s.revoked), [false, true, false]);
    assert.match(x.stages[1]!.revoked_reason ?? '', /evidence type vuln_scan is disabled/);
  });

  it('a disabled artifact type revokes every promoted stage and leaves no current stage', () => {
    const view = registry(artifactType('gpuaas.runtime_bundle', RUNTIME_STAGES, { lifecycle: 'disabled' }));
    const x = explain({ ...promoted, view, decisions });
    assert.equal(x.current_stage, null);
    assert.deepEqual(x.stages.map((s) => [s.revoked, s.revoked_status]), [[true, 'untrusted'], [true, 'untrusted'], [false, null]]);
    assert.match(x.stages[0]!.revoked_reason ?? '', /^artifact type gpuaas\.runtime_bundle is disabled/);
  });

  it('evidence that aged past max_age also revokes current trust, marked expired', () => {
    const x = explain({ ...promoted, now: NOW + 7 * DAY, decisions });
    const staging = x.stages[1]!;
    assert.equal(staging.revoked, true);
    assert.equal(staging.revoked_status, 'expired');
    assert.equal(staging.revoked_reason, 'newest vuln_scan (scan) is 8d old; policy allows 7d');
    assert.equal(x.current_stage, 'dev');
  });

  it('trust chains: a revoked stage revokes every stage above it, and current_stage stops below it', () => {
    // prod itself needs only provenance and approvals, but it stands on staging, whose scanner is disabled.
    const view = registry(signer('platform.scanner', ['vuln_scan'], { lifecycle: 'disabled' }));
    const all = input({ evidence, view, promotedStages: ['dev', 'staging', 'prod'], approvals: [approval('prod', 'alice'), approval('prod', 'bob')] });
    const x = explain({ ...all, decisions });
    assert.deepEqual(x.stages.map((s) => s.revoked), [false, true, true]);
    assert.match(x.stages[2]!.revoked_reason!, /staging was promoted but is no longer trusted/);
    assert.equal(x.current_stage, 'dev');
  });

  it('refuses an entry that is not an artifact type', () => {
    assert.throws(() => explain({ ...promoted, artifactType: evidenceType('vuln_scan'), decisions }), PolicyError);
  });
});

describe('checkStageTrust (the deploy check)', () => {
  it('allows only a promoted stage that is still trusted', () => {
    const ok = checkStageTrust({ ...promoted, stage: 'staging' });
    assert.equal(ok.allowed, true);
    assert.equal(ok.code, 'trusted');
    assert.equal(ok.reason, 'promoted to staging and still trusted');
    assert.equal(ok.evaluation.passes, true);
  });

  it('denies a stage the artifact was never promoted to, even if it would pass', () => {
    const r = checkStageTrust({ ...input({ evidence }), stage: 'dev' });
    assert.equal(r.allowed, false);
    assert.equal(r.code, 'not_promoted');
    assert.equal(r.reason, 'the artifact has not been promoted to dev');
    assert.equal(r.evaluation.passes, true);
  });

  it('denies a promoted stage whose trust was withdrawn, with the reason', () => {
    const view = registry(signer('platform.release_ci', ['slsa_provenance_v1'], { lifecycle: 'disabled' }));
    const r = checkStageTrust({ ...promoted, view, stage: 'dev' });
    assert.equal(r.allowed, false);
    assert.equal(r.code, 'revoked');
    assert.equal(r.reason, 'promoted to dev, but no longer trusted: needs slsa_provenance_v1 signed by platform.release_ci; found one signed by platform.release_ci, which is disabled');
  });

  it('refuses an unknown stage', () => {
    assert.throws(() => checkStageTrust({ ...promoted, stage: 'qa' }), (e: unknown) => e instanceof PolicyError && e.code === 'UNKNOWN_STAGE');
  });
});

describe('describeRequirement', () => {
  it('says each requirement in a few words', () => {
    const [, staging, prod] = RUNTIME_STAGES;
    assert.equal(describeRequirement(staging!.requirements[0]), 'slsa_provenance_v1 by platform.release_ci');
    assert.equal(
      describeRequirement(staging!.requirements[1]),
      'vuln_scan by platform.scanner or platform.backup_scanner where /predicate/summary/critical ≤ 0, at most 7d old',
    );
    assert.equal(describeRequirement(prod!.requirements[1]), '2 approvals');
    assert.equal(describeRequirement({ approvals: 1 }), '1 approval');
    assert.equal(
      describeRequirement({
        evidence: 'evidence-type:slsa_provenance_v1@2',
        signers: ['signer:a', 'signer:b', 'signer:c'],
        where: { '/predicate/level': { in: ['L2', 'L3'] }, '/predicate/n': { min: 1, max: 5 }, '/predicate/x': { exists: false }, '/predicate/b': { eq: 'gcb' } },
      }),
      'slsa_provenance_v1 by a, b or c where /predicate/level in ["L2", "L3"] and /predicate/n ≥ 1 and /predicate/n ≤ 5 and /predicate/x absent and /predicate/b = "gcb"',
    );
  });

  it('describes the implicit checks and anything it cannot read', () => {
    assert.equal(describeRequirement({ previous_stage: 'dev' }), 'promotion to dev first');
    assert.equal(describeRequirement({ artifact_type: 'artifact-type:gpuaas.runtime_bundle' }), 'artifact type gpuaas.runtime_bundle usable');
    assert.equal(describeRequirement({ quorum: 3 }), 'a requirement this version of Charter does not understand');
    assert.equal(describeRequirement(null), 'a requirement this version of Charter does not understand');
  });

  it('describes a check\'s requirement (with its index) the same as the written one', () => {
    const r = explain({ ...promoted, decisions: [] });
    const req = r.stages[1]!.checks[1]!.requirement;
    assert.equal(describeRequirement(req), describeRequirement(RUNTIME_STAGES[1]!.requirements[1]));
  });
});
