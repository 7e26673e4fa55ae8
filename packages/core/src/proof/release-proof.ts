import { createHash, createPublicKey, verify } from 'node:crypto';
import { Catalog } from '../catalog.js';
import type { Entry } from '../entry.js';
import { formatRef, tryParseRef } from '../ids.js';
import { canonicalJson, jsonDigest, eventLeafHash } from '../audit/event.js';
import { parseVkey, type NoteVerifier } from '../audit/checkpoint.js';
import { verifyInclusion } from '../audit/merkle.js';
import { readCheckpoint, type ServedEvent } from '../audit/verify-log.js';
import { canonicalOrigin, parseEnvelope, verifySignatures } from '../evidence/dsse.js';
import { readStatement, subjectMatches } from '../evidence/intoto.js';
import type { TrustedKey } from '../evidence/dsse.js';
import { evaluateStage } from '../policy/policy.js';
import type { Approval, Check, Evidence, EvidenceSignature } from '../policy/model.js';
import { signatureTrust } from './signer-trust.js';

export interface ProofDecision {
  id: string;
  artifact: string;
  stage: string;
  outcome: 'promoted' | 'denied';
  policy: { artifact_type: string; revision: number; registry: Record<string, number> };
  checks: Check[];
  actor: string;
  decided_at: string;
  audit_index: number;
  /** Present when the stage names a repository (DESIGN §12): the image copy and how it went. */
  copy?: DecisionCopy;
}

export interface DecisionCopy {
  repository: string;
  tag: string;
  status: 'done' | 'failed';
  detail: string;
}

export interface ProofEvent extends ServedEvent {
  details: unknown;
  inclusion: { index: number; size: number; hashes: string[] };
}

/** The self-contained release proof (format charter.release-proof/v1). */
export interface ReleaseProof {
  format: 'charter.release-proof/v1';
  generated_at: string;
  stage: string;
  artifact: { digest: string; artifact_type: string; product: string; name: string; version: string; source?: unknown; labels?: unknown; registered_by: string; registered_at: string; audit_index: number };
  decision: ProofDecision;
  prior_decisions: ProofDecision[];
  /**
   * `envelope` is the canonical form (DESIGN §6) any DSSE verifier checks; `received`, the bytes
   * as attached (which `envelope_digest` and the audit log name), when they differ from it.
   */
  evidence: { id: string; evidence_type: string; attached_at: string; envelope_digest: string; audit_index: number; envelope: string; received?: string }[];
  approvals: (Approval & { artifact: string; audit_index: number })[];
  registry: Entry[];
  audit: { log: { name: string; public_key: string; vkey: string }; checkpoint: string; events: ProofEvent[] };
  /** Ed25519 signature by the log key over the canonical JSON of every other field (base64). */
  signature: string;
}

