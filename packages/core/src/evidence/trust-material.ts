import { createPublicKey } from 'node:crypto';
import { checkEntry, type RegistryView } from '../catalog.js';
import type { Entry } from '../entry.js';
import { formatRef } from '../ids.js';
import type { EvidenceSignature } from '../policy/model.js';
import { signatureTrust } from '../proof/signer-trust.js';
import { importTrustedKey, prepareKeys, type PreparedKeys, type SignatureResult, type TrustedKey } from './dsse.js';

/**
 * What Charter trusts evidence with, now (the model is sigstore-js's `toTrustMaterial`): every
 * signer key the registry has (not retired), imported once and indexed by keyid hint, the
 * evidence type each predicate type maps to, and whether a verified signer counts for a type.
 * Pure: a function of the registry view and the clock.
 */
export interface TrustMaterial {
  /** The registry sequence it was built from (reuse it only for the same view at that sequence). */
  readonly sequence: number;
  readonly now: number;
  /** Signer keys by ref (`signer:<id>`), indexed by id and SPKI fingerprint for the keyid hint. */
  readonly keys: PreparedKeys;
  /** The usable evidence type for a predicate type now, or why there is none. */
  evidenceTypeFor(predicateType: string): { entry: Entry; detail: null } | { entry: null; detail: string };
  /** Signature results as evidence signers: who signed (or whom the keyid names) and whether it counts for `evidenceType` now. */
  judge(results: readonly SignatureResult[], evidenceType: string): EvidenceSignature[];
}

interface Indexed {
  sequence: number;
  keys: PreparedKeys;
  fingerprints: ReadonlyMap<string, string>;
  byPredicate: ReadonlyMap<string, readonly Entry[]>;
}

/**
 * Builds the trust material of `view` at `now`. Pass the previous material of the same view to
 * reuse its imported keys while the sequence has not moved (only the clock then differs).
 */
export function toTrustMaterial(view: RegistryView, now: number, previous?: TrustMaterial): TrustMaterial {
  const indexed = previous && previous.sequence === view.sequence ? (previous as TrustMaterialImpl).indexed : index(view);
  return new TrustMaterialImpl(view, now, indexed);
}

function index(view: RegistryView): Indexed {
  const keys: TrustedKey[] = [];
  const byPredicate = new Map<string, Entry[]>();
  for (const e of view.entries()) {
    if (e.family === 'signer' && e.lifecycle !== 'retired') {
      const key: TrustedKey = { id: formatRef('signer', e.id), algorithm: e.spec.algorithm as TrustedKey['algorithm'], publicKey: String(e.spec.public_key) };
      try {
        // A key that does not parse, or is not the algorithm it claims, verifies nothing.
        keys.push({ ...key, publicKey: importTrustedKey({ ...key, publicKey: createPublicKey(key.publicKey as string) }) });
      } catch {
        continue;
      }
    } else if (e.family === 'evidence-type' && typeof e.spec.predicate_type === 'string') {
      const list = byPredicate.get(e.spec.predicate_type);
      if (list) list.push(e);
      else byPredicate.set(e.spec.predicate_type, [e]);
    }
  }
  const prepared = prepareKeys(keys);
  return { sequence: view.sequence, keys: prepared, fingerprints: new Map(prepared.keys.map((k) => [k.id, k.fingerprint])), byPredicate };
}

class TrustMaterialImpl implements TrustMaterial {
  readonly sequence: number;
  readonly keys: PreparedKeys;

  constructor(
    readonly view: RegistryView,
    readonly now: number,
    readonly indexed: Indexed,
  ) {
    this.sequence = indexed.sequence;
    this.keys = indexed.keys;
  }

  evidenceTypeFor(predicateType: string): { entry: Entry; detail: null } | { entry: null; detail: string } {
    let unusable: Entry | undefined;
    for (const e of this.indexed.byPredicate.get(predicateType) ?? []) {
      if (checkEntry(formatRef('evidence-type', e.id), e, this.now).allowed) return { entry: e, detail: null };
      unusable = e;
    }
    return {
      entry: null,
      detail: unusable ? `predicateType ${predicateType} maps to evidence type ${unusable.id}, which is ${unusable.lifecycle}` : `no evidence type in the registry has predicate_type ${predicateType}`,
    };
  }

  judge(results: readonly SignatureResult[], evidenceType: string): EvidenceSignature[] {
    return results.map((r) => {
      // A bad signature still names the signer its keyid points at (never counting it).
      const who = r.verified ? r.key : r.named;
      return {
        signer: who,
        keyid: r.keyid,
        fingerprint: who === null ? null : (this.indexed.fingerprints.get(who) ?? null),
        verified: r.verified,
        reason: r.verified && r.key ? signatureTrust(this.view, r.key, evidenceType, this.now) : r.reason,
      };
    });
  }
}

/** One sentence for a signature that does not make evidence trusted. */
export function describeSignature(s: EvidenceSignature, evidenceType: string): string {
  const unknown = s.keyid ? `an unknown key (keyid ${s.keyid.slice(0, 16)})` : 'an unknown key';
  const who = s.signer ?? unknown;
  switch (s.reason) {
    case 'no_matching_key':
      return `signed by ${who}: no registered signer's key verifies it`;
    case 'bad_signature':
      return s.signer
        ? `the signature names ${s.signer} (keyid ${(s.keyid ?? '').slice(0, 16)}) but does not verify with its key: the envelope was altered or signed by another key`
        : `the signature by ${who} does not verify: the envelope was altered or signed by another key`;
    case 'malformed_signature':
      return `the signature by ${who} is not a valid signature encoding`;
    case 'wrong_evidence_type':
      return `signed by ${who}, which may not sign ${evidenceType}`;
    default:
      return `signed by ${who}, which is ${s.reason.replace(/^signer_/, '').replace(/_/g, ' ')}`;
  }
}
