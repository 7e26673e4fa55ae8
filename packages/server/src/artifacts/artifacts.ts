import { createHash, randomBytes } from 'node:crypto';
import {
  CharterError,
  assertMayActOn,
  assertMayRegister,
  assertNotOwnApproval,
  EvidenceError,
  PolicyError,
  checkEntry,
  evaluateStage,
  explain,
  formatRef,
  jsonProblem,
  canonicalEnvelope as canonicalDsse,
  describeSignature,
  parseEnvelope,
  readStages,
  readStatement,
  toTrustMaterial,
  subjectMatches,
  tryParseRef,
  unpinned,
  validateEmbedded,
  verifySignatures,
  verifySignaturesAsync,
  type Entry,
  type EvidenceSignature,
  type Explanation,
  type TrustMaterial,
} from '@charter/core';
import type { Kysely } from 'kysely';
import { ACTIONS, type Actor, type Registry } from '../registry/registry.js';
import { copyManifest, copyReferrers, digestOf, discoverEnvelopes, MEDIA, parseImageRef, parseRepository, resolveImage, RegistryClient, type Descriptor, type Repo } from '../oci/index.js';
import { artifactStore, type Artifact, type ArtifactImage, type Decision, type EvidencePosition, type EvidenceSummary, type StoredApproval, type StoredEvidence } from '../store/artifact-store.js';
import type { Database } from '../store/schema.js';
export type { Artifact, ArtifactImage, Decision, EvidencePosition, StoredApproval, StoredEvidence } from '../store/artifact-store.js';
import { policyDigest, sha256hex, signVsa, vsaStatement, type AttestationKey } from './vsa.js';
import { DeployChecks, loadState, stageInput, type ArtifactState, type DeployCheck } from './deploy-check.js';

export type { ArtifactState, DeployCheck } from './deploy-check.js';
export { counts } from './deploy-check.js';

export const DIGEST_PATTERN = '^sha256:[0-9a-f]{64}$';
const DIGEST = new RegExp(DIGEST_PATTERN);

export interface RegisterRequest {
  /** The digest, or an image reference to resolve it from (or both: they must agree). */
  digest?: string;
  image?: string;
  artifact_type: string;
  /** Defaults to the artifact type's owner. */
  product?: string;
  name: string;
  version: string;
  source?: { repo?: string; commit?: string; build_url?: string };
  labels?: Record<string, string>;
}

/** What the artifact trust path needs to speak to OCI registries and sign verification summaries. */
export interface OciDeps {
  client: RegistryClient;
  attestationKey: AttestationKey;
  /** The service's own URL: a VSA's verifier.id. */
  serviceUrl: () => string;
  /** Largest envelope taken from a registry, bytes (the same limit as a posted one). */
  evidenceLimit?: number;
}

export interface DiscoverResult {
  discovered: number;
  attached: StoredEvidence[];
  skipped: { descriptor: Descriptor; reason: string }[];
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

function sha256(bytes: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** Artifact-type IDs are accepted bare or as refs. */
function typeId(ref: string): string {
  const p = tryParseRef(ref);
  return p?.family === 'artifact-type' ? p.id : ref;
}

/**
 * The artifact trust path: register by digest, attach verified evidence, record approvals,
 * decide promotions by the artifact type's policy, explain, and answer the deploy check.
 */
export class Artifacts {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;
  /** The deploy-check decision core; every write below invalidates the digest it touched. */
  readonly deployChecks: DeployChecks;
  #trust: TrustMaterial | undefined;
  readonly #untrustedCap: number;
  /** Attaches in progress in this process, by artifact and envelope digest. */
  readonly #attaching = new Map<string, Promise<{ evidence: StoredEvidence; created: boolean }>>();

  readonly #oci: OciDeps;

  /** `untrustedPerArtifact`: untrusted evidence items kept per artifact (default 20). */
  constructor(registry: Registry, db: Kysely<Database>, oci: OciDeps, opts: { untrustedPerArtifact?: number } = {}) {
    this.#registry = registry;
    this.#db = db;
    this.#oci = oci;
    this.#untrustedCap = opts.untrustedPerArtifact ?? 20;
    this.deployChecks = new DeployChecks(registry, db);
  }

  get attestationKey(): AttestationKey {
    return this.#oci.attestationKey;
  }

  #now(): number {
    return this.#registry.now().getTime();
  }

  #usable(family: 'artifact-type' | 'product' | 'evidence-type', entryId: string): Entry {
    const entry = this.#registry.catalog.get(family, entryId);
    const answer = checkEntry(formatRef(family, entryId), entry, this.#now());
    if (!entry || !answer.allowed) {
      throw new CharterError('UNUSABLE_ENTRY', `${family}:${entryId} is ${entry ? answer.reason : 'not in the registry'}: it cannot be used (fail closed)`, {
        extra: { ref: formatRef(family, entryId), reason: answer.reason },
      });
    }
    return entry;
  }

  #requireDigest(digest: string): void {
    if (!DIGEST.test(digest)) {
      throw new CharterError('MALFORMED_REQUEST', `'${digest}' is not a digest: sha256: followed by 64 lowercase hex characters`, { errors: [{ pointer: '/digest', code: 'MALFORMED_REQUEST', detail: 'sha256:<64 lowercase hex>' }] });
    }
  }

