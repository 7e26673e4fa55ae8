import { checkStageTrust, readStages, trustHorizon, type Entry, type ExpiringEvidence, type StageInput } from '@charter/core';
import type { Kysely } from 'kysely';
import type { Registry } from '../registry/registry.js';
import { artifactStore, type Artifact, type Decision, type StoredApproval, type StoredEvidence } from '../store/artifact-store.js';
import type { Database } from '../store/schema.js';

/** Everything policy needs about one artifact, loaded together. */
export interface ArtifactState {
  artifact: Artifact;
  evidence: StoredEvidence[];
  approvals: StoredApproval[];
  decisions: Decision[];
}

/** The deploy check's wire answer (DESIGN §9: `{allowed, reason, stage, decision}`). */
export interface DeployCheck {
  allowed: boolean;
  reason: 'trusted' | 'not_promoted' | 'revoked' | 'unknown_artifact' | 'unknown_stage';
  detail: string;
  stage: string;
  decision: Decision | null;
}

/** A deploy check with what the front doors (admission, Gatekeeper) need besides the wire answer. */
export interface DeployVerdict {
  check: DeployCheck;
  /** The wire answer, serialized once. */
  json: string;
  /** The artifact's type ID, or null when it is not registered. */
  artifactType: string | null;
  /** The first requirement that fails, as one sentence (the detail when there is none to name). */
  firstFailure: string | null;
  /** Satisfying evidence close to its max_age. */
  expiring: ExpiringEvidence[];
}

interface Cached {
  /** Bumped by every invalidation: a load that started before it is not kept. */
  generation: number;
  state: ArtifactState | null;
  verdicts: Map<string, { sequence: number; until: number; verdict: DeployVerdict }>;
}

/** Audit actions whose events change an artifact's state; the first subject is its digest. */
const ARTIFACT_ACTIONS = new Set([
  'audit-action:platform.artifact.register',
  'audit-action:platform.evidence.attach',
  'audit-action:platform.approval.record',
  'audit-action:platform.promotion.decide',
]);

/**
 * The one deploy-check decision core, answered from memory. Artifact state is loaded once per
 * digest and kept until something is recorded for that digest (here, or on another replica:
 * `follow` reads the audit log's new events); a verdict per (digest, stage) is kept while the
 * registry sequence is unchanged and the clock has not reached the verdict's horizon (an
 * evidence max_age, a sunset, a signer validity boundary). No time-based staleness: a hit
 * answers exactly what a miss would. Concurrent misses for one digest share one load.
 */
export class DeployChecks {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;
  readonly #cache = new Map<string, Cached>();
  readonly #loading = new Map<string, { generation: number; promise: Promise<Cached> }>();
  readonly #generations = new Map<string, number>();
  #generation = 0;
  #followed: number | null = null;
  static readonly MAX_ARTIFACTS = 10_000;
  /** Counters for /metrics and tests. */
  readonly stats = { hits: 0, misses: 0, loads: 0 };

  constructor(registry: Registry, db: Kysely<Database>) {
    this.#registry = registry;
    this.#db = db;
  }

  /** Forgets what is known about `digest` (after a write for it, on this or another replica). */
  invalidate(digest: string): void {
    this.#generations.set(digest, ++this.#generation);
    this.#cache.delete(digest);
    this.#loading.delete(digest);
    if (this.#generations.size > DeployChecks.MAX_ARTIFACTS * 2) this.#generations.clear();
  }

  clear(): void {
    ++this.#generation;
    this.#generations.clear();
    this.#cache.clear();
    this.#loading.clear();
  }

  /**
   * Catches up with artifact writes other replicas made: invalidates every digest named by a new
   * artifact event in the audit log. Called with the registry's sync tick.
   */
  follow(): Promise<void> {
    // One pass at a time, each after the previous: a pass that read old events can never land
    // after a later one (and a caller's pass sees every event logged before it asked).
    const pass = this.#following.then(() => this.#followOnce());
    this.#following = pass.catch(() => {});
    return pass;
  }

  #following: Promise<void> = Promise.resolve();

  async #followOnce(): Promise<void> {
    if (this.#followed === null) {
      this.#followed = await this.#registry.audit.size();
      return;
    }
    for (;;) {
      const events = await this.#registry.audit.events({ after: this.#followed - 1, limit: 500 });
      for (const e of events) {
        if (ARTIFACT_ACTIONS.has(e.action) && e.subject[0]) this.invalidate(e.subject[0]);
        this.#followed = e.index + 1;
      }
      if (events.length < 500) return;
    }
  }

