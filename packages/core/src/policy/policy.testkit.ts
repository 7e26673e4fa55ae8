// Test-only: small registries and evidence for the policy tests.
import { Catalog } from '../catalog.js';
import type { Entry } from '../entry.js';
import type { FamilyName } from '../ids.js';
import type { Approval, Evidence, EvidenceSignature } from './model.js';
import type { StageInput } from './policy.js';

export const T0 = '2026-01-01T00:00:00.000Z';
/** The injected clock: policy never reads the wall clock. */
export const NOW = Date.parse('2026-06-01T00:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const PROVENANCE_URI = 'https://slsa.dev/provenance/v1';
export const VULN_URI = 'https://charter.example/vuln_scan/v1';
export const SBOM_URI = 'https://spdx.dev/Document';
const URIS: Record<string, string> = { slsa_provenance_v1: PROVENANCE_URI, vuln_scan: VULN_URI, sbom: SBOM_URI };
const PEM = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n';

export function entry(family: FamilyName, id: string, over: Partial<Entry> = {}): Entry {
  return {
    family,
    id,
    owner: id.includes('.') ? id.slice(0, id.indexOf('.')) : 'platform',
    lifecycle: 'active',
    title: id,
    description: '',
    labels: {},
    spec: {},
    revision: 1,
    replaced_by: null,
    sunset_at: null,
    activated_at: T0,
    created_at: T0,
    updated_at: T0,
    ...over,
  };
}

export const evidenceType = (id: string, over: Partial<Entry> = {}): Entry =>
  entry('evidence-type', id, {
    spec: { predicate_type: URIS[id] ?? `https://charter.example/${id}`, retention_class: 'standard', signature: 'required' },
    ...over,
  });

export const signer = (id: string, types: string[], over: Partial<Entry> = {}, window: Record<string, string> = {}): Entry =>
  entry('signer', id, {
    spec: { algorithm: 'ed25519', public_key: PEM, evidence_types: types.map((t) => `evidence-type:${t}`), ...window },
    ...over,
  });

/** DESIGN §1's runtime bundle policy: dev → staging → prod. */
export const RUNTIME_STAGES = [
  { name: 'dev', requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'] }] },
  {
    name: 'staging',
    requirements: [
      { evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'] },
      {
        evidence: 'evidence-type:vuln_scan',
        signers: ['signer:platform.scanner', 'signer:platform.backup_scanner'],
        where: { '/predicate/summary/critical': { max: 0 } },
        max_age: '7d',
      },
    ],
  },
  {
    name: 'prod',
    requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci'] }, { approvals: 2 }],
  },
];

export const artifactType = (id: string, stages: unknown[], over: Partial<Entry> = {}): Entry =>
  entry('artifact-type', id, { spec: { media_types: ['application/vnd.gpuaas.runtime-bundle.v1.tar+gzip'], stages }, revision: 3, ...over });

export const BUNDLE = artifactType('gpuaas.runtime_bundle', RUNTIME_STAGES);

/** The registry the policy tests start from; `over` replaces entries by id. */
export function registry(...over: Entry[]): Catalog {
  const base = [
    entry('product', 'platform', { owner: 'platform', spec: { owner_domain: 'platform.example' } }),
    entry('product', 'gpuaas', { owner: 'gpuaas', spec: { owner_domain: 'gpuaas.example' } }),
    evidenceType('slsa_provenance_v1'),
    evidenceType('vuln_scan'),
    evidenceType('sbom'),
    signer('platform.release_ci', ['slsa_provenance_v1', 'sbom']),
    signer('platform.scanner', ['vuln_scan']),
    signer('platform.backup_scanner', ['vuln_scan']),
    BUNDLE,
  ];
  const byKey = new Map(base.map((e) => [`${e.family}:${e.id}`, e]));
  for (const e of over) byKey.set(`${e.family}:${e.id}`, e);
  const c = new Catalog();
  c.apply(byKey.values(), 1);
  return c;
}

/** A signature the server verified with a registry signer's key. */
export const signedBy = (id: string): EvidenceSignature => ({
  signer: `signer:${id}`,
  keyid: null,
  fingerprint: 'aa'.repeat(32),
  verified: true,
  reason: 'verified',
});

/** A signature no registry key verified. */
export const unknownKey = (fingerprint: string | null = '3f2a9c01' + '00'.repeat(28), keyid: string | null = null): EvidenceSignature => ({
  signer: null,
  keyid,
  fingerprint,
  verified: false,
  reason: 'no_matching_key',
});

let counter = 0;

export interface EvidenceOptions {
  id?: string;
  signers?: EvidenceSignature[];
  predicate?: unknown;
  /** How long before NOW it was attached. */
  age?: number;
  attached_at?: string;
}

export function ev(type: string, signerId: string | null, opts: EvidenceOptions = {}): Evidence {
  const predicateType = URIS[type] ?? `https://charter.example/${type}`;
  return {
    id: opts.id ?? `ev_${type}_${++counter}`,
    evidence_type: `evidence-type:${type}`,
    predicate_type: predicateType,
    statement: {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'bundle', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType,
      predicate: opts.predicate ?? {},
    } as Evidence['statement'],
    signers: opts.signers ?? (signerId === null ? [unknownKey()] : [signedBy(signerId)]),
    attached_at: opts.attached_at ?? new Date(NOW - (opts.age ?? HOUR)).toISOString(),
    predicate_time: null,
  };
}

export const provenance = (opts: EvidenceOptions = {}) => ev('slsa_provenance_v1', 'platform.release_ci', opts);
export const scan = (critical: unknown, opts: EvidenceOptions = {}) =>
  ev('vuln_scan', 'platform.scanner', { predicate: { summary: { critical } }, ...opts });

export const approval = (stage: string, principal: string, id = `ap_${++counter}`): Approval => ({
  id,
  stage,
  principal,
  comment: null,
  at: new Date(NOW - HOUR).toISOString(),
});

/** A full StageInput with the default registry and nothing attached; override what a test is about. */
export function input(over: Partial<StageInput> = {}): StageInput {
  return {
    artifactType: BUNDLE,
    stage: 'dev',
    evidence: [],
    approvals: [],
    promotedStages: [],
    view: registry(),
    now: NOW,
    registeredBy: 'ci-bot',
    ...over,
  };
}
