// Property tests of the promotion policy's safety rules (DESIGN §6): ignoring evidence or
// withdrawing trust must never turn deny into allow, and more evidence never hurts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Entry } from '../entry.js';
import { evaluateWhere, whereHolds } from './conditions.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Approval, Check, Evidence, EvidenceSignature, StageEvaluation } from './model.js';
import { evaluateStage } from './policy.js';
import { artifactType, ev, evidenceType, HOUR, input, NOW, registry, signer } from './policy.testkit.js';

const TYPES = ['slsa_provenance_v1', 'vuln_scan', 'sbom'] as const;
const SIGNERS = ['platform.release_ci', 'platform.scanner', 'platform.backup_scanner'] as const;
const PRINCIPALS = ['alice', 'bob', 'carol', 'ci-bot'] as const;
const STAGES = ['dev', 'staging', 'prod'] as const;
const LIFECYCLES: Lifecycle[] = ['active', 'deprecated', 'disabled', 'proposed', 'retired'];
const WHERES = [
  undefined,
  { '/predicate/summary/critical': { max: 0 } },
  { '/predicate/summary/critical': { min: 1 } },
  { '/predicate/summary/critical': { in: [0, 1] } },
  { '/predicate/summary/critical': { exists: true } },
  { '/predicate/summary/critical': { exists: false } },
  { '/predicate/summary/critical': { eq: 2 } },
] as const;
const MAX_AGES = [undefined, '1h', '3d', '7d'] as const;

const arbSignature: fc.Arbitrary<EvidenceSignature> = fc.record({
  signer: fc.option(fc.constantFrom(...SIGNERS), { nil: null }),
  verified: fc.boolean(),
  fingerprint: fc.constantFrom('3f2a9c01' + '00'.repeat(28), null),
}).map(({ signer: s, verified, fingerprint }) => ({
  signer: s === null ? null : `signer:${s}`,
  keyid: null,
  fingerprint,
  verified: s !== null && verified,
  reason: s !== null && verified ? 'verified' : 'no_matching_key',
}));

const arbEvidenceSpec = fc.record({
  type: fc.constantFrom(...TYPES),
  signers: fc.array(arbSignature, { minLength: 0, maxLength: 3 }),
  critical: fc.constantFrom<unknown>(0, 1, 2, '0', null, undefined),
  // 1, 72 and 168 hours sit exactly on the max_age boundaries used below.
  ageHours: fc.oneof(fc.constantFrom(1, 72, 168, 169), fc.integer({ min: -2, max: 300 })),
});
type EvidenceSpec = typeof arbEvidenceSpec extends fc.Arbitrary<infer T> ? T : never;

function toEvidence(spec: EvidenceSpec, i: number): Evidence {
  return ev(spec.type, null, {
    id: `ev_${i}`,
    signers: spec.signers,
    predicate: { summary: spec.critical === undefined ? {} : { critical: spec.critical } },
    age: spec.ageHours * HOUR,
  });
}

const arbEvidenceRequirement = fc.record({
  evidence: fc.constantFrom(...TYPES).map((t) => `evidence-type:${t}`),
  signers: fc.subarray([...SIGNERS], { minLength: 1 }).map((s) => s.map((x) => `signer:${x}`)),
  where: fc.constantFrom(...WHERES),
  max_age: fc.constantFrom(...MAX_AGES),
}).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
const arbRequirement = fc.oneof(arbEvidenceRequirement, fc.integer({ min: 1, max: 3 }).map((n) => ({ approvals: n })));
const arbPolicy = fc.tuple(...STAGES.map(() => fc.array(arbRequirement, { maxLength: 3 }))).map((reqs) =>
  STAGES.map((name, i) => ({ name, requirements: reqs[i]! })),
);

const arbApproval = fc.record({ stage: fc.constantFrom(...STAGES), principal: fc.constantFrom(...PRINCIPALS) });
const toApproval = (a: { stage: string; principal: string }, i: number): Approval => ({ id: `ap_${i}`, comment: null, at: new Date(NOW).toISOString(), ...a });

/** Lifecycle of every trust-bearing entry. Deprecated entries have no sunset, so they stay usable. */
// Mostly usable, so that enough scenarios pass for the properties to bite.
const arbLifecycle = fc.oneof({ arbitrary: fc.constant<Lifecycle>('active'), weight: 4 }, { arbitrary: fc.constantFrom(...LIFECYCLES), weight: 2 });
const arbRegistryState = fc.record({
  signers: fc.tuple(...SIGNERS.map(() => arbLifecycle)),
  signerTypes: fc.tuple(...SIGNERS.map(() => fc.oneof(fc.constant<string[]>([...TYPES]), fc.subarray<string>([...TYPES])))),
  types: fc.tuple(...TYPES.map(() => arbLifecycle)),
  artifactType: arbLifecycle,
});
type RegistryState = typeof arbRegistryState extends fc.Arbitrary<infer T> ? T : never;

