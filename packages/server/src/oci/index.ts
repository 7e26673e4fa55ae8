/**
 * Charter's OCI distribution client. Other front doors (admission) resolve image references
 * through `resolveImage`; nothing outside this folder speaks the registry protocol.
 */
import { RegistryClient } from './client.js';
import { parseImageRef } from './reference.js';

export { RegistryClient, MEDIA, MANIFEST_ACCEPT, insecureRegistries, digestOf, type Descriptor, type Manifest, type Repo, type RegistryClientOptions, type RegistryStats } from './client.js';
export { parseImageRef, parseRepository, digestTag, REPOSITORY_PATTERN, type ImageRef } from './reference.js';
export { copyManifest, copyReferrers, emptyReport, type CopyReport } from './copy.js';
export { discoverEnvelopes, type Discovery, type FoundEnvelope } from './discover.js';

export interface ResolvedImage {
  /** The manifest digest the reference names now. */
  digest: string;
  /** `host[:port]/repo`. */
  repository: string;
  tag: string | null;
  mediaType: string;
}

/**
 * Resolves `host[:port]/repo[:tag][@sha256:…]` to the manifest digest (OCI manifest or index,
 * Docker v2 manifest or list). With a digest in the reference, the registry must have it.
 * Throws CharterError: INVALID_IMAGE_REF, MANIFEST_UNKNOWN, REGISTRY_UNREACHABLE, REGISTRY_DENIED, REGISTRY_ERROR.
 */
export async function resolveImage(client: RegistryClient, ref: string): Promise<ResolvedImage> {
  const r = parseImageRef(ref);
  const m = await client.requireManifest(r, r.digest ?? r.tag!);
  return { digest: m.digest, repository: r.repository, tag: r.tag, mediaType: m.mediaType };
}
