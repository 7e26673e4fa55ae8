import { randomUUID } from 'node:crypto';
import { CharterError, assertNotOwnApproval, type ChangeSetInput, type Plan, type Principal } from '@charter/core';
import { registryStore, type ChangeSetSummary, type StoredChangeSet } from '../store/registry-store.js';

export type { ChangeSetSummary, StoredChangeSet };
import { ACTIONS, invalid, type Actor, type Registry } from './registry.js';

/** A change set as the API shows it (DESIGN §9 shape). */
export interface ChangeSetView extends StoredChangeSet {
  /** For an open or approved change set: its problems against the registry as it is now. */
  errors?: Plan['errors'];
}

/**
 * Contribution and review: submit, approve, reject, apply. Nobody writes entries directly:
 * the only way an entry changes is an approved change set applied atomically.
 */
export class ChangeSets {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** Validates and stores an open change set; with dryRun, returns the plan and stores nothing. */
  async submit(input: ChangeSetInput, actor: Actor, dryRun: boolean): Promise<{ changeset: StoredChangeSet | null; plan: Plan }> {
    const author = actor.principal;
    const plan = this.#registry.plan(input, author);
    if (plan.errors.length > 0) throw invalid(plan);
    if (dryRun) return { changeset: null, plan };
    const at = this.#registry.now().toISOString();
    const changeset: StoredChangeSet = {
      id: `cs_${randomUUID()}`,
      title: input.title,
      description: input.description ?? '',
      author: author.name,
      author_product: author.product,
      author_admin: author.admin,
      status: 'open',
      operations: input.operations,
      plan: plan.changes,
      approvals: [],
      rejection: null,
      sequence: null,
      created_at: at,
      updated_at: at,
    };
    await this.#registry.mutate(actor, ACTIONS.changesetSubmit, async (trx) => {
      await registryStore.insertChangeSet(trx, changeset);
      return { value: null, subject: [changeset.id], details: { changeset: changeset.id, title: changeset.title, operations: changeset.operations } };
    });
    return { changeset, plan };
  }

  async get(id: string): Promise<ChangeSetView> {
    const cs = await registryStore.changeSet(this.#registry.db, id);
    if (!cs) throw new CharterError('NOT_FOUND', `no change set ${id}`);
    if (cs.status === 'open' || cs.status === 'approved') {
      const plan = this.#registry.plan(this.#input(cs), this.#author(cs));
      return { ...cs, plan: plan.changes, errors: plan.errors };
    }
    return cs;
  }

  list(opts: { status?: string; before?: { created_at: string; id: string }; limit: number }): Promise<StoredChangeSet[]> {
    return registryStore.changeSets(this.#registry.db, opts);
  }

  /** The latest applied change sets, newest first, without operations and plans. */
  latestApplied(limit: number): Promise<ChangeSetSummary[]> {
    return registryStore.latestApplied(this.#registry.db, limit);
  }

  /** The list without operations and plans (the portal's tables). */
  summaries(opts: { status?: string; before?: { created_at: string; id: string }; limit: number }): Promise<ChangeSetSummary[]> {
    return registryStore.changeSetSummaries(this.#registry.db, opts);
  }

  /** Approval by a principal holding platform.registry.approve who is not the author. */
  async approve(id: string, actor: Actor, comment?: string): Promise<StoredChangeSet> {
    const approver = actor.principal;
    const cs = await this.#open(id);
    assertNotOwnApproval(approver, cs.author, `is the author of ${id}; a change set`);
    if (!cs.approvals.some((a) => a.principal === approver.name)) {
      cs.approvals.push({ principal: approver.name, at: this.#registry.now().toISOString(), ...(comment ? { comment } : {}) });
    }
    const updated_at = this.#registry.now().toISOString();
    await this.#registry.mutate(actor, ACTIONS.changesetApprove, async (trx) => {
      await registryStore.updateChangeSet(trx, id, { status: 'approved', approvals: cs.approvals, updated_at });
      return { value: null, subject: [id], details: { changeset: id, approver: approver.name, comment: comment ?? null } };
    });
    return { ...cs, status: 'approved', updated_at };
  }

  async reject(id: string, actor: Actor, reason: string): Promise<StoredChangeSet> {
    const cs = await this.#open(id);
    const at = this.#registry.now().toISOString();
    const rejection = { principal: actor.principal.name, at, reason };
    await this.#registry.mutate(actor, ACTIONS.changesetReject, async (trx) => {
      await registryStore.updateChangeSet(trx, id, { status: 'rejected', rejection, updated_at: at });
      return { value: null, subject: [id], details: { changeset: id, reason } };
    });
    return { ...cs, status: 'rejected', rejection, updated_at: at };
  }

  /** Re-validates against the registry as it is now and applies every operation or none. */
  async apply(id: string, actor: Actor): Promise<StoredChangeSet> {
    const cs = await registryStore.changeSet(this.#registry.db, id);
    if (!cs) throw new CharterError('NOT_FOUND', `no change set ${id}`);
    if (cs.status !== 'approved') {
      throw new CharterError('CHANGESET_STATE', `change set ${id} is ${cs.status}; ${cs.status === 'open' ? 'it needs an approval by someone other than its author first' : 'only an approved change set can be applied'}`);
    }
    const applied = await this.#registry.apply(this.#input(cs), this.#author(cs), { approvers: cs.approvals.map((a) => a.principal), existing: cs, requestId: actor.requestId });
    return applied.changeset;
  }

  async #open(id: string): Promise<StoredChangeSet> {
    const cs = await registryStore.changeSet(this.#registry.db, id);
    if (!cs) throw new CharterError('NOT_FOUND', `no change set ${id}`);
    if (cs.status !== 'open' && cs.status !== 'approved') throw new CharterError('CHANGESET_STATE', `change set ${id} is ${cs.status}: it can no longer be reviewed`);
    return cs;
  }

  #input(cs: StoredChangeSet): ChangeSetInput {
    return { title: cs.title, description: cs.description, operations: cs.operations as ChangeSetInput['operations'] };
  }

  /** A change set is validated with the authority its author had when submitting it. */
  #author(cs: StoredChangeSet): Principal {
    return { name: cs.author, product: cs.author_product, admin: cs.author_admin };
  }
}
