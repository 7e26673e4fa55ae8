import { CharterError } from '@charter/core';
import { resolveImage, type RegistryClient } from '../oci/index.js';
import { ImageNotFound, type ImageResolver } from './resolver.js';

/**
 * Tags resolved through Charter's OCI client (the registry's own answer, with the credentials
 * and plain-HTTP hosts the server was given). A tag or repository the registry does not know is
 * a denial; an unreachable or refusing registry is an outage (admission answers 500).
 */
export function ociResolver(client: RegistryClient): ImageResolver {
  return {
    async resolve(image) {
      try {
        return (await resolveImage(client, image)).digest;
      } catch (err) {
        if (err instanceof CharterError && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'INVALID_IMAGE_REF')) throw new ImageNotFound(image, err.message);
        throw err;
      }
    },
  };
}