const SCENARIO = fc.record({
  policy: arbPolicy,
  state: arbRegistryState,
  evidence: fc.array(arbEvidenceSpec, { maxLength: 8 }),
  approvals: fc.array(arbApproval, { maxLength: 6 }),
  stage: fc.constantFrom(...STAGES),
  promoted: fc.subarray([...STAGES]),
});
type Scenario = typeof SCENARIO extends fc.Arbitrary<infer T> ? T : never;

function typeEntry(s: Scenario): Entry {
  return artifactType('gpuaas.prop', s.policy, { lifecycle: s.state.artifactType });
}

function view(s: Scenario, state: RegistryState = s.state) {
  return registry(
    ...SIGNERS.map((id, i) => signer(id, state.signerTypes[i]!, { lifecycle: state.signers[i]! })),
    ...TYPES.map((id, i) => evidenceType(id, { lifecycle: state.types[i]! })),
    artifactType('gpuaas.prop', s.policy, { lifecycle: state.artifactType }),
  );
}

function run(s: Scenario, over: { evidence?: Evidence[]; approvals?: Approval[]; state?: RegistryState } = {}): StageEvaluation {
  return evaluateStage(
    input({
      artifactType: typeEntry(s),
      stage: s.stage,
      evidence: over.evidence ?? s.evidence.map(toEvidence),
      approvals: over.approvals ?? s.approvals.map(toApproval),
      promotedStages: s.promoted,
      view: view(s, over.state),
      registeredBy: 'ci-bot',
    }),
  );
}

/** Which requirement a check is about: its index, or the implicit previous-stage / artifact-type gate. */
const keyOf = (c: Check): string =>
  'index' in c.requirement ? `req ${c.requirement.index}` : 'previous_stage' in c.requirement ? 'previous_stage' : 'artifact_type';

/** allowedAfter ⇒ allowedBefore, for the stage and for each requirement. Implicit gates only appear when failing. */
function neverGains(before: StageEvaluation, after: StageEvaluation): void {
  if (after.passes) assert.equal(before.passes, true, 'deny turned into allow');
  const was = new Map(before.checks.map((c) => [keyOf(c), c.status]));
  for (const c of after.checks) {
    if (c.status === 'satisfied') assert.equal(was.get(keyOf(c)), 'satisfied', `${keyOf(c)} became satisfied`);
  }
}

const RUNS = { numRuns: 300 };

