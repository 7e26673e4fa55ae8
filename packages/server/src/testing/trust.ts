import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signEnvelope } from '@charter/core';
import type { RunningServer } from '../server.js';
import { adminToken, call, token } from './http.js';

export interface KeyPair {
  privateKey: KeyObject;
  publicPem: string;
}

export function ed25519(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function p256(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A signed in-toto Statement v1 about `digest`, as a CI job would produce it. */
export function attest(key: KeyPair, digest: string, predicateType: string, predicate: unknown): string {
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'bundle.tar.gz', digest: { sha256: digest.slice(7) } }], predicateType, predicate };
  return JSON.stringify(signEnvelope('application/vnd.in-toto+json', JSON.stringify(statement), { privateKey: key.privateKey }));
}

/** Submits, approves (by `reviewer`) and applies a change set; throws with the server's answer otherwise. */
export async function govern(server: RunningServer, author: string, reviewer: string, title: string, operations: unknown[]): Promise<void> {
  const s = await call(server, 'POST', '/v1/changesets', { token: author, body: { title, operations } });
  if (s.status !== 201) throw new Error(`submit ${title}: ${s.status} ${s.text}`);
  const a = await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} });
  if (a.status !== 200) throw new Error(`approve ${title}: ${a.status} ${a.text}`);
  const p = await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: author });
  if (p.status !== 200) throw new Error(`apply ${title}: ${p.status} ${p.text}`);
}

/** Sets a signer's real key (it is proposed in the seed) and activates it. */
export function activateSigner(server: RunningServer, id: string, publicPem: string, algorithm: 'ed25519' | 'ecdsa-p256' = 'ed25519', extra: Record<string, unknown> = {}): unknown[] {
  const e = server.registry.catalog.get('signer', id);
  if (!e) {
    return [{ op: 'create', entry: { family: 'signer', id, owner: id.split('.')[0], lifecycle: 'active', title: id, spec: { algorithm, public_key: publicPem, evidence_types: ['evidence-type:slsa_provenance_v1'], ...extra } } }];
  }
  return [
    { op: 'update', family: 'signer', id, expected_revision: e.revision, set: { spec: { ...e.spec, algorithm, public_key: publicPem, ...extra } } },
    { op: 'transition', family: 'signer', id, expected_revision: e.revision, to: 'active' },
  ];
}

/** The principals and keys of a release pipeline against a registry (see `releasePipeline`). */
export interface ReleasePipeline {
  releaseCi: KeyPair;
  scanner: KeyPair;
  /** gpuaas CI: registers artifacts and attaches evidence. */
  ci: string;
  releaser: string;
  alice: string;
  bob: string;
}

/**
 * Activates the release CI and scanner signers with fresh keys, points every stage of artifact
 * type `type` at `<registryHost>/gpuaas-<stage>/trainer`, and mints the tokens a release needs.
 */
export async function releasePipeline(server: RunningServer, dataDir: string, registryHost: string, type: string): Promise<ReleasePipeline> {
  const admin = adminToken(server, dataDir);
  const reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
  const releaseCi = ed25519();
  const scanner = p256();
  const entry = server.registry.catalog.get('artifact-type', type)!;
  const stages = (entry.spec.stages as { name: string }[]).map((s) => ({ ...s, repository: `${registryHost}/gpuaas-${s.name}/trainer` }));
  await govern(server, admin, reviewer, 'signer keys and stage repositories', [
    ...activateSigner(server, 'platform.release_ci', releaseCi.publicPem),
    ...activateSigner(server, 'platform.scanner', scanner.publicPem, 'ecdsa-p256'),
    { op: 'update', family: 'artifact-type', id: type, expected_revision: entry.revision, set: { spec: { ...entry.spec, stages } } },
  ]);
  return {
    releaseCi,
    scanner,
    ci: await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' }),
    releaser: await token(server, admin, 'release-bot', ['scope:platform.artifacts.promote']),
    alice: await token(server, admin, 'alice', ['scope:platform.release.approve']),
    bob: await token(server, admin, 'bob', ['scope:platform.release.approve']),
  };
}
