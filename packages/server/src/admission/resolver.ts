/**
 * What admission needs from an OCI registry client: the digest a tag names now. The mutating
 * webhook pins tag-only images with it; without one, tag-only images are denied.
 */
export interface ImageResolver {
  /**
   * The manifest digest (`sha256:…`) `image` (a tag-only reference) resolves to. Throws
   * `ImageNotFound` when the registry says the tag or repository does not exist; any other
   * error is an outage (admission answers 500, never allowed).
   */
  resolve(image: string, signal: AbortSignal): Promise<string>;
}

export class ImageNotFound extends Error {
  constructor(image: string, detail: string) {
    super(`${image}: ${detail}`);
    this.name = 'ImageNotFound';
  }
}
