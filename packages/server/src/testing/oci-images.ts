import { randomBytes } from 'node:crypto';
import { MEDIA, digestOf, type Descriptor, type RegistryClient, type Repo } from '../oci/client.js';
import { digestTag } from '../oci/reference.js';

export interface PushedImage {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
  layers: Descriptor[];
}

/** Pushes a small image written by code: random layers, a config, an OCI or Docker v2 manifest. */
export async function pushImage(client: RegistryClient, repo: Repo, opts: { tag?: string; layers?: number; layerBytes?: number; format?: 'oci' | 'docker' } = {}): Promise<PushedImage> {
  const docker = opts.format === 'docker';
  const layers: Descriptor[] = [];
  for (let i = 0; i < (opts.layers ?? 2); i++) {
    const blob = await client.pushBlob(repo, randomBytes(opts.layerBytes ?? 1024));
    layers.push({ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob.digest, size: blob.size });
  }
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: {} }));
  const config = await client.pushBlob(repo, configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? MEDIA.dockerManifest : MEDIA.ociManifest,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers,
  };
  // Indented on purpose: a copy that re-serialized the JSON would change the digest.
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const digest = digestOf(bytes);
  await client.putManifest(repo, opts.tag ?? digest, { bytes, mediaType: manifest.mediaType, digest });
  return { digest, mediaType: manifest.mediaType, size: bytes.length, bytes, layers };
}

/** Pushes an index (OCI or Docker manifest list) over the given child manifests. */
export async function pushIndex(client: RegistryClient, repo: Repo, children: PushedImage[], opts: { tag?: string; format?: 'oci' | 'docker' } = {}): Promise<PushedImage> {
  const mediaType = opts.format === 'docker' ? MEDIA.dockerList : MEDIA.ociIndex;
  const index = { schemaVersion: 2, mediaType, manifests: children.map((c, i) => ({ mediaType: c.mediaType, digest: c.digest, size: c.size, platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' } })) };
  const bytes = Buffer.from(JSON.stringify(index));
  const digest = digestOf(bytes);
  await client.putManifest(repo, opts.tag ?? digest, { bytes, mediaType, digest });
  return { digest, mediaType, size: bytes.length, bytes, layers: [] };
}

/** What cosign `attest` pushes: the `sha256-<hex>.att` tag, one DSSE envelope per layer. */
export async function pushCosignAttestations(client: RegistryClient, repo: Repo, subject: string, envelopes: string[]): Promise<string> {
  const layers: Descriptor[] = [];
  for (const env of envelopes) {
    const blob = await client.pushBlob(repo, Buffer.from(env));
    const predicateType = (JSON.parse(Buffer.from((JSON.parse(env) as { payload: string }).payload, 'base64').toString('utf8')) as { predicateType: string }).predicateType;
    layers.push({ mediaType: MEDIA.dsse, digest: blob.digest, size: blob.size, annotations: { predicateType } });
  }
  const config = await client.pushBlob(repo, Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } })));
  const manifest = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size }, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestOf(bytes);
  await client.putManifest(repo, digestTag(subject, '.att'), { bytes, mediaType: MEDIA.ociManifest, digest });
  return digest;
}

/**
 * An OCI 1.1 referrer: a manifest with `subject` and `artifactType` and one layer, listed in the
 * `sha256-<hex>` tag index when the registry has no referrers API (distribution 2.8).
 */
export async function pushReferrer(client: RegistryClient, repo: Repo, subject: PushedImage, artifactType: string, layerMediaType: string, content: Buffer): Promise<Descriptor> {
  const empty = await client.pushBlob(repo, Buffer.from('{}'));
  const layer = await client.pushBlob(repo, content);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    artifactType,
    config: { mediaType: MEDIA.empty, digest: empty.digest, size: empty.size },
    layers: [{ mediaType: layerMediaType, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestOf(bytes);
  const { subjectHandled } = await client.putManifest(repo, digest, { bytes, mediaType: MEDIA.ociManifest, digest });
  const desc = { mediaType: MEDIA.ociManifest, digest, size: bytes.length, artifactType };
  if (!subjectHandled) await client.addToReferrersTag(repo, subject.digest, [desc]);
  return desc;
}
