import { RegistryClient, type Descriptor, type Manifest, type Repo } from './client.js';
import { digestTag } from './reference.js';

export interface CopyReport {
  manifests: number;
  blobs: { present: number; mounted: number; streamed: number };
  referrers: number;
}

interface ManifestDoc {
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

/**
 * Copies the manifest `digest` (and, for an index, its child manifests first) from `from` to
 * `to` byte for byte, so the digest is the same; blobs are mounted within one registry and
 * streamed otherwise. Tags it with `tag` when given.
 */
export async function copyManifest(client: RegistryClient, from: Repo, to: Repo, digest: string, tag: string | null, report: CopyReport = emptyReport()): Promise<Manifest> {
  const manifest = await client.requireManifest(from, digest);
  const present = await client.hasManifest(to, digest, RegistryClient.push(to));
  if (!present) {
    const doc = JSON.parse(manifest.bytes.toString('utf8')) as ManifestDoc;
    if (RegistryClient.isIndex(manifest.mediaType)) {
      for (const child of doc.manifests ?? []) await copyManifest(client, from, to, child.digest, null, report);
    } else {
      for (const blob of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) report.blobs[await client.copyBlob(from, to, blob)]++;
    }
    await client.putManifest(to, digest, manifest);
    report.manifests++;
  }
  if (tag) await client.putManifest(to, tag, manifest);
  return manifest;
}

/**
 * Copies what refers to `digest`: OCI 1.1 referrers (API or tag schema; the destination's
 * tag-schema index is merged, never overwritten) and cosign's `.att` and `.sig` tags.
 */
export async function copyReferrers(client: RegistryClient, from: Repo, to: Repo, digest: string, report: CopyReport = emptyReport()): Promise<CopyReport> {
  const { descriptors } = await client.referrers(from, digest);
  const untracked: Descriptor[] = [];
  for (const d of descriptors) {
    await copyManifest(client, from, to, d.digest, null, report);
    report.referrers++;
    untracked.push(d);
  }
  // A registry with the referrers API lists a manifest with `subject` by itself; one without
  // needs the tag-schema index. Asking the destination tells which it is.
  if (untracked.length > 0) {
    const listed = await client.referrers(to, digest);
    if (listed.via === 'tag') await client.addToReferrersTag(to, digest, untracked);
  }
  for (const suffix of ['.att', '.sig']) {
    const tagged = await client.getManifest(from, digestTag(digest, suffix));
    if (!tagged) continue;
    await copyManifest(client, from, to, tagged.digest, digestTag(digest, suffix), report);
    report.referrers++;
  }
  return report;
}

export function emptyReport(): CopyReport {
  return { manifests: 0, blobs: { present: 0, mounted: 0, streamed: 0 }, referrers: 0 };
}
