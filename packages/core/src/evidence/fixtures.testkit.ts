// Test-only: reads the DSSE part of the interop fixtures (see testing/interop.ts). Tests that
// use it pass `{ skip: interop.skip }`; nothing here reads a file before a test asks for it.
import { interop } from '../testing/interop.js';
import type { KeyAlgorithm, TrustedKey } from './dsse.js';

export { interop };

export function fixtureText(relative: string): string {
  return interop.text('dsse', relative);
}

export function fixtureJson(relative: string): Record<string, unknown> {
  return JSON.parse(fixtureText(relative)) as Record<string, unknown>;
}

/** A key whose PEM is read when first used, so importing this module reads no file. */
export function fixtureKey(id: string, algorithm: KeyAlgorithm, pemFile: string): TrustedKey {
  let pem: string | undefined;
  return {
    id,
    algorithm,
    get publicKey(): string {
      return (pem ??= fixtureText(pemFile));
    },
  };
}

export const KEYS = {
  npm: fixtureKey('npm-attestations', 'ecdsa-p256', 'npm-publish/npm-attestations-key.pub.pem'),
  attestationVerifier: fixtureKey(
    'fe1c6281c5ff13e35286cc67e5a1fb3e6575b840a6c39ca4267d3805eb17288a',
    'ed25519',
    'attestation-verifier-ed25519/key.pub.pem',
  ),
  gcbWorker: fixtureKey(
    'projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/google-hosted-worker/cryptoKeyVersions/1',
    'ecdsa-p256',
    'gcb-slsa/global-pae-google-hosted-worker_1.pub.pem',
  ),
  gcbProvenanceSigner: fixtureKey(
    'projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/provenanceSigner/cryptoKeyVersions/1',
    'ecdsa-p256',
    'gcb-slsa/global-pae-provenanceSigner_1.pub.pem',
  ),
  gcbUsWest2: fixtureKey(
    'projects/verified-builder/locations/us-west2/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1',
    'ecdsa-p256',
    'gcb-slsa/us-west2.pub.pem',
  ),
  dsseSpecP256: fixtureKey('dsse-spec-p256', 'ecdsa-p256', 'dsse-spec/protocol-example-p256.pub.pem'),
  conformanceV3: fixtureKey(
    'conformance-v3-leaf',
    'ecdsa-p256',
    'sigstore-bundles/conformance-happy-path-intoto-in-dsse-v3.leaf-pubkey.pem',
  ),
  conformanceRekor2: fixtureKey(
    'conformance-rekor2-leaf',
    'ecdsa-p256',
    'sigstore-bundles/conformance-rekor2-dsse-happy-path.leaf-pubkey.pem',
  ),
  cosignOci: fixtureKey('cosign-oci-leaf', 'ecdsa-p256', 'sigstore-bundles/cosign-oci-attestation.leaf-pubkey.pem'),
  sigstoreGoProvenance: fixtureKey(
    'sigstore-go-provenance-leaf',
    'ecdsa-p256',
    'sigstore-bundles/sigstore-go-bundle-provenance.leaf-pubkey.pem',
  ),
  negativeLeaf: fixtureKey(
    'negative-leaf',
    'ecdsa-p256',
    'negative/conformance-dsse-invalid-sig_fail.leaf-pubkey.pem',
  ),
} satisfies Record<string, TrustedKey>;

/** Every real envelope whose signatures all verify, with the key that signs it. */
export const VERIFYING: readonly { file: string; key: TrustedKey }[] = [
  { file: 'npm-publish/bundle-publish.sigstore.json', key: KEYS.npm },
  { file: 'attestation-verifier-ed25519/build.fe1c6281.json', key: KEYS.attestationVerifier },
  { file: 'attestation-verifier-ed25519/test.fe1c6281.json', key: KEYS.attestationVerifier },
  { file: 'attestation-verifier-ed25519/clone.fe1c6281.json', key: KEYS.attestationVerifier },
  { file: 'attestation-verifier-ed25519/npm-build.fe1c6281.json', key: KEYS.attestationVerifier },
  { file: 'attestation-verifier-ed25519/npm-publish.fe1c6281.json', key: KEYS.attestationVerifier },
  { file: 'gcb-slsa/slsa-v1.envelope.json', key: KEYS.gcbWorker },
  { file: 'dsse-spec/protocol-example.envelope.json', key: KEYS.dsseSpecP256 },
  { file: 'sigstore-bundles/conformance-happy-path-intoto-in-dsse-v3.sigstore.json', key: KEYS.conformanceV3 },
  { file: 'sigstore-bundles/conformance-rekor2-dsse-happy-path.sigstore.json', key: KEYS.conformanceRekor2 },
  { file: 'sigstore-bundles/cosign-oci-attestation.sigstore.json', key: KEYS.cosignOci },
  { file: 'sigstore-bundles/sigstore-go-bundle-provenance.sigstore.json', key: KEYS.sigstoreGoProvenance },
];

export const ALL_KEYS: readonly TrustedKey[] = Object.values(KEYS);
