import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LogKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Where it was read from or written to. */
  file: string;
  created: boolean;
}

/**
 * The Ed25519 key that signs checkpoints. Generated into the data dir (0600) on first start;
 * replicas sharing one PostgreSQL must be given the same file (CHARTER_LOG_KEY_FILE).
 */
export function loadOrCreateLogKey(file: string): LogKey {
  if (existsSync(file)) {
    const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is a ${privateKey.asymmetricKeyType} key; the audit log key must be Ed25519`);
    return { privateKey, publicKey: createPublicKey(privateKey), file, created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return { privateKey, publicKey, file, created: true };
}
