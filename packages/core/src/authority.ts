import type { Principal } from './changeset.js';
import type { Entry } from './entry.js';
import { CharterError } from './errors.js';
import { PLATFORM_PRODUCT } from './ids.js';

/**
 * Who may act on what, beyond holding the scope: the namespace a token is bound to, and the
 * four-eyes rule. Pure; the use cases call these before they write anything.
 */

/** Registering an artifact: a product-bound token registers only for its product, of its own or a platform type. */
export function assertMayRegister(principal: Principal, product: string, artifactType: Entry): void {
  if (principal.admin || principal.product === null) return;
  if (principal.product !== product) {
    throw new CharterError('NAMESPACE_DENIED', `this token is bound to product '${principal.product}'; it cannot register artifacts of '${product}'`);
  }
  if (artifactType.owner !== principal.product && artifactType.owner !== PLATFORM_PRODUCT) {
    throw new CharterError('NAMESPACE_DENIED', `artifact type ${artifactType.id} belongs to '${artifactType.owner}'`);
  }
}

/** Acting on an artifact (attaching evidence): a product-bound token acts only on its product's artifacts. */
export function assertMayActOn(principal: Principal, artifact: { digest: string; product: string }): void {
  if (principal.admin || principal.product === null || principal.product === artifact.product) return;
  throw new CharterError('NAMESPACE_DENIED', `this token is bound to product '${principal.product}'; ${artifact.digest} belongs to '${artifact.product}'`);
}

/** Four eyes: whoever proposed a change (a change set, an artifact) never approves it. */
export function assertNotOwnApproval(approver: Principal, proposer: string, what: string): void {
  if (approver.name === proposer) {
    throw new CharterError('SELF_APPROVAL', `${approver.name} ${what}: it needs approval by someone else`);
  }
}
