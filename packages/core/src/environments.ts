import type { RegistryView } from './catalog.js';
import type { Entry } from './entry.js';

/** An environment's spec with its defaults applied (DESIGN §13). */
export interface EnvironmentSpec {
  stage: string;
  /** Artifact-type IDs that may run there; empty: any type whose policy has the stage. */
  artifactTypes: string[];
  cluster: string;
  namespaces: string[];
  mode: 'enforce' | 'warn';
  pinDigests: boolean;
}

export function readEnvironment(e: Entry): EnvironmentSpec {
  const spec = e.spec as { stage?: unknown; artifact_types?: unknown; kubernetes?: { cluster?: unknown; namespaces?: unknown }; mode?: unknown; pin_digests?: unknown };
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    stage: String(spec.stage),
    artifactTypes: list(spec.artifact_types).map((r) => r.replace(/^artifact-type:/, '').replace(/@\d+$/, '')),
    cluster: String(spec.kubernetes?.cluster),
    namespaces: list(spec.kubernetes?.namespaces),
    // Anything but an explicit 'warn' enforces: an unreadable mode must not relax admission.
    mode: spec.mode === 'warn' ? 'warn' : 'enforce',
    pinDigests: spec.pin_digests === true,
  };
}

/** `*` matches any run of characters (also none), `?` exactly one; everything else itself. */
export function namespaceMatches(pattern: string, namespace: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === namespace;
  // Iterative glob match with one backtrack point: linear in practice, no regex built from input.
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < namespace.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === namespace[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The environments that govern a namespace of a cluster: every environment entry binding that
 * cluster and a matching namespace, whatever its lifecycle — except `proposed` (not in force
 * yet) and `retired` (gone). A disabled one is returned: it denies everything it matches.
 * Sorted by ID so answers and messages are stable.
 */
export function environmentsFor(view: RegistryView, cluster: string, namespace: string): Entry[] {
  const out: Entry[] = [];
  for (const e of view.entries()) {
    if (e.family !== 'environment' || e.lifecycle === 'proposed' || e.lifecycle === 'retired') continue;
    const env = readEnvironment(e);
    if (env.cluster === cluster && env.namespaces.some((p) => namespaceMatches(p, namespace))) out.push(e);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
