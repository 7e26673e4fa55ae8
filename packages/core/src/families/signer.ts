import { createPublicKey } from 'node:crypto';
import type { Issue } from '../errors.js';
import { refListSchema, refsAt, type FamilyDefinition } from './family.js';

export const signer: FamilyDefinition = {
  name: 'signer',
  title: 'Signer',
  description: 'A public key trusted to sign evidence of named types, inside a validity window.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['algorithm', 'public_key', 'evidence_types'],
    properties: {
      algorithm: { enum: ['ed25519', 'ecdsa-p256'] },
      public_key: { type: 'string', pattern: '-----BEGIN PUBLIC KEY-----', maxLength: 4096, description: 'PEM SubjectPublicKeyInfo' },
      evidence_types: { ...refListSchema('evidence-type', 1), description: 'evidence types this key may sign' },
      not_before: { type: 'string', format: 'date-time' },
      not_after: { type: 'string', format: 'date-time' },
    },
  },
  contractFields: ['algorithm', 'public_key'],
  referenceFields: [{ path: '/evidence_types/*', families: ['evidence-type'] }],
  references: (spec) => refsAt(spec, 'evidence_types', ['evidence-type']),
  check(spec) {
    const issues: Issue[] = [];
    const problem = publicKeyProblem(String(spec.public_key), spec.algorithm as 'ed25519' | 'ecdsa-p256');
    if (problem) issues.push({ pointer: '/public_key', code: 'INVALID_SPEC', detail: problem });
    if (typeof spec.not_before === 'string' && typeof spec.not_after === 'string' && Date.parse(spec.not_before) >= Date.parse(spec.not_after)) {
      issues.push({ pointer: '/not_after', code: 'INVALID_SPEC', detail: 'not_after must be later than not_before' });
    }
    return issues;
  },
};

/** Why a PEM key cannot serve as the named algorithm, or null. */
export function publicKeyProblem(pem: string, algorithm: 'ed25519' | 'ecdsa-p256'): string | null {
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    return 'public_key is not a PEM public key';
  }
  if (algorithm === 'ed25519' && key.asymmetricKeyType !== 'ed25519') return `public_key is a ${key.asymmetricKeyType} key, not ed25519`;
  if (algorithm === 'ecdsa-p256') {
    if (key.asymmetricKeyType !== 'ec') return `public_key is a ${key.asymmetricKeyType} key, not ECDSA`;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') return `public_key is on curve ${curve ?? 'unknown'}, not P-256`;
  }
  return null;
}