describe('policy properties', () => {
  it('adding evidence or approvals never turns a satisfied requirement unsatisfied', () => {
    fc.assert(
      fc.property(SCENARIO, arbEvidenceSpec, arbApproval, (s, extra, extraApproval) => {
        const evidence = s.evidence.map(toEvidence);
        const approvals = s.approvals.map(toApproval);
        const before = run(s, { evidence, approvals });
        const after = run(s, { evidence: [...evidence, toEvidence(extra, 99)], approvals: [...approvals, toApproval(extraApproval, 99)] });
        neverGains(after, before);
      }),
      RUNS,
    );
  });

  it('ignoring evidence (dropping items or signatures, unverifying them) never turns deny into allow', () => {
    fc.assert(
      fc.property(SCENARIO, fc.infiniteStream(fc.nat(3)), (s, coins) => {
        const evidence = s.evidence.map(toEvidence);
        const it = coins[Symbol.iterator]();
        const flip = () => it.next().value as number;
        const weakened = evidence.flatMap((e) => {
          switch (flip()) {
            case 0:
              return [];
            case 1:
              return [{ ...e, signers: e.signers.filter(() => flip() > 1) }];
            case 2:
              return [{ ...e, signers: e.signers.map((g) => ({ ...g, verified: false, reason: 'bad_signature' })) }];
            default:
              return [e];
          }
        });
        const approvals = s.approvals.map(toApproval).filter(() => flip() > 0);
        neverGains(run(s), run(s, { evidence: weakened, approvals }));
      }),
      RUNS,
    );
  });

  it('withdrawing trust in a signer, an evidence type or the artifact type never turns deny into allow', () => {
    const withdraw = fc.constantFrom<Lifecycle>('disabled', 'retired', 'proposed');
    fc.assert(
      fc.property(SCENARIO, fc.nat(6), withdraw, (s, which, to) => {
        const state = structuredClone(s.state);
        if (which < 3) state.signers[which as 0 | 1 | 2] = to;
        else if (which < 6) state.types[(which - 3) as 0 | 1 | 2] = to;
        else state.artifactType = to;
        neverGains(run(s), run(s, { state }));
      }),
      RUNS,
    );
  });

  it('narrowing what a signer may sign never turns deny into allow', () => {
    fc.assert(
      fc.property(SCENARIO, fc.nat(2), (s, which) => {
        const state = structuredClone(s.state);
        state.signerTypes[which as 0 | 1 | 2] = state.signerTypes[which as 0 | 1 | 2]!.slice(1);
        neverGains(run(s), run(s, { state }));
      }),
      RUNS,
    );
  });

  it('agrees with a direct reading of the rules (oracle)', () => {
    const usable = (l: Lifecycle) => l === 'active' || l === 'deprecated';
    const holds = (where: Record<string, Record<string, unknown>> | undefined, critical: unknown): boolean => {
      const c = where?.['/predicate/summary/critical'];
      if (!c) return true;
      const present = critical !== undefined;
      if ('max' in c) return typeof critical === 'number' && critical <= (c['max'] as number);
      if ('min' in c) return typeof critical === 'number' && critical >= (c['min'] as number);
      if ('in' in c) return present && (c['in'] as unknown[]).includes(critical);
      if ('eq' in c) return present && critical === c['eq'];
      return c['exists'] === present;
    };
    fc.assert(
      fc.property(SCENARIO, (s) => {
        const r = run(s);
        const stage = s.policy.find((p) => p.name === s.stage)!;
        const reqChecks = r.checks.filter((c) => 'index' in c.requirement);
        assert.equal(reqChecks.length, stage.requirements.length);
        stage.requirements.forEach((req, i) => {
          const status = reqChecks[i]!.status;
          if ('approvals' in req) {
            const who = new Set(s.approvals.filter((a) => a.stage === s.stage && a.principal !== 'ci-bot').map((a) => a.principal));
            assert.equal(status === 'satisfied', who.size >= (req.approvals as number));
            return;
          }
          const type = String(req['evidence']).slice('evidence-type:'.length);
          const typeIndex = TYPES.indexOf(type as (typeof TYPES)[number]);
          const listed = (req['signers'] as string[]).map((x) => x.slice('signer:'.length));
          const maxAge = req['max_age'] === undefined ? Infinity : { '1h': HOUR, '3d': 72 * HOUR, '7d': 168 * HOUR }[req['max_age'] as string]!;
          const ofType = s.evidence.filter((e) => e.type === type);
          const ok =
            usable(s.state.types[typeIndex as 0 | 1 | 2]!) &&
            ofType.some(
              (e) =>
                e.signers.some((g) => {
                  const id = g.signer?.slice('signer:'.length);
                  const si = SIGNERS.indexOf(id as (typeof SIGNERS)[number]);
                  return g.verified && id !== undefined && listed.includes(id) && usable(s.state.signers[si as 0 | 1 | 2]!) && s.state.signerTypes[si as 0 | 1 | 2]!.includes(type as (typeof TYPES)[number]);
                }) &&
                holds(req['where'] as Record<string, Record<string, unknown>> | undefined, e.critical) &&
                e.ageHours * HOUR <= maxAge,
            );
          assert.equal(status === 'satisfied', ok, `requirement ${i}: ${status} ${reqChecks[i]!.detail}`);
          if (usable(s.state.types[typeIndex as 0 | 1 | 2]!)) assert.equal(status === 'missing', ofType.length === 0);
        });
        const index = STAGES.indexOf(s.stage);
        // Trust chains: the previous stage must be promoted and itself still pass (checked by this oracle on its own runs).
        const previousOk = index === 0 || (s.promoted.includes(STAGES[index - 1]!) && run({ ...s, stage: STAGES[index - 1]! }).passes);
        assert.equal(r.passes, usable(s.state.artifactType) && previousOk && reqChecks.every((c) => c.status === 'satisfied'));
      }),
      RUNS,
    );
  });

  it('never throws on arbitrary statements and conditions, and always answers with known statuses', () => {
    const arbCondition = fc.oneof(
      fc.record({ eq: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record({ in: fc.array(fc.jsonValue()), min: fc.double(), max: fc.oneof(fc.double(), fc.string()) }, { requiredKeys: [] }),
      fc.record({ exists: fc.oneof(fc.boolean(), fc.jsonValue()) }),
      fc.jsonValue(),
    );
    const arbPointer = fc.oneof(fc.constantFrom('/predicate/a', '/predicate/a/0', '/predicate', '', '/x~1y', '/~'), fc.string());
    fc.assert(
      fc.property(fc.dictionary(arbPointer, arbCondition, { maxKeys: 3 }), fc.jsonValue(), fc.option(fc.string(), { nil: undefined }), (where, predicate, maxAge) => {
        const type = artifactType('gpuaas.fuzz', [
          { name: 'dev', requirements: [{ evidence: 'evidence-type:vuln_scan', signers: ['signer:platform.scanner'], where, ...(maxAge === undefined ? {} : { max_age: maxAge }) }] },
        ]);
        const e = ev('vuln_scan', 'platform.scanner', { predicate });
        const weird: Evidence = { ...e, statement: predicate as Evidence['statement'] };
        const r = evaluateStage(input({ artifactType: type, view: registry(type), evidence: [e, weird] }));
        assert.equal(r.checks.length, 1);
        assert.ok(['satisfied', 'missing', 'untrusted', 'failed', 'expired'].includes(r.checks[0]!.status));
        assert.equal(typeof r.checks[0]!.detail, 'string');
        assert.equal(r.passes, r.checks[0]!.status === 'satisfied');
        for (const st of [e.statement, predicate]) assert.equal(whereHolds(where, st), evaluateWhere(where, st).every((c) => c.ok));
      }),
      RUNS,
    );
  });
});
