import type { Approval, Evidence, EvidenceSignature, ProofDecision } from '@charter/core';
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Artifact {
  digest: string;
  artifact_type: string;
  product: string;
  name: string;
  version: string;
  source: { repo?: string; commit?: string; build_url?: string };
  labels: Record<string, string>;
  registered_by: string;
  registered_at: string;
  audit_index: number;
  /** Where the image lives, when registered by image reference (DESIGN §12). */
  image: ArtifactImage | null;
}

export interface ArtifactImage {
  /** `host[:port]/repo`. */
  repository: string;
  tag: string | null;
}

/** Evidence as stored and served (DESIGN §9 shape plus what policy needs). */
export interface StoredEvidence extends Evidence {
  artifact: string;
  signers: EvidenceSignature[];
  trusted: boolean;
  reasons: string[];
  attached_by: string;
  envelope_digest: string;
  audit_index: number;
}

/**
 * Evidence without its statement, for lists and for policy where the statement is never read:
 * evidence untrusted when attached never counts, so policy only needs its predicate type.
 */
export type EvidenceSummary = Omit<StoredEvidence, 'statement'>;

/** Keyset position in an artifact's evidence, in the order it was attached. */
export interface EvidencePosition {
  attached_at: string;
  id: string;
}

export interface StoredApproval extends Approval {
  artifact: string;
  audit_index: number;
}

/** A promotion decision as stored and served (DESIGN §9 shape); core's type, so proofs carry it unchanged. */
export type Decision = ProofDecision;

function toArtifact(r: Selectable<Database['artifacts']>): Artifact {
  return { ...r, source: JSON.parse(r.source), labels: JSON.parse(r.labels), audit_index: Number(r.audit_index), image: r.image ? JSON.parse(r.image) : null };
}


const SUMMARY_COLUMNS = ['id', 'artifact', 'evidence_type', 'predicate_type', 'signers', 'trusted', 'reasons', 'attached_by', 'attached_at', 'envelope_digest', 'audit_index'] as const;

function toSummary(r: Pick<Selectable<Database['evidence']>, (typeof SUMMARY_COLUMNS)[number]>): EvidenceSummary {
  return {
    id: r.id,
    artifact: r.artifact,
    evidence_type: r.evidence_type,
    predicate_type: r.predicate_type,
    signers: JSON.parse(r.signers),
    trusted: Number(r.trusted) === 1,
    reasons: JSON.parse(r.reasons),
    attached_by: r.attached_by,
    attached_at: r.attached_at,
    envelope_digest: r.envelope_digest,
    audit_index: Number(r.audit_index),
  };
}

function toEvidence(r: Omit<Selectable<Database['evidence']>, 'envelope' | 'canonical_envelope'>): StoredEvidence {
  return { ...toSummary(r), statement: JSON.parse(r.statement) };
}

function toDecision(r: Selectable<Database['decisions']>): Decision {
  const { copy, vsa: _vsa, ...rest } = r;
  return { ...rest, outcome: r.outcome as Decision['outcome'], policy: JSON.parse(r.policy), checks: JSON.parse(r.checks), audit_index: Number(r.audit_index), ...(copy ? { copy: JSON.parse(copy) } : {}) };
}