  async get(digest: string): Promise<Artifact> {
    this.#requireDigest(digest);
    const a = await artifactStore.artifact(this.#db, digest);
    if (!a) throw new CharterError('NOT_FOUND', `no artifact ${digest}`);
    return a;
  }

  list(q: { product?: string; artifact_type?: string; stage?: string; after?: string; limit: number }): Promise<Artifact[]> {
    return artifactStore.artifacts(this.#db, { ...q, ...(q.artifact_type ? { artifact_type: typeId(q.artifact_type) } : {}) });
  }

  async register(req: RegisterRequest, actor: Actor): Promise<{ artifact: Artifact; created: boolean }> {
    if (req.digest === undefined && req.image === undefined) {
      throw new CharterError('MALFORMED_REQUEST', 'name the artifact by digest, by image reference, or both', { errors: [{ pointer: '/digest', code: 'MALFORMED_REQUEST', detail: 'digest or image is required' }] });
    }
    if (req.digest !== undefined) this.#requireDigest(req.digest);
    const typeEntry = this.#usable('artifact-type', typeId(req.artifact_type));
    const product = req.product ?? typeEntry.owner;
    this.#usable('product', product);
    const { principal } = actor;
    assertMayRegister(principal, product, typeEntry);
    let digest = req.digest;
    let image: ArtifactImage | null = null;
    if (req.image !== undefined) {
      const ref = parseImageRef(req.image);
      if (digest !== undefined && ref.digest !== null && ref.digest !== digest) throw mismatch(digest, ref.digest, req.image);
      // Resolved only after the caller is known to be allowed: the registry is asked nothing otherwise.
      const resolved = await resolveImage(this.#oci.client, req.image);
      if (digest !== undefined && resolved.digest !== digest) throw mismatch(digest, resolved.digest, req.image);
      digest = resolved.digest;
      image = { repository: resolved.repository, tag: resolved.tag };
    }
    const artifactDigest = digest!;
    const wanted = { artifact_type: typeEntry.id, product, name: req.name, version: req.version, source: req.source ?? {}, labels: req.labels ?? {}, image };
    const existing = await artifactStore.artifact(this.#db, artifactDigest);
    if (existing) return { artifact: this.#same(existing, wanted), created: false };
    try {
      const { value } = await this.#registry.mutate(actor, ACTIONS.artifactRegister, async (trx, at, audit_index) => {
        const artifact: Artifact = { digest: artifactDigest, ...wanted, registered_by: principal.name, registered_at: at, audit_index };
        await artifactStore.insertArtifact(trx, artifact);
        return { value: artifact, subject: [artifactDigest, formatRef('artifact-type', typeEntry.id)], details: artifact };
      });
      this.deployChecks.invalidate(artifactDigest);
      return { artifact: value, created: true };
    } catch (err) {
      // A concurrent registration of the same digest won the insert: answer as if we were second.
      const raced = await artifactStore.artifact(this.#db, artifactDigest);
      if (raced) return { artifact: this.#same(raced, wanted), created: false };
      throw err;
    }
  }

  #same(existing: Artifact, wanted: Omit<Artifact, 'digest' | 'registered_by' | 'registered_at' | 'audit_index'>): Artifact {
    const differs = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((k) => JSON.stringify(existing[k]) !== JSON.stringify(wanted[k]));
    if (differs.length > 0) {
      throw new CharterError('ARTIFACT_CONFLICT', `${existing.digest} is already registered with different ${differs.join(', ')}`, {
        errors: differs.map((k) => ({ pointer: `/${k}`, code: 'ARTIFACT_CONFLICT' as const, detail: `registered as ${JSON.stringify(existing[k])}` })),
      });
    }
    return existing;
  }

  /** The trust material now; its imported keys are reused while the registry sequence stands still. */
  #trustMaterial(): TrustMaterial {
    this.#trust = toTrustMaterial(this.#registry.catalog, this.#now(), this.#trust);
    return this.#trust;
  }

  /**
   * Verifies and stores a DSSE envelope. Malformed input is refused; a well-formed envelope no
   * trusted signer verifies is kept, marked untrusted with the reason, and never counts.
   */
  async attach(digest: string, raw: Buffer, actor: Actor): Promise<{ evidence: StoredEvidence; created: boolean }> {
    const artifact = await this.get(digest);
    assertMayActOn(actor.principal, artifact);
    const envelopeDigest = sha256(raw);
    // The same bytes already on their way in (a retrying client, two CI jobs): one attach stores
    // them and the other answers with that item, as for bytes attached before.
    const key = `${digest} ${envelopeDigest}`;
    const inFlight = this.#attaching.get(key);
    if (inFlight) {
      const first = await inFlight.catch(() => null);
      if (first) return { evidence: first.evidence, created: false };
    }
    const attempt = this.#attach(digest, raw, envelopeDigest, actor);
    this.#attaching.set(key, attempt);
    try {
      return await attempt;
    } finally {
      if (this.#attaching.get(key) === attempt) this.#attaching.delete(key);
    }
  }

  async #attach(digest: string, raw: Buffer, envelopeDigest: string, actor: Actor): Promise<{ evidence: StoredEvidence; created: boolean }> {
    const existing = await artifactStore.evidenceByEnvelope(this.#db, digest, envelopeDigest);
    // The same bytes again: idempotent, unless they were not trusted when attached (e.g. the
    // signer's real key was registered, or the signer re-enabled, since): then they are re-verified.
    if (existing && existing.signers.some((s) => s.reason === 'verified')) return { evidence: existing, created: false };

    let envelope;
    let statement;
    try {
      envelope = parseEnvelope(raw);
      statement = readStatement(envelope);
    } catch (err) {
      if (err instanceof EvidenceError) {
        // Refusals the design names (DESIGN §6) keep their own code; other malformations are INVALID_EVIDENCE.
        const code = err.code === 'DIGEST_NOT_LOWERCASE' || err.code === 'DUPLICATE_MEMBER' ? err.code : 'INVALID_EVIDENCE';
        throw new CharterError(code, err.message, { errors: [{ pointer: err.pointer, code: code === 'INVALID_EVIDENCE' ? err.code : code, detail: err.message }] });
      }
      throw err;
    }
    const base = envelope.pointer;
    // The statement is stored, validated and re-serialized by recursive code: its depth is bounded first.
    const shape = jsonProblem(statement, { base: `${base}/payload` });
    if (shape) throw new CharterError('INVALID_EVIDENCE', `the statement ${shape.detail}`, { errors: [{ pointer: shape.pointer, code: 'INVALID_EVIDENCE', detail: shape.detail }] });
    if (!subjectMatches(statement, digest)) {
      throw new CharterError('SUBJECT_MISMATCH', `no subject of this statement has sha256 ${digest.slice(7)}; evidence must name the artifact it is about`, {
        errors: [{ pointer: `${base}/payload/subject`, code: 'SUBJECT_MISMATCH', detail: `subjects: ${statement.subject.map((s) => s.digest.sha256 ?? '?').join(', ')}` }],
      });
    }
    const trust = this.#trustMaterial();
    const mapped = trust.evidenceTypeFor(statement.predicateType);
    if (!mapped.entry) {
      throw new CharterError('UNKNOWN_EVIDENCE_TYPE', `${mapped.detail}: evidence of an unknown type is refused`, { errors: [{ pointer: `${base}/payload/predicateType`, code: 'UNKNOWN_EVIDENCE_TYPE', detail: mapped.detail }] });
    }
    const evidenceType = mapped.entry;
    const schema = evidenceType.spec.predicate_schema;
    if (schema !== undefined) {
      const issues = validateEmbedded(schema, statement.predicate, `${base}/payload/predicate`, 'INVALID_EVIDENCE');
      if (issues.length) throw new CharterError('INVALID_EVIDENCE', `the predicate does not satisfy evidence type ${evidenceType.id}: ${issues.map((i) => `${i.pointer} ${i.detail}`).join('; ')}`, { errors: issues });
    }
    const typeRef = formatRef('evidence-type', evidenceType.id);
    // On the thread pool: concurrent attaches verify on the other core while this one commits.
    const results = await verifySignaturesAsync(envelope, trust.keys);
    const signers: EvidenceSignature[] = trust.judge(results, typeRef);
    // What any DSSE verifier can check (DESIGN §6): kept beside the bytes as received.
    const canonical = canonicalDsse(envelope, results);
    const canonicalText = canonical === null ? null : JSON.stringify(canonical);
    const trusted = signers.some((s) => s.reason === 'verified');
    const reasons = signers.filter((s) => s.reason !== 'verified').map((s) => describeSignature(s, evidenceType.id));
    if (existing && !trusted) return { evidence: existing, created: false };
    const stored = this.#registry.mutate(actor, ACTIONS.evidenceAttach, async (trx, at, auditIndex, later) => {
      if (existing) await artifactStore.deleteEvidence(trx, existing.id);
      // Untrusted evidence is kept with its reason but never counts; anyone who may attach could
      // otherwise pile it up without bound. Counted inside the transaction, so racers cannot pass together.
      else if (!trusted && (await artifactStore.countUntrusted(trx, digest)) >= this.#untrustedCap) {
        throw new CharterError('EVIDENCE_LIMIT', `${digest} already holds ${this.#untrustedCap} untrusted evidence items, the most this server keeps per artifact; evidence a registered signer verifies is still accepted`, {
          errors: [{ pointer: '', code: 'EVIDENCE_LIMIT', detail: `at most ${this.#untrustedCap} untrusted items per artifact` }],
        });
      }
      const evidence: StoredEvidence = {
        id: existing?.id ?? id('ev'),
        artifact: digest,
        evidence_type: typeRef,
        predicate_type: statement.predicateType,
        statement: statement as unknown as StoredEvidence['statement'],
        signers,
        trusted,
        reasons,
        attached_by: actor.principal.name,
        attached_at: at,
        envelope_digest: envelopeDigest,
        audit_index: auditIndex,
      };
      // New trusted evidence is read by nothing else in its batch (the untrusted cap counts only
      // untrusted items): written with the batch's other new evidence in one insert.
      if (trusted && !existing) later.insert('evidence', artifactStore.evidenceRow(evidence, raw.toString('utf8'), canonicalText));
      else await artifactStore.insertEvidence(trx, evidence, raw.toString('utf8'), canonicalText);
      return {
        value: evidence,
        subject: [digest, evidence.id, envelopeDigest],
        details: { evidence: evidence.id, artifact: digest, evidence_type: typeRef, envelope_digest: envelopeDigest, canonical_digest: canonicalText === null ? null : sha256(canonicalText), trusted, reverified: existing !== undefined, signers: signers.map((s) => ({ signer: s.signer, verified: s.verified, reason: s.reason })) },
      };
    });
    let value: StoredEvidence;
    try {
      ({ value } = await stored);
    } catch (err) {
      // Another replica stored the same bytes between our look and our write (the database's
      // unique key on artifact and envelope digest refused ours): answer with its item.
      if (err instanceof CharterError || existing) throw err;
      const theirs = await artifactStore.evidenceByEnvelope(this.#db, digest, envelopeDigest);
      if (!theirs || theirs.trusted !== trusted) throw err;
      return { evidence: theirs, created: false };
    }
    this.deployChecks.invalidate(digest);
    return { evidence: value, created: existing === undefined };
  }

  /**
   * Finds the attestations pushed beside the artifact's image and attaches each exactly as if it
   * had been posted. Idempotent: envelopes attached before are listed again, not duplicated.
   */
  async discover(digest: string, actor: Actor): Promise<DiscoverResult> {
    const artifact = await this.get(digest);
    assertMayActOn(actor.principal, artifact);
    if (!artifact.image) {
      throw new CharterError('MALFORMED_REQUEST', `${digest} was registered by digest only: Charter does not know where its image lives (register it with an image reference)`, { errors: [{ pointer: '/image', code: 'MALFORMED_REQUEST', detail: 'no image recorded' }] });
    }
    const repo = parseRepository(artifact.image.repository);
    const found = await discoverEnvelopes(this.#oci.client, repo, digest, this.#oci.evidenceLimit);
    const result: DiscoverResult = { discovered: found.envelopes.length, attached: [], skipped: [...found.skipped] };
    for (const { descriptor, bytes } of found.envelopes) {
      try {
        result.attached.push((await this.attach(digest, bytes, actor)).evidence);
      } catch (err) {
        // What the registry holds is not Charter's to vouch for: an envelope it cannot take is reported, not fatal.
        if (err instanceof CharterError && ['INVALID_EVIDENCE', 'SUBJECT_MISMATCH', 'UNKNOWN_EVIDENCE_TYPE', 'MALFORMED_REQUEST', 'PAYLOAD_TOO_LARGE'].includes(err.code)) {
          result.skipped.push({ descriptor, reason: `${err.code}: ${err.message}` });
        } else throw err;
      }
    }
    return result;
  }

  /** One page of an artifact's evidence, in attach order, as summaries (the statement is in the envelope). */
  async evidence(digest: string, page: { after?: EvidencePosition; limit: number }): Promise<EvidenceSummary[]> {
    await this.get(digest);
    return artifactStore.evidenceSummaries(this.#db, digest, page);
  }

  async envelope(digest: string, evidenceId: string): Promise<string> {
    const env = await artifactStore.envelope(this.#db, digest, evidenceId);
    if (env === undefined) throw new CharterError('NOT_FOUND', `no evidence ${evidenceId} on ${digest}`);
    return env;
  }

  /** Records a release approval; the same principal approving the same stage again gets the first one back (created: false). */
  async approve(digest: string, stage: string, comment: string | null, actor: Actor): Promise<{ approval: StoredApproval; created: boolean }> {
    const artifact = await this.get(digest);
    assertMayActOn(actor.principal, artifact);
    const type = this.#registry.catalog.get('artifact-type', artifact.artifact_type);
    const stages = type ? readStages(type).map((s) => s.name) : [];
    if (!stages.includes(stage)) throw new CharterError('UNKNOWN_STAGE', `artifact type ${artifact.artifact_type} has no stage '${stage}' (stages: ${stages.join(', ')})`, { errors: [{ pointer: '/stage', code: 'UNKNOWN_STAGE', detail: stages.join(', ') }] });
    // Approvals are evidence of the registry's `approval` type: with it unusable, none are taken.
    this.#usable('evidence-type', 'approval');
    assertNotOwnApproval(actor.principal, artifact.registered_by, `registered ${digest}; its release`);
    const existing = (await artifactStore.approvals(this.#db, digest)).find((a) => a.stage === stage && a.principal === actor.principal.name);
    if (existing) return { approval: existing, created: false };
    const { value } = await this.#registry.mutate(actor, ACTIONS.approvalRecord, async (trx, at, audit_index) => {
      const approval: StoredApproval = { id: id('ap'), artifact: digest, stage, principal: actor.principal.name, comment, at, audit_index };
      await artifactStore.insertApproval(trx, approval);
      return { value: approval, subject: [digest, approval.id], details: { approval: approval.id, artifact: digest, stage, principal: approval.principal, comment } };
    });
    this.deployChecks.invalidate(digest);
    return { approval: value, created: true };
  }

  async approvals(digest: string): Promise<StoredApproval[]> {
    await this.get(digest);
    return artifactStore.approvals(this.#db, digest);
  }

  #state(digest: string): Promise<ArtifactState | null> {
    return loadState(this.#db, digest);
  }

  #input(state: ArtifactState, type: Entry) {
    const { stage: _, ...input } = stageInput(state, type, '', this.#registry, this.#now());
    return input;
  }

  /** The artifact type as the registry holds it now (even disabled: policy then fails closed and says so). */
  #typeOf(artifact: Artifact): Entry {
    const type = this.#registry.catalog.get('artifact-type', artifact.artifact_type);
    if (!type) throw new CharterError('UNUSABLE_ENTRY', `artifact type ${artifact.artifact_type} is not in the registry`);
    return type;
  }

  /** Records a decision for every request, promoted or denied, with its audit event. */
  async promote(digest: string, stage: string, actor: Actor): Promise<Decision> {
    assertMayActOn(actor.principal, await this.get(digest));
    const state = (await this.#state(digest))!;
    const type = this.#typeOf(state.artifact);
    let evaluation;
    try {
      evaluation = evaluateStage({ ...this.#input(state, type), stage });
    } catch (err) {
      if (err instanceof PolicyError && err.code === 'UNKNOWN_STAGE') throw new CharterError('UNKNOWN_STAGE', err.message, { errors: [{ pointer: '/stage', code: 'UNKNOWN_STAGE', detail: err.message }] });
      throw err;
    }
    const registry: Record<string, number> = { [formatRef('artifact-type', type.id)]: type.revision };
    // The chain: this stage stands on every earlier one, so all their registry entries were consulted.
    const names = readStages(type).map((x) => x.name);
    const chain = names.slice(0, Math.max(0, names.indexOf(stage)) + 1);
    for (const ref of chain.flatMap((st) => referencedBy(type, st))) {
      const p = tryParseRef(ref);
      const e = p ? this.#registry.catalog.get(p.family, p.id) : undefined;
      if (p && e) registry[formatRef(p.family, p.id)] = e.revision;
    }
    const evaluatedAt = this.#registry.now().toISOString();
    const stageSpec = readStages(type).find((x) => x.name === stage)!;
    let copy: Decision['copy'];
    let vsa: string | null = null;
    if (evaluation.passes) {
      const resourceUri = stageSpec.repository && state.artifact.image ? `${stageSpec.repository}@${digest}` : state.artifact.image ? `${state.artifact.image.repository}@${digest}` : `charter:artifact:${digest}`;
      const envelope = signVsa(vsaStatement({
        serviceUrl: this.#oci.serviceUrl(),
        artifactDigest: digest,
        resourceUri,
        timeVerified: evaluatedAt,
        policy: { uri: `${this.#oci.serviceUrl()}/v1/entries/artifact-type/${type.id}?revision=${type.revision}#stage=${stage}`, digest: policyDigest(stageSpec) },
        inputs: await this.#inputAttestations(state, evaluation.checks),
        stage,
      }), this.#oci.attestationKey);
      vsa = JSON.stringify(envelope);
      if (stageSpec.repository) copy = await this.#copy(state.artifact, stageSpec.repository, Buffer.from(vsa));
      else if (state.artifact.image) await this.#pushVsa(parseRepository(state.artifact.image.repository), digest, Buffer.from(vsa)).catch(() => undefined);
    }
    const { value } = await this.#registry.mutate(actor, ACTIONS.promotionDecide, async (trx, at, auditIndex) => {
      const decision: Decision = {
        id: id('dec'),
        artifact: digest,
        stage,
        outcome: evaluation.passes ? 'promoted' : 'denied',
        policy: { artifact_type: type.id, revision: type.revision, registry },
        checks: evaluation.checks,
        actor: actor.principal.name,
        decided_at: at,
        audit_index: auditIndex,
        ...(copy ? { copy } : {}),
      };
      // A failed copy gets no summary: nothing was verified into the stage's repository.
      await artifactStore.insertDecision(trx, decision, copy?.status === 'failed' ? null : vsa);
      return { value: decision, subject: [digest, decision.id], details: decision };
    });
    this.deployChecks.invalidate(digest);
    return value;
  }

  /**
   * The canonical form (DESIGN §6) of each evidence item, as the text stored at attach. Evidence
   * without a verified signature has none (it never counts) and is absent from the map; evidence
   * attached before canonical forms were stored gets one derived now from the same bytes. Release
   * proofs bundle these texts and VSAs name their SHA-256, so both rest on one form.
   */
  async canonicalEnvelopes(evidence: readonly Pick<StoredEvidence, 'id' | 'signers'>[]): Promise<Map<string, string>> {
    const ids = evidence.map((e) => e.id);
    const stored = await artifactStore.canonicalEnvelopes(this.#db, ids);
    const missing = evidence.filter((e) => (stored.get(e.id) ?? null) === null && e.signers.some((s) => s.verified)).map((e) => e.id);
    const received = await artifactStore.envelopes(this.#db, missing);
    const canonical = new Map<string, string>();
    for (const e of evidence) {
      let text = stored.get(e.id) ?? null;
      if (text === null && received.has(e.id)) {
        const envelope = parseEnvelope(received.get(e.id)!);
        const derived = canonicalDsse(envelope, verifySignatures(envelope, toTrustMaterial(this.#registry.catalog, this.#registry.now().getTime()).keys));
        text = derived === null ? null : JSON.stringify(derived);
      }
      if (text !== null) canonical.set(e.id, text);
    }
    return canonical;
  }

  /** sha256 of the canonical form of every envelope the satisfied checks relied on. */
  async #inputAttestations(state: ArtifactState, checks: readonly { status: string; evidence: string[] }[]): Promise<{ uri: string; sha256: string }[]> {
    const used = new Set(checks.filter((c) => c.status === 'satisfied').flatMap((c) => c.evidence));
    const items = state.evidence.filter((e) => used.has(e.id));
    const canonical = await this.canonicalEnvelopes(items);
    return items.filter((e) => canonical.has(e.id)).map((e) => ({ uri: `${this.#oci.serviceUrl()}/v1/artifacts/${e.artifact}/evidence/${e.id}`, sha256: sha256hex(canonical.get(e.id)!) }));
  }

  /**
   * Copies the image into the stage repository (same digest, tagged with the version), its
   * referrers along, and pushes the VSA beside it. Any failure is recorded, never thrown: the
   * decision must say what happened.
   */
  async #copy(artifact: Artifact, repository: string, vsa: Buffer): Promise<NonNullable<Decision['copy']>> {
    const tag = artifact.version.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]/, '_').slice(0, 128);
    const base = { repository, tag };
    if (!artifact.image) return { ...base, status: 'failed', detail: `${artifact.digest} was registered by digest only: Charter does not know where its image lives, so it cannot copy it (register it with --image)` };
    try {
      const from = parseRepository(artifact.image.repository);
      const to = parseRepository(repository);
      const manifest = await copyManifest(this.#oci.client, from, to, artifact.digest, tag);
      const refs = await copyReferrers(this.#oci.client, from, to, artifact.digest);
      await this.#pushVsa(to, artifact.digest, vsa, manifest.mediaType, manifest.bytes.length);
      return { ...base, status: 'done', detail: `copied ${artifact.image.repository}@${artifact.digest} to ${repository}:${tag} with ${refs.referrers} referrer(s); verification summary pushed as a referrer` };
    } catch (err) {
      if (err instanceof CharterError) return { ...base, status: 'failed', detail: err.message };
      throw err;
    }
  }

  /** Pushes a VSA as an OCI 1.1 referrer of `digest` (listed in the tag-schema index where the API is missing). */
  async #pushVsa(repo: Repo, digest: string, vsa: Buffer, mediaType?: string, size?: number): Promise<void> {
    const client = this.#oci.client;
    if (mediaType === undefined || size === undefined) {
      const m = await client.requireManifest(repo, digest);
      mediaType = m.mediaType;
      size = m.bytes.length;
    }
    const empty = await client.pushBlob(repo, Buffer.from('{}'));
    const layer = await client.pushBlob(repo, vsa);
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType: MEDIA.dsse,
      config: { mediaType: MEDIA.empty, digest: empty.digest, size: empty.size },
      layers: [{ mediaType: MEDIA.dsse, digest: layer.digest, size: layer.size, annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/verification_summary/v1' } }],
      subject: { mediaType, digest, size },
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = digestOf(bytes);
    const { subjectHandled } = await client.putManifest(repo, manifestDigest, { bytes, mediaType: MEDIA.ociManifest, digest: manifestDigest });
    if (!subjectHandled) await client.addToReferrersTag(repo, digest, [{ mediaType: MEDIA.ociManifest, digest: manifestDigest, size: bytes.length, artifactType: MEDIA.dsse }]);
  }

  /** The signed VSA of the newest promoted decision for `stage` (DSSE JSON). */
  async vsa(digest: string, stage: string): Promise<string> {
    await this.get(digest);
    const found = await artifactStore.vsa(this.#db, digest, stage);
    if (!found) throw new CharterError('NOT_FOUND', `${digest} has no verification summary for stage '${stage}': it was not promoted there (or its copy failed)`);
    return found.envelope;
  }

  async decisions(digest: string): Promise<Decision[]> {
    await this.get(digest);
    return artifactStore.decisions(this.#db, digest);
  }

  async explain(digest: string): Promise<{ artifact: Artifact; explanation: Explanation<Decision> }> {
    await this.get(digest);
    const state = (await this.#state(digest))!;
    const type = this.#typeOf(state.artifact);
    return { artifact: state.artifact, explanation: explain({ ...this.#input(state, type), decisions: state.decisions }) };
  }

  /** The admission hook: allowed only if promoted to `stage` and still trusted now (DeployChecks decides). */
  async check(digest: string, stage: string): Promise<DeployCheck> {
    this.#requireDigest(digest);
    return (await this.deployChecks.verdict(digest, stage)).check;
  }

  /** The deploy check over state already loaded (the artifact page shows it for every stage without reloading): the same core. */
  deployCheckOf(state: ArtifactState, stage: string): DeployCheck {
    return this.deployChecks.judgeState(state, state.artifact.digest, stage).check;
  }

  /**
   * Explains a page of artifacts from three queries in all (not several per artifact): the list
   * page's trust column. An artifact whose type is gone gets its error instead.
   */
  async explainMany(list: readonly Artifact[]): Promise<{ artifact: Artifact; explanation: Explanation<Decision> | null; error?: string }[]> {
    const states = await artifactStore.statesOf(this.#db, list.map((a) => a.digest));
    return list.map((artifact) => {
      const s = states.get(artifact.digest)!;
      const state: ArtifactState = { artifact, ...s };
      try {
        const type = this.#typeOf(artifact);
        return { artifact, explanation: explain({ ...this.#input(state, type), decisions: state.decisions }) };
      } catch (err) {
        return { artifact, explanation: null, error: err instanceof Error ? err.message : String(err) };
      }
    });
  }

  /** Everything the artifact page shows, from one load: explanation, stored state and the deploy check of every stage. */
  async page(digest: string): Promise<{ artifact: Artifact; explanation: Explanation<Decision>; state: ArtifactState; deploy: DeployCheck[] }> {
    this.#requireDigest(digest);
    const state = await this.#state(digest);
    if (!state) throw new CharterError('NOT_FOUND', `no artifact ${digest}`);
    const type = this.#typeOf(state.artifact);
    const explanation = explain({ ...this.#input(state, type), decisions: state.decisions });
    return { artifact: state.artifact, explanation, state, deploy: explanation.stages.map((s) => this.deployCheckOf(state, s.stage)) };
  }

  /** Loaded state for proofs. */
  async stateFor(digest: string): Promise<ArtifactState> {
    await this.get(digest);
    return (await this.#state(digest))!;
  }
}

/** Every registry ref a stage's requirements name (evidence types and signers). */
export function referencedBy(type: Entry, stage: string): string[] {
  const s = readStages(type).find((x) => x.name === stage);
  const out = new Set<string>();
  for (const r of s?.requirements ?? []) {
    const req = r as { evidence?: unknown; signers?: unknown };
    if (typeof req.evidence === 'string') out.add(unpinned(req.evidence));
    if (Array.isArray(req.signers)) for (const x of req.signers) if (typeof x === 'string') out.add(unpinned(x));
  }
  return [...out];
}

function mismatch(digest: string, resolved: string, image: string): CharterError {
  return new CharterError('IMAGE_DIGEST_MISMATCH', `${image} resolves to ${resolved}, not to the digest given (${digest})`, {
    errors: [{ pointer: '/digest', code: 'IMAGE_DIGEST_MISMATCH', detail: `the image resolves to ${resolved}` }],
    extra: { resolved },
  });
}
