// The artifact use case as `charter serve` builds it (server.ts), for benchmarks that drive it
// in process: an OCI client with no registries configured and an attestation key in `dir`.
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const { Artifacts } = await import(join(ROOT, 'packages/server/dist/artifacts/artifacts.js'));
const { loadOrCreateAttestationKey } = await import(join(ROOT, 'packages/server/dist/artifacts/vsa.js'));
const { RegistryClient } = await import(join(ROOT, 'packages/server/dist/index.js'));

export function ociDepsFor(dir) {
  return { client: new RegistryClient({ insecure: [] }), attestationKey: loadOrCreateAttestationKey(join(dir, 'attestation-key.pem')), serviceUrl: () => 'http://127.0.0.1' };
}

/** `opened`: what server.openRegistry returned (its registry, and the database the use case is given). */
export function artifactsFor(opened, dir, opts = {}) {
  return new Artifacts(opened.registry, opened.handle.db, ociDepsFor(dir), opts);
}