  async state(digest: string): Promise<ArtifactState | null> {
    return (await this.#entry(digest)).state;
  }

  /**
   * The verdict from memory when it is still exactly the answer (same registry sequence, horizon
   * not reached, nothing recorded for the digest since), else undefined. Synchronous: the hot path.
   */
  cached(digest: string, stage: string): DeployVerdict | undefined {
    const hit = this.#cache.get(digest)?.verdicts.get(stage);
    if (hit && hit.sequence === this.#registry.catalog.sequence && this.#registry.now().getTime() < hit.until) {
      this.stats.hits++;
      return hit.verdict;
    }
    return undefined;
  }

  /** The deploy check of `digest` for `stage`, now. */
  async verdict(digest: string, stage: string): Promise<DeployVerdict> {
    const hit = this.cached(digest, stage);
    if (hit) return hit;
    const now = this.#registry.now().getTime();
    const sequence = this.#registry.catalog.sequence;
    const cached = this.#cache.get(digest);
    this.stats.misses++;
    const entry = cached ?? (await this.#entry(digest));
    const computed = this.#compute(entry.state, digest, stage, now);
    // Keyed on the sequence read before computing: a change applied meanwhile makes it a miss.
    if (this.#cache.get(digest) === entry) entry.verdicts.set(stage, { sequence, until: computed.until, verdict: computed.verdict });
    return computed.verdict;
  }

  async #entry(digest: string): Promise<Cached> {
    const cached = this.#cache.get(digest);
    if (cached) return cached;
    const generation = this.#generations.get(digest) ?? 0;
    const inflight = this.#loading.get(digest);
    if (inflight && inflight.generation === generation) return inflight.promise;
    const promise = (async () => {
      this.stats.loads++;
      const state = await loadState(this.#db, digest);
      const entry: Cached = { generation, state, verdicts: new Map() };
      // Invalidated while loading: answer this caller (it asked before the write), keep nothing.
      if ((this.#generations.get(digest) ?? 0) === generation) {
        if (this.#cache.size >= DeployChecks.MAX_ARTIFACTS) this.#cache.delete(this.#cache.keys().next().value!);
        this.#cache.set(digest, entry);
      }
      return entry;
    })();
    this.#loading.set(digest, { generation, promise });
    try {
      return await promise;
    } finally {
      if (this.#loading.get(digest)?.promise === promise) this.#loading.delete(digest);
    }
  }

  /** The verdict for state the caller loaded itself (not cached): the same decision as `verdict`. */
  judgeState(state: ArtifactState | null, digest: string, stage: string): DeployVerdict {
    return this.#compute(state, digest, stage, this.#registry.now().getTime()).verdict;
  }

  #compute(state: ArtifactState | null, digest: string, stage: string, now: number): { until: number; verdict: DeployVerdict } {
    const verdict = (check: DeployCheck, artifactType: string | null, firstFailure: string | null, expiring: ExpiringEvidence[] = []): DeployVerdict => ({ check, json: JSON.stringify(check), artifactType, firstFailure, expiring });
    if (!state) {
      const detail = `${digest} is not registered`;
      return { until: Infinity, verdict: verdict({ allowed: false, reason: 'unknown_artifact', detail, stage, decision: null }, null, detail) };
    }
    const typeId = state.artifact.artifact_type;
    const type = this.#registry.catalog.get('artifact-type', typeId);
    const stages = type ? readStages(type).map((s) => s.name) : [];
    if (!type || !stages.includes(stage)) {
      const detail = `artifact type ${typeId} has no stage '${stage}'`;
      return { until: Infinity, verdict: verdict({ allowed: false, reason: 'unknown_stage', detail, stage, decision: null }, typeId, detail) };
    }
    const input = stageInput(state, type, stage, this.#registry, now);
    const trust = checkStageTrust(input);
    const horizon = trustHorizon(input);
    const decision = [...state.decisions].reverse().find((d) => d.stage === stage && counts(d)) ?? null;
    const failing = trust.evaluation.checks.find((c) => c.status !== 'satisfied');
    const first = trust.allowed ? null : trust.code === 'not_promoted' ? trust.reason : (failing?.detail ?? trust.reason);
    return { until: horizon.until, verdict: verdict({ allowed: trust.allowed, reason: trust.code, detail: trust.reason, stage, decision }, typeId, first, trust.allowed ? horizon.expiring : []) };
  }
}

/** A promoted decision counts (for the next stage and the deploy check) unless its copy failed. */
export function counts(d: Decision): boolean {
  return d.outcome === 'promoted' && d.copy?.status !== 'failed';
}

export async function loadState(db: Kysely<Database>, digest: string): Promise<ArtifactState | null> {
  const artifact = await artifactStore.artifact(db, digest);
  if (!artifact) return null;
  const [evidence, approvals, decisions] = await Promise.all([artifactStore.evidenceForPolicy(db, digest), artifactStore.approvals(db, digest), artifactStore.decisions(db, digest)]);
  return { artifact, evidence, approvals, decisions };
}

export function stageInput(state: ArtifactState, type: Entry, stage: string, registry: Registry, now: number): StageInput {
  return {
    artifactType: type,
    stage,
    evidence: state.evidence,
    approvals: state.approvals,
    promotedStages: [...new Set(state.decisions.filter(counts).map((d) => d.stage))],
    view: registry.catalog,
    now,
    registeredBy: state.artifact.registered_by,
  };
}
