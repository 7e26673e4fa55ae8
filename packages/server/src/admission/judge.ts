import { checkEntry, environmentsFor, formatRef, readEnvironment, type Entry, type EnvironmentSpec } from '@charter/core';
import type { DeployChecks, DeployVerdict } from '../artifacts/deploy-check.js';
import type { Registry } from '../registry/registry.js';

/** One environment's judgement of one digest: the deploy check plus the environment's own constraints. */
export interface Judgement {
  allowed: boolean;
  environment: string;
  stage: string;
  mode: EnvironmentSpec['mode'];
  digest: string;
  /** One sentence: the first failing requirement, or why it is allowed. */
  reason: string;
  /** Satisfying evidence close to its max_age: `evidence-type` and when. */
  expiring: { evidence_type: string; expires_at: string }[];
}

/**
 * The front doors' one question, asked of the one decision core (DeployChecks): may `digest`
 * run in `env`? Fail closed: an environment that is not usable (disabled, sunset passed) admits
 * nothing; an artifact type the environment does not list may not run there.
 */
export class Judge {
  readonly #registry: Registry;
  readonly #checks: DeployChecks;
  #envs = { sequence: -1, byPlace: new Map<string, Entry[]>() };
  readonly #specs = new WeakMap<Entry, EnvironmentSpec>();
  /** Judgements of an active environment (no clock involved) per verdict: a new verdict or entry revision is a new key. */
  readonly #judged = new WeakMap<DeployVerdict, WeakMap<Entry, Judgement>>();

  constructor(registry: Registry, checks: DeployChecks) {
    this.#registry = registry;
    this.#checks = checks;
  }

  /** The environments governing `namespace` of `cluster`, from memory (recomputed when the registry changes). */
  environments(cluster: string, namespace: string): Entry[] {
    const sequence = this.#registry.catalog.sequence;
    if (this.#envs.sequence !== sequence) this.#envs = { sequence, byPlace: new Map() };
    const key = `${cluster}\u0000${namespace}`;
    let found = this.#envs.byPlace.get(key);
    if (!found) {
      found = environmentsFor(this.#registry.catalog, cluster, namespace);
      if (this.#envs.byPlace.size > 10_000) this.#envs.byPlace.clear();
      this.#envs.byPlace.set(key, found);
    }
    return found;
  }

  spec(env: Entry): EnvironmentSpec {
    let spec = this.#specs.get(env);
    if (!spec) this.#specs.set(env, (spec = readEnvironment(env)));
    return spec;
  }

  async judge(env: Entry, digest: string): Promise<Judgement> {
    const spec = this.spec(env);
    return this.#conclude(env, spec, digest, this.#checks.cached(digest, spec.stage) ?? (await this.#checks.verdict(digest, spec.stage)));
  }

  /** The judgement from memory, or undefined when the deploy check is not cached (then ask `judge`). */
  judgeCached(env: Entry, digest: string): Judgement | undefined {
    const spec = this.spec(env);
    const verdict = this.#checks.cached(digest, spec.stage);
    return verdict && this.#conclude(env, spec, digest, verdict);
  }

  #conclude(env: Entry, spec: EnvironmentSpec, digest: string, verdict: DeployVerdict): Judgement {
    if (env.lifecycle !== 'active') return this.#judgement(env, spec, digest, verdict);
    let byEnv = this.#judged.get(verdict);
    if (!byEnv) this.#judged.set(verdict, (byEnv = new WeakMap()));
    let j = byEnv.get(env);
    if (!j || j.digest !== digest) byEnv.set(env, (j = this.#judgement(env, spec, digest, verdict)));
    return j;
  }

  #judgement(env: Entry, spec: EnvironmentSpec, digest: string, verdict: DeployVerdict): Judgement {
    const base = { environment: env.id, stage: spec.stage, mode: spec.mode, digest, expiring: [] as Judgement['expiring'] };
    // The environment's own usability first: a disabled environment admits nothing, whatever the artifact.
    const usable = checkEntry(formatRef('environment', env.id), env, this.#registry.now().getTime());
    if (!usable.allowed) return { ...base, allowed: false, reason: `environment ${env.id} is ${usable.reason.replace(/_/g, ' ')}: it admits nothing (fail closed)` };
    if (!verdict.check.allowed) return { ...base, allowed: false, reason: verdict.firstFailure ?? verdict.check.detail };
    if (spec.artifactTypes.length > 0 && !spec.artifactTypes.includes(verdict.artifactType ?? '')) {
      return { ...base, allowed: false, reason: `artifact type ${verdict.artifactType} may not run in ${env.id} (it runs ${spec.artifactTypes.join(', ')})` };
    }
    return { ...base, allowed: true, reason: verdict.check.detail, expiring: verdict.expiring };
  }
}
