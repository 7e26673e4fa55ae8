import { assertMayReview, assertNotOwnApproval, principalOf } from './authority.js';
import type { Principal } from './changeset.js';
import { CharterError } from './errors.js';
import { SCOPES } from './scopes.js';

/**
 * The change-set review state machine (DESIGN §4), pure: open → approved (by someone other
 * than the author) → applied, or open/approved → rejected. The use case stores the result
 * with a compare-and-set on the status it read, so two reviewers racing can never both win.
 */
export type ChangeSetStatus = 'open' | 'approved' | 'applied' | 'rejected';

export interface ReviewApproval {
  principal: string;
  at: string;
  comment?: string;
}

export interface ReviewRejection {
  principal: string;
  at: string;
  reason: string;
}

export interface ReviewState {
  id: string;
  status: ChangeSetStatus;
  author: string;
  author_product: string | null;
  approvals: ReviewApproval[];
  rejection: ReviewRejection | null;
}

export type ReviewAct =
  | { kind: 'approve'; by: Principal; at: string; comment?: string | undefined }
  | { kind: 'reject'; by: Principal; at: string; reason: string }
  | { kind: 'apply'; by: Principal; at: string };

export interface ReviewOutcome {
  status: ChangeSetStatus;
  approvals: ReviewApproval[];
  rejection: ReviewRejection | null;
  /** False when the act changes nothing (the same reviewer approving again). */
  changed: boolean;
}

/** The next state of a change set after `act`, or the domain error that refuses it. */
export function reviewTransition(state: ReviewState, act: ReviewAct): ReviewOutcome {
  assertMayReview(act.by, state);
  const { id, status } = state;
  switch (act.kind) {
    case 'approve': {
      if (status !== 'open' && status !== 'approved') throw new CharterError('CHANGESET_STATE', `change set ${id} is ${status}: it can no longer be reviewed`);
      assertNotOwnApproval(act.by, state.author, `is the author of ${id}; a change set`);
      if (state.approvals.some((a) => a.principal === act.by.name)) return { status: 'approved', approvals: state.approvals, rejection: null, changed: status !== 'approved' };
      const approval: ReviewApproval = { principal: act.by.name, at: act.at, ...(act.comment ? { comment: act.comment } : {}) };
      return { status: 'approved', approvals: [...state.approvals, approval], rejection: null, changed: true };
    }
    case 'reject': {
      if (status !== 'open' && status !== 'approved') throw new CharterError('CHANGESET_STATE', `change set ${id} is ${status}: it can no longer be reviewed`);
      return { status: 'rejected', approvals: state.approvals, rejection: { principal: act.by.name, at: act.at, reason: act.reason }, changed: true };
    }
    case 'apply': {
      if (status !== 'approved') {
        const why = status === 'open' ? 'it needs an approval by someone other than its author first' : 'only an approved change set can be applied';
        throw new CharterError('CHANGESET_STATE', `change set ${id} is ${status}; ${why}`);
      }
      return { status: 'applied', approvals: state.approvals, rejection: null, changed: true };
    }
  }
}

/**
 * The authority a change set's author has at apply (issue 9 item 13): what their token grants
 * now, not what it granted at submission. A revoked, expired or vanished token, or one that
 * no longer grants platform.registry.propose, applies nothing.
 */
export function authorAtApply(
  changeset: { id: string; author: string },
  token: { id: string; principal: string; product: string | null; revoked_at: string | null; expires_at: string | null } | undefined,
  scopes: ReadonlySet<string>,
  now: number,
): Principal {
  const refuse = (why: string) => new CharterError('AUTHOR_REVOKED', `change set ${changeset.id} cannot be applied: ${why}; its author must submit it again with a valid token`);
  if (!token || token.principal !== changeset.author) throw refuse(`the token its author ${changeset.author} submitted it with is gone`);
  if (token.revoked_at !== null) throw refuse(`its author's token ${token.id} was revoked at ${token.revoked_at}`);
  if (token.expires_at !== null && Date.parse(token.expires_at) <= now) throw refuse(`its author's token ${token.id} expired at ${token.expires_at}`);
  if (!scopes.has(SCOPES.propose) && !scopes.has(SCOPES.admin)) throw refuse(`its author's token ${token.id} no longer grants ${SCOPES.propose}`);
  return principalOf(token, scopes);
}