export const artifactStore = {
  async insertArtifact(db: Db, a: Artifact): Promise<void> {
    await db.insertInto('artifacts').values({ ...a, source: JSON.stringify(a.source), labels: JSON.stringify(a.labels), image: a.image ? JSON.stringify(a.image) : null }).execute();
  },

  async artifact(db: Db, digest: string): Promise<Artifact | undefined> {
    const r = await db.selectFrom('artifacts').selectAll().where('digest', '=', digest).executeTakeFirst();
    return r ? toArtifact(r) : undefined;
  },

  async artifacts(db: Db, q: { product?: string; artifact_type?: string; stage?: string; after?: string; limit: number }): Promise<Artifact[]> {
    let query = db.selectFrom('artifacts').selectAll();
    if (q.product) query = query.where('product', '=', q.product);
    if (q.artifact_type) query = query.where('artifact_type', '=', q.artifact_type);
    if (q.after) query = query.where('digest', '>', q.after);
    if (q.stage) {
      const stage = q.stage;
      query = query.where((eb) => eb.exists(eb.selectFrom('decisions').select('id').whereRef('decisions.artifact', '=', 'artifacts.digest').where('decisions.stage', '=', stage).where('decisions.outcome', '=', 'promoted').where((w) => w.or([w('decisions.copy', 'is', null), w('decisions.copy', 'not like', '%"status":"failed"%')]))));
    }
    return (await query.orderBy('digest').limit(q.limit).execute()).map(toArtifact);
  },

  async insertEvidence(db: Db, e: StoredEvidence, envelope: string, canonical: string | null = null): Promise<void> {
    await db.insertInto('evidence').values(artifactStore.evidenceRow(e, envelope, canonical)).execute();
  },

  /** The row of an evidence item (for a batch's deferred insert). */
  evidenceRow(e: StoredEvidence, envelope: string, canonical: string | null): Insertable<Database['evidence']> {
    return {
      id: e.id,
      artifact: e.artifact,
      evidence_type: e.evidence_type,
      predicate_type: e.predicate_type,
      envelope,
      canonical_envelope: canonical,
      envelope_digest: e.envelope_digest,
      statement: JSON.stringify(e.statement),
      signers: JSON.stringify(e.signers),
      trusted: e.trusted ? 1 : 0,
      reasons: JSON.stringify(e.reasons),
      attached_by: e.attached_by,
      attached_at: e.attached_at,
      audit_index: e.audit_index,
    };
  },

  /** Only to replace an item whose signatures were re-verified (same id, same bytes, new audit event). */
  async deleteEvidence(db: Db, id: string): Promise<void> {
    await db.deleteFrom('evidence').where('id', '=', id).execute();
  },

  /** One page of an artifact's evidence in attach order, without statements or envelopes. */
  async evidenceSummaries(db: Db, artifact: string, q: { after?: EvidencePosition; limit: number }): Promise<EvidenceSummary[]> {
    let query = db.selectFrom('evidence').select(SUMMARY_COLUMNS).where('artifact', '=', artifact);
    const after = q.after;
    if (after) query = query.where((eb) => eb.or([eb('attached_at', '>', after.attached_at), eb.and([eb('attached_at', '=', after.attached_at), eb('id', '>', after.id)])]));
    return (await query.orderBy('attached_at').orderBy('id').limit(q.limit).execute()).map(toSummary);
  },

  /**
   * Everything policy reads about an artifact's evidence: statements of evidence trusted when
   * attached, summaries of the rest (whose statement only says its predicate type).
   */
  async evidenceForPolicy(db: Db, artifact: string): Promise<StoredEvidence[]> {
    const [trusted, untrusted] = await Promise.all([
      db.selectFrom('evidence').selectAll().where('artifact', '=', artifact).where('trusted', '=', 1).execute(),
      db.selectFrom('evidence').select(SUMMARY_COLUMNS).where('artifact', '=', artifact).where('trusted', '=', 0).execute(),
    ]);
    const all: StoredEvidence[] = [...trusted.map(toEvidence), ...untrusted.map((r) => { const e = toSummary(r); return { ...e, statement: { predicateType: e.predicate_type } }; })];
    return all.sort((a, b) => (a.attached_at < b.attached_at ? -1 : a.attached_at > b.attached_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  },

  async countUntrusted(db: Db, artifact: string): Promise<number> {
    const r = await db.selectFrom('evidence').select((eb) => eb.fn.countAll().as('n')).where('artifact', '=', artifact).where('trusted', '=', 0).executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  /** One envelope exactly as submitted, if it belongs to the artifact. */
  async envelope(db: Db, artifact: string, id: string): Promise<string | undefined> {
    const r = await db.selectFrom('evidence').select('envelope').where('artifact', '=', artifact).where('id', '=', id).executeTakeFirst();
    return r?.envelope;
  },

  async evidenceByEnvelope(db: Db, artifact: string, envelopeDigest: string): Promise<StoredEvidence | undefined> {
    const r = await db.selectFrom('evidence').selectAll().where('artifact', '=', artifact).where('envelope_digest', '=', envelopeDigest).executeTakeFirst();
    return r ? toEvidence(r) : undefined;
  },

  /** The envelopes exactly as they were submitted. */
  /** The canonical envelopes (DESIGN §6) of evidence items, null for those without one stored. */
  async canonicalEnvelopes(db: Db, ids: string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom('evidence').select(['id', 'canonical_envelope']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.canonical_envelope]));
  },

  async envelopes(db: Db, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom('evidence').select(['id', 'envelope']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.envelope]));
  },

  async insertApproval(db: Db, a: StoredApproval): Promise<void> {
    await db.insertInto('approvals').values({ ...a, comment: a.comment }).execute();
  },

  async approvals(db: Db, artifact: string): Promise<StoredApproval[]> {
    const rows = await db.selectFrom('approvals').selectAll().where('artifact', '=', artifact).orderBy('at').orderBy('id').execute();
    return rows.map((r) => ({ ...r, audit_index: Number(r.audit_index) }));
  },

  /** `vsa` is the signed verification summary (DSSE JSON) of a promoted decision. */
  async insertDecision(db: Db, d: Decision, vsa: string | null = null): Promise<void> {
    const { copy, ...rest } = d;
    await db.insertInto('decisions').values({ ...rest, policy: JSON.stringify(d.policy), checks: JSON.stringify(d.checks), copy: copy ? JSON.stringify(copy) : null, vsa }).execute();
  },

  /** The verification summary of the newest promoted decision for the stage that has one. */
  async vsa(db: Db, artifact: string, stage: string): Promise<{ decision: string; envelope: string } | undefined> {
    const r = await db.selectFrom('decisions').select(['id', 'vsa']).where('artifact', '=', artifact).where('stage', '=', stage).where('outcome', '=', 'promoted').where('vsa', 'is not', null).orderBy('decided_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
    return r?.vsa ? { decision: r.id, envelope: r.vsa } : undefined;
  },

  async decisions(db: Db, artifact: string): Promise<Decision[]> {
    return (await db.selectFrom('decisions').selectAll().where('artifact', '=', artifact).orderBy('decided_at').orderBy('id').execute()).map(toDecision);
  },

  /**
   * Evidence, approvals and decisions of many artifacts in three queries (a page of the artifact
   * list), without the envelope bytes, grouped by artifact in the same order as the single reads.
   */
  async statesOf(db: Db, digests: readonly string[]): Promise<Map<string, { evidence: StoredEvidence[]; approvals: StoredApproval[]; decisions: Decision[] }>> {
    const out = new Map(digests.map((d) => [d, { evidence: [] as StoredEvidence[], approvals: [] as StoredApproval[], decisions: [] as Decision[] }]));
    if (digests.length === 0) return out;
    const list = [...digests];
    const [evidence, approvals, decisions] = await Promise.all([
      db
        .selectFrom('evidence')
        .select(['id', 'artifact', 'evidence_type', 'predicate_type', 'envelope_digest', 'statement', 'signers', 'trusted', 'reasons', 'attached_by', 'attached_at', 'audit_index'])
        .where('artifact', 'in', list)
        .orderBy('attached_at')
        .orderBy('id')
        .execute(),
      db.selectFrom('approvals').selectAll().where('artifact', 'in', list).orderBy('at').orderBy('id').execute(),
      db.selectFrom('decisions').selectAll().where('artifact', 'in', list).orderBy('decided_at').orderBy('id').execute(),
    ]);
    for (const r of evidence) out.get(r.artifact)?.evidence.push(toEvidence(r));
    for (const r of approvals) out.get(r.artifact)?.approvals.push({ ...r, audit_index: Number(r.audit_index) });
    for (const r of decisions) out.get(r.artifact)?.decisions.push(toDecision(r));
    return out;
  },
};
