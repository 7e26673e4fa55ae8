import type { Principal } from './changeset.js';
import type { Entry } from './entry.js';
import { CharterError } from './errors.js';
import { PLATFORM_PRODUCT } from './ids.js';
import { SCOPES } from './scopes.js';

/**
 * Who may act on what, beyond holding the scope: the namespace a token is bound to, and the
 * four-eyes rule. Pure; the use cases call these before they write anything.
 */

/**
 * The principal a token speaks for. Binding is a ceiling: a product-bound token is never a
 * registry admin, whatever scopes it holds, so it stays inside its product everywhere.
 */
export function principalOf(token: { principal: string; product: string | null }, scopes: ReadonlySet<string>): Principal {
  return { name: token.principal, product: token.product, admin: token.product === null && scopes.has(SCOPES.admin) };
}

/**
 * Reviewing or applying a change set: a product-bound token acts only on change sets authored
 * under the same product binding. Unbound tokens (platform reviewers) act on any.
 */
export function assertMayReview(principal: Principal, changeset: { id: string; author_product: string | null }): void {
  if (principal.product === null || principal.product === changeset.author_product) return;
  const whose = changeset.author_product === null ? 'a platform change set (its author is not bound to a product)' : `a change set of product '${changeset.author_product}'`;
  throw new CharterError('NAMESPACE_DENIED', `this token is bound to product '${principal.product}'; ${changeset.id} is ${whose}`);
}

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

/** Acting on an artifact (attaching evidence, approving a release, promoting): a product-bound token acts only on its product's artifacts. */
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
