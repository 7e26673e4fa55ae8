/** An image reference as a pod spec carries it: `[registry/]path[:tag][@sha256:hex]`. */
export interface ImageRef {
  /** The reference as written. */
  image: string;
  /** Everything before `@`: registry, path and tag (if any). */
  name: string;
  tag: string | null;
  /** `sha256:<64 hex>` when pinned, else null. */
  digest: string | null;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/i;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Parses an image reference, or says why it is not one. Only the digest matters to trust; the
 * rest is checked so that a malformed reference is refused rather than guessed at.
 */
export function parseImage(image: string): ImageRef | string {
  if (image.length === 0 || image.length > 1024) return 'an image reference has 1 to 1024 characters';
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const digest = at < 0 ? null : image.slice(at + 1);
  if (digest !== null && !DIGEST.test(digest)) return `'${digest}' is not a sha256 digest (sha256: and 64 lowercase hex characters)`;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : null;
  const repo = colon > slash ? name.slice(0, colon) : name;
  if (tag !== null && !TAG.test(tag)) return `'${tag}' is not a valid tag`;
  if (!NAME.test(repo)) return `'${repo}' is not a valid repository name`;
  return { image, name, tag, digest };
}

/** `name@digest`: the reference pinned to the digest the tag resolved to (the tag stays for people). */
export function pinned(ref: ImageRef, digest: string): string {
  return `${ref.name}@${digest}`;
}
