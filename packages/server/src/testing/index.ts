/** Test support shared by every package's tests (not part of the runtime API). */
export { testEngines, type EngineFactory, type TestDatabase } from './engines.js';
export { startTestServer } from './server.js';
export { call, token, adminToken, type Answer } from './http.js';
export { ed25519, p256, attest, govern, activateSigner, releasePipeline, type KeyPair, type ReleasePipeline } from './trust.js';
export { assertConforms, checkerAt, checkerFor, ContractChecker, type OpenApiDocument, type SeenResponse } from './contract.js';
export { startTestRegistry, registryAvailable, freePort, ociDigest, REGISTRY_BINARY, type TestRegistry } from './oci-registry.js';
export { pushImage, pushIndex, pushCosignAttestations, pushReferrer, type PushedImage } from './oci-images.js';
export { makePki, httpsCall, type TestPki } from './tls.js';
