import { counts } from './artifacts.js';
import { CharterError, proofSigningBytes, tryParseRef, type Entry, type ReleaseProof } from '@charter/core';
import type { Kysely } from 'kysely';
import { registryStore } from '../store/registry-store.js';
import type { Registry } from '../registry/registry.js';
import { artifactStore, type Decision } from '../store/artifact-store.js';
import type { Database } from '../store/schema.js';
import type { Artifacts } from './artifacts.js';

/**
 * Builds the self-contained release proof of one promoted stage: everything `charter proof
 * verify` needs to re-check the decision with no server (see core/proof).
 */
export class ReleaseProofs {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;
  readonly #artifacts: Artifacts;

  constructor(registry: Registry, db: Kysely<Database>, artifacts: Artifacts) {
    this.#registry = registry;
    this.#db = db;
    this.#artifacts = artifacts;
  }

  async build(digest: string, stage: string): Promise<ReleaseProof> {
    const state = await this.#artifacts.stateFor(digest);
    const latestPromoted = (s: string): Decision | undefined => [...state.decisions].reverse().find((d) => d.stage === s && counts(d));
    const decision = latestPromoted(stage);
    if (!decision) throw new CharterError('NOT_FOUND', `${digest} has not been promoted to ${stage}: there is nothing to prove`);

    // The earlier stages the decision relied on, each with its own promoted decision.
    const type = await registryStore.revision(this.#db, 'artifact-type', decision.policy.artifact_type, decision.policy.revision);
    if (!type) throw new CharterError('UNAVAILABLE', `revision ${decision.policy.revision} of ${decision.policy.artifact_type} is missing`);
    const order = (type.entry.spec.stages as { name: string }[]).map((s) => s.name);
    const prior = order.slice(0, order.indexOf(stage)).map((s) => latestPromoted(s)).filter((d): d is Decision => d !== undefined && d.decided_at <= decision.decided_at);
    const decisions = [...prior, decision];

    // Everything the server had when it decided (logged before the decision), so the verifier can
    // re-run exactly that evaluation, earlier stages of the chain included.
    // Evidence of a type the policy never consulted cannot bear on the decision (and the proof does not bundle its type).
    const logged = state.evidence.filter((e) => e.audit_index < decision.audit_index && decision.policy.registry[e.evidence_type] !== undefined);
    const approvals = state.approvals.filter((a) => a.audit_index < decision.audit_index);
    const canonical = await this.#artifacts.canonicalEnvelopes(logged);
    const evidence = logged.filter((e) => canonical.has(e.id));
    const envelopes = await artifactStore.envelopes(this.#db, evidence.map((e) => e.id));

    const registry = new Map<string, Entry>();
    {
      for (const [ref, revision] of Object.entries(decision.policy.registry)) {
        const p = tryParseRef(ref);
        if (!p) continue;
        const rev = await registryStore.revision(this.#db, p.family, p.id, revision);
        if (rev) registry.set(`${ref}@${revision}`, rev.entry);
      }
    }

    const checkpoint = await this.#registry.audit.checkpoint();
    const indexes = [state.artifact.audit_index, ...evidence.map((e) => e.audit_index), ...approvals.map((a) => a.audit_index), ...decisions.map((d) => d.audit_index)];
    const events = [];
    for (const index of [...new Set(indexes)].sort((a, b) => a - b)) {
      const event = await this.#registry.audit.event(index);
      if (!event) throw new CharterError('UNAVAILABLE', `audit event ${index} is missing`);
      const inclusion = await this.#registry.audit.inclusion(index, checkpoint.size);
      events.push({ ...event, inclusion });
    }

    const unsigned: Omit<ReleaseProof, 'signature'> = {
      format: 'charter.release-proof/v1',
      generated_at: this.#registry.now().toISOString(),
      stage,
      artifact: state.artifact,
      decision,
      prior_decisions: prior,
      evidence: evidence.map((e) => {
        const envelope = canonical.get(e.id)!;
        const received = envelopes.get(e.id)!;
        return { id: e.id, evidence_type: e.evidence_type, attached_at: e.attached_at, envelope_digest: e.envelope_digest, audit_index: e.audit_index, envelope, ...(received === envelope ? {} : { received }) };
      }),
      approvals,
      registry: [...registry.values()],
      audit: { log: await this.#registry.audit.keyInfo(), checkpoint: checkpoint.note, events },
    };
    return { ...unsigned, signature: this.#registry.audit.sign(proofSigningBytes(unsigned)) };
  }
}