/** The bytes the proof signature covers: canonical JSON of the proof without `signature`. */
export function proofSigningBytes(proof: Omit<ReleaseProof, 'signature'> & { signature?: string }): Buffer {
  const { signature: _ignored, ...rest } = proof;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

export interface ProofReport {
  ok: boolean;
  /** What was proved, in sentences. */
  proved: string[];
  /** What failed; empty when ok. */
  problems: string[];
  /** Caveats that do not fail the proof (e.g. the log key was not pinned). */
  notes: string[];
}

const sha256 = (s: string | Uint8Array) => 'sha256:' + createHash('sha256').update(s).digest('hex');

/**
 * Verifies a release proof with no server: the checkpoint signature, every audit event and its
 * inclusion in the signed tree, that each record (artifact, evidence, approval, decision) is
 * the one the log committed to, every envelope signature against the bundled signer revisions,
 * and a re-evaluation of the policy from the bundled registry revisions at decision time.
 * The proof is attacker-supplied: every field is checked before it is trusted.
 */
export function verifyReleaseProof(input: unknown, opts: { logKey?: NoteVerifier } = {}): ProofReport {
  const proved: string[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  const fail = (p: string): ProofReport => ({ ok: false, proved, problems: [...problems, p], notes });
  try {
    const proof = input as ReleaseProof;
    if (!proof || typeof proof !== 'object' || proof.format !== 'charter.release-proof/v1') return fail('not a charter.release-proof/v1 document');
    const { artifact, decision } = proof;
    if (!artifact || !decision || !Array.isArray(proof.evidence) || !Array.isArray(proof.registry) || !proof.audit || !Array.isArray(proof.audit.events)) return fail('the proof is missing required parts');

    // 1. The log key and checkpoint.
    let verifier: NoteVerifier;
    if (opts.logKey) {
      verifier = opts.logKey;
      if (proof.audit.log?.vkey && proof.audit.log.vkey.trim() !== '' && parseVkey(proof.audit.log.vkey).keyHash !== verifier.keyHash) notes.push('the proof names a different log key than the one you pinned; only the pinned key was used');
    } else {
      verifier = parseVkey(String(proof.audit.log?.vkey ?? ''));
      notes.push('the log key was taken from the proof itself; pass the log key you trust (--log-key) for an independent check');
    }
    // The whole document is signed: no field, however minor, can change unnoticed.
    if (typeof proof.signature !== 'string' || verifier.type !== 'ed25519' || !verify(null, proofSigningBytes(proof), verifier.publicKey, Buffer.from(proof.signature, 'base64'))) {
      return fail('the proof signature does not verify with the log key: the document was changed or signed by another log');
    }
    proved.push('the proof document is signed by the log key and unchanged');
    const cp = readCheckpoint(String(proof.audit.checkpoint ?? ''), verifier);
    if ('error' in cp) return fail(cp.error);
    const checkpoint = cp.checkpoint;
    proved.push(`the checkpoint of log ${checkpoint.origin} at size ${checkpoint.size} is signed by its log key`);

    // 2. Every event is in the signed tree.
    const events = new Map<number, ProofEvent>();
    for (const e of proof.audit.events) {
      const leaf = eventLeafHash(e);
      if (Buffer.from(leaf).toString('base64') !== e.leaf_hash) return fail(`audit event ${e.index} does not hash to its leaf`);
      if (jsonDigest(e.details ?? null) !== e.details_digest) return fail(`the details of audit event ${e.index} do not match their digest`);
      const inc = e.inclusion;
      if (!inc || inc.index !== e.index || inc.size !== checkpoint.size || !Array.isArray(inc.hashes)) return fail(`audit event ${e.index} has no inclusion proof for the checkpoint size ${checkpoint.size}`);
      if (!verifyInclusion(leaf, e.index, checkpoint.size, inc.hashes.map((h) => Buffer.from(String(h), 'base64')), checkpoint.rootHash)) return fail(`the inclusion proof of audit event ${e.index} does not verify against the checkpoint`);
      events.set(e.index, e);
    }
    proved.push(`${events.size} audit events are included in that log`);

    const logged = (index: number, action: string, what: string, record: unknown): ProofEvent | null => {
      const e = events.get(index);
      if (!e) {
        problems.push(`${what}: its audit event ${index} is not in the proof`);
        return null;
      }
      if (e.action !== `audit-action:platform.${action}`) problems.push(`${what}: audit event ${index} is ${e.action}, not platform.${action}`);
      if (record !== undefined && jsonDigest(record) !== e.details_digest) problems.push(`${what} is not the record the audit log committed to (event ${index})`);
      return e;
    };

    // 3. Each record is the one the log committed to.
    logged(artifact.audit_index, 'artifact.register', `artifact ${artifact.digest}`, artifact);
    for (const d of [...(proof.prior_decisions ?? []), decision]) {
      logged(d.audit_index, 'promotion.decide', `decision ${d.id}`, d);
      if (d.artifact !== artifact.digest) problems.push(`decision ${d.id} is about ${d.artifact}, not ${artifact.digest}`);
      if (d.outcome !== 'promoted') problems.push(`decision ${d.id} is ${d.outcome}`);
      if (d.copy?.status === 'failed') problems.push(`decision ${d.id}: its copy to ${d.copy.repository} failed, so it does not count`);
    }
    for (const a of proof.approvals ?? []) {
      const e = logged(a.audit_index, 'approval.record', `approval ${a.id}`, undefined);
      const det = e?.details as Record<string, unknown> | undefined;
      if (e && (det?.approval !== a.id || det?.stage !== a.stage || det?.principal !== a.principal || det?.artifact !== artifact.digest)) problems.push(`approval ${a.id} does not match its audit event`);
    }
    const byRef = new Map<string, Entry>();
    for (const entry of proof.registry) byRef.set(`${formatRef(entry.family, entry.id)}@${entry.revision}`, entry);

    // 4. Re-verify the evidence from the envelopes, against the bundled signer revisions.
    const view = new Catalog();
    const type = byRef.get(`artifact-type:${decision.policy.artifact_type}@${decision.policy.revision}`);
    if (!type) return fail(`the proof does not carry revision ${decision.policy.revision} of artifact type ${decision.policy.artifact_type}`);
    const pinned: Entry[] = [type];
    for (const [ref, revision] of Object.entries(decision.policy.registry ?? {})) {
      const entry = byRef.get(`${ref}@${revision}`);
      if (!entry) return fail(`the proof does not carry ${ref}@${revision}, which the decision was judged by`);
      pinned.push(entry);
    }
    view.apply(pinned, 1);
    const now = Date.parse(decision.decided_at);
    const keys: TrustedKey[] = pinned.filter((e) => e.family === 'signer').map((e) => ({ id: formatRef('signer', e.id), algorithm: e.spec.algorithm as TrustedKey['algorithm'], publicKey: createPublicKey(String(e.spec.public_key)) }));
    const evidence: Evidence[] = [];
    for (const item of proof.evidence) {
      const e = logged(item.audit_index, 'evidence.attach', `evidence ${item.id}`, undefined);
      const det = e?.details as Record<string, unknown> | undefined;
      const receivedText = item.received ?? item.envelope;
      if (sha256(receivedText) !== item.envelope_digest) problems.push(`the envelope of evidence ${item.id} is not the one attached (digest differs)`);
      if (e && (det?.evidence !== item.id || det?.envelope_digest !== item.envelope_digest || det?.artifact !== artifact.digest)) problems.push(`evidence ${item.id} does not match its audit event`);
      if (e && typeof det?.canonical_digest === 'string' && det.canonical_digest !== sha256(item.envelope)) problems.push(`the canonical envelope of evidence ${item.id} is not the one logged`);
      const envelope = parseEnvelope(item.envelope);
      // Each canonical signature maps back to the received one it re-encodes (and its logged verdict).
      let origin: number[] = envelope.signatures.map((_, i) => i);
      if (item.received !== undefined) {
        const mapped = canonicalOrigin(parseEnvelope(item.received), envelope);
        if (typeof mapped === 'string') {
          problems.push(`the canonical envelope of evidence ${item.id} is not derived from the one attached: ${mapped}`);
          continue;
        }
        origin = mapped;
      }
      const statement = readStatement(envelope);
      if (!subjectMatches(statement, artifact.digest)) problems.push(`evidence ${item.id} is not about ${artifact.digest}`);
      const typeRef = item.evidence_type;
      const typeEntry = tryParseRef(typeRef);
      const mapped = typeEntry ? view.get('evidence-type', typeEntry.id) : undefined;
      if (!mapped || mapped.spec.predicate_type !== statement.predicateType) problems.push(`evidence ${item.id}: predicate type ${statement.predicateType} is not ${typeRef}`);
      // A signature counts only if it was trusted when attached (as logged) and at decision time.
      const attachedAs = Array.isArray(det?.signers) ? (det.signers as { reason?: unknown }[]) : [];
      const signers: EvidenceSignature[] = verifySignatures(envelope, keys).map((r, i) => ({
        signer: r.verified ? r.key : null,
        keyid: r.keyid,
        fingerprint: null,
        verified: r.verified,
        reason: !r.verified || !r.key ? r.reason : attachedAs[origin[i]!]?.reason !== 'verified' ? String(attachedAs[origin[i]!]?.reason ?? 'not_logged') : signatureTrust(view, r.key, typeRef, now),
      }));
      evidence.push({ id: item.id, evidence_type: typeRef, predicate_type: statement.predicateType, statement: statement as unknown as Evidence['statement'], signers, attached_at: item.attached_at });
      const by = signers.filter((s) => s.reason === 'verified').map((s) => s.signer);
      proved.push(`evidence ${item.id} (${typeRef.replace('evidence-type:', '')}) is about this artifact and is signed by ${by.length ? by.join(', ') : 'no trusted signer'}`);
    }
    if (problems.length) return { ok: false, proved, problems, notes };

    // 5. Re-evaluate the policy as it stood when the decision was made.
    const evaluation = evaluateStage({
      artifactType: type,
      stage: decision.stage,
      evidence,
      approvals: proof.approvals ?? [],
      promotedStages: (proof.prior_decisions ?? []).map((d) => d.stage),
      view,
      now,
      registeredBy: artifact.registered_by,
    });
    if (!evaluation.passes) {
      return fail(`re-evaluating ${type.id} rev ${type.revision} for ${decision.stage} from the bundled evidence does not pass: ${evaluation.checks.filter((c) => c.status !== 'satisfied').map((c) => c.detail).join('; ')}`);
    }
    proved.push(`re-evaluating the policy of ${type.id} revision ${type.revision} for stage ${decision.stage} at ${decision.decided_at} passes: ${evaluation.checks.map((c) => c.detail).join('; ')}`);
    proved.unshift(`artifact ${artifact.digest} (${artifact.name} ${artifact.version}, ${artifact.product}) was promoted to ${decision.stage} at ${decision.decided_at} by ${decision.actor}`);
    return { ok: true, proved, problems, notes };
  } catch (err) {
    return fail(`the proof is malformed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
