import { CharterError } from '@charter/core';

/** An image reference `host[:port]/repo[:tag][@sha256:…]`, split into what the distribution API needs. */
export interface ImageRef {
  /** `host[:port]`, as written (lowercase). */
  registry: string;
  /** The repository path inside the registry, e.g. `gpuaas/trainer`. */
  path: string;
  /** `host[:port]/path`: what Charter records as `image.repository`. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

// The grammar of the distribution spec (reference.go): lowercase path components joined by
// separators, tags of word characters, digests as Charter accepts them (sha256 only).
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?';
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH = `${COMPONENT}(?:/${COMPONENT})*`;
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const REFERENCE = new RegExp(`^(${HOST})/(${PATH})(?::(${TAG}))?(?:@(sha256:[0-9a-f]{64}))?$`);
const REPOSITORY = new RegExp(`^(${HOST})/(${PATH})$`);
export const REPOSITORY_PATTERN = REPOSITORY.source;
export const TAG_PATTERN = `^${TAG}$`;

/** True for a first component that names a registry host (as Docker decides: a dot, a port, or localhost). */
function isHost(h: string): boolean {
  return h.includes('.') || h.includes(':') || h === 'localhost' || h.startsWith('[');
}

function invalid(ref: string, why: string, pointer: string): CharterError {
  return new CharterError('INVALID_IMAGE_REF', `'${ref}' is not an image reference: ${why}`, { errors: [{ pointer, code: 'INVALID_IMAGE_REF', detail: why }] });
}

/** Parses `host[:port]/repo[:tag][@sha256:…]`. The registry host is required: Charter never guesses Docker Hub. */
export function parseImageRef(ref: string, pointer = '/image'): ImageRef {
  if (ref.length > 1000) throw invalid(ref.slice(0, 50) + '…', 'longer than 1000 characters', pointer);
  const m = REFERENCE.exec(ref);
  if (!m) throw invalid(ref, 'write host[:port]/repository[:tag][@sha256:<64 hex>] with a lowercase repository path', pointer);
  const registry = m[1]!.toLowerCase();
  if (!isHost(registry)) throw invalid(ref, `'${m[1]}' does not name a registry host (write it with its domain or port, e.g. registry.example.com/${m[2]})`, pointer);
  if (!m[3] && !m[4]) throw invalid(ref, 'name a tag or a digest', pointer);
  return { registry, path: m[2]!, repository: `${registry}/${m[2]}`, tag: m[3] ?? null, digest: m[4] ?? null };
}

/** Parses `host[:port]/repo` (a stage repository). */
export function parseRepository(repo: string, pointer = '/repository'): Pick<ImageRef, 'registry' | 'path' | 'repository'> {
  const m = REPOSITORY.exec(repo);
  if (!m || !isHost(m[1]!)) throw invalid(repo, 'write host[:port]/repository with a lowercase repository path', pointer);
  const registry = m[1]!.toLowerCase();
  return { registry, path: m[2]!, repository: `${registry}/${m[2]}` };
}

/** The cosign / OCI 1.1 tag-schema name for things about `digest`: `sha256-<hex>`. */
export function digestTag(digest: string, suffix = ''): string {
  return digest.replace(':', '-') + suffix;
}
