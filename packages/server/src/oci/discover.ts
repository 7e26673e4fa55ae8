import { MEDIA, type Descriptor, type RegistryClient, type Repo } from './client.js';
import { digestTag } from './reference.js';

/** An attestation found beside an image: the blob's bytes and the descriptor it came from. */
export interface FoundEnvelope {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface Discovery {
  envelopes: FoundEnvelope[];
  skipped: { descriptor: Descriptor; reason: string }[];
}

/** Layer media types that carry one envelope Charter can attach as if it were posted. */
const ENVELOPE_LAYERS = new Set<string>([MEDIA.dsse, MEDIA.sigstoreBundle, 'application/vnd.dev.sigstore.bundle+json;version=0.3', MEDIA.inToto]);
/** Artifact types of referrers that hold attestations. */
const ATTESTATION_TYPES = new Set<string>([...ENVELOPE_LAYERS, 'application/vnd.dev.sigstore.bundle+json']);

const strip = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.artifactType ? { artifactType: d.artifactType } : {}) });

/**
 * Finds the attestations pushed beside `digest`: OCI 1.1 referrers (API or tag schema) whose
 * artifact type is an envelope or a Sigstore bundle, and cosign's `sha256-<hex>.att` tag, whose
 * layers are DSSE envelopes. Anything else is skipped with a reason, never an error.
 */
export async function discoverEnvelopes(client: RegistryClient, repo: Repo, digest: string, maxEnvelopeBytes = 1024 * 1024): Promise<Discovery> {
  const out: Discovery = { envelopes: [], skipped: [] };
  const seen = new Set<string>();
  const readLayers = async (manifestDigest: string, from: Descriptor) => {
    const m = await client.getManifest(repo, manifestDigest);
    if (!m) {
      out.skipped.push({ descriptor: strip(from), reason: `the registry lists ${manifestDigest} but has no such manifest` });
      return;
    }
    const doc = JSON.parse(m.bytes.toString('utf8')) as { layers?: Descriptor[] };
    for (const layer of doc.layers ?? []) {
      if (seen.has(layer.digest)) continue;
      seen.add(layer.digest);
      if (!ENVELOPE_LAYERS.has(layer.mediaType)) {
        out.skipped.push({ descriptor: strip(layer), reason: `layer media type ${layer.mediaType} is not a DSSE envelope or a Sigstore bundle` });
        continue;
      }
      // The same limit as a posted envelope: the registry is not a way around it.
      if (layer.size > maxEnvelopeBytes) {
        out.skipped.push({ descriptor: strip(layer), reason: `the envelope is ${layer.size} bytes, more than the ${maxEnvelopeBytes} this server accepts` });
        continue;
      }
      const bytes = await client.getBlob(repo, layer.digest);
      if (bytes.length > maxEnvelopeBytes) {
        out.skipped.push({ descriptor: strip(layer), reason: `the envelope is ${bytes.length} bytes, more than the ${maxEnvelopeBytes} this server accepts` });
        continue;
      }
      out.envelopes.push({ descriptor: strip(layer), bytes });
    }
  };

  const { descriptors } = await client.referrers(repo, digest);
  for (const d of descriptors) {
    const type = d.artifactType ?? '';
    if (!ATTESTATION_TYPES.has(type)) {
      out.skipped.push({ descriptor: strip(d), reason: type ? `artifact type ${type} is not an attestation Charter reads` : 'the referrer names no artifact type' });
      continue;
    }
    await readLayers(d.digest, d);
  }
  const att = await client.getManifest(repo, digestTag(digest, '.att'));
  if (att) await readLayers(att.digest, { mediaType: att.mediaType, digest: att.digest, size: att.bytes.length });
  return out;
}
