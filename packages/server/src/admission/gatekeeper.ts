import { CharterError, readEnvironment } from '@charter/core';
import { GATEKEEPER_API_VERSION, type ProviderRequest, type ProviderResponse } from '@charter/api';
import type { Registry } from '../registry/registry.js';
import type { Admission } from './admission.js';
import { parseImage } from './image.js';
import type { Judge } from './judge.js';
import { ImageNotFound, type ImageResolver } from './resolver.js';

/**
 * Gatekeeper external data (DESIGN §13): one item per key (image reference) with the deploy
 * check's judgement for the environment, or a per-key error when the key cannot be judged
 * (not a reference, a tag with no resolvable digest). `systemError` only for an outage.
 */
export class GatekeeperProvider {
  readonly #registry: Registry;
  readonly #judge: Judge;
  readonly #admission: Admission;
  readonly #resolver: ImageResolver | null;

  constructor(registry: Registry, judge: Judge, admission: Admission, resolver: ImageResolver | null) {
    this.#registry = registry;
    this.#judge = judge;
    this.#admission = admission;
    this.#resolver = resolver;
  }

  async provide(environment: string, body: ProviderRequest): Promise<ProviderResponse> {
    const env = this.#registry.catalog.get('environment', environment);
    if (!env) throw new CharterError('NOT_FOUND', `no environment ${environment} in the registry (the Provider's URL names one: ?environment=ID)`, { errors: [{ pointer: '/query/environment', code: 'NOT_FOUND', detail: 'unknown environment' }] });
    const stage = readEnvironment(env).stage;
    const answer = (response: ProviderResponse['response']): ProviderResponse => ({ apiVersion: GATEKEEPER_API_VERSION, kind: 'ProviderResponse', response });
    try {
      const items = await this.#admission.bounded((signal) =>
        Promise.all(
          body.request.keys.map(async (key): Promise<ProviderResponse['response']['items'][number]> => {
            const ref = parseImage(key);
            if (typeof ref === 'string') return { key, error: `not an image reference: ${ref}` };
            let digest = ref.digest;
            if (digest === null) {
              if (!this.#resolver) return { key, error: 'not pinned by digest, and this Charter server has no registry client to resolve tags' };
              try {
                digest = await this.#resolver.resolve(key, signal);
              } catch (err) {
                if (err instanceof ImageNotFound) return { key, error: `the tag cannot be resolved: ${err.message}` };
                throw err;
              }
            }
            const j = await this.#judge.judge(env, digest);
            return { key, value: { allowed: j.allowed, digest, stage, reason: j.reason, explain_url: this.#admission.explainUrl(digest) } };
          }),
        ),
      );
      return answer({ idempotent: true, items });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return answer({ idempotent: true, items: [], systemError: detail.slice(0, 500) });
    }
  }
}
