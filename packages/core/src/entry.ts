import type { FamilyName } from './ids.js';
import type { Lifecycle } from './lifecycle.js';

/** A registry entry at one revision. Field names are part of the public contract (DESIGN §1). */
export interface Entry {
  family: FamilyName;
  id: string;
  owner: string;
  lifecycle: Lifecycle;
  title: string;
  description: string;
  /** Free-form display labels (docs links, team, tier). Never part of the contract. */
  labels: Record<string, string>;
  spec: Record<string, unknown>;
  revision: number;
  replaced_by: string | null;
  sunset_at: string | null;
  /** When the entry first became active; from then on its contract fields are frozen. */
  activated_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The fields a contributor writes (registry as code); the rest is managed by Charter. */
export interface EntryInput {
  family: string;
  id: string;
  owner: string;
  lifecycle?: string;
  title: string;
  description?: string;
  labels?: Record<string, string>;
  spec: Record<string, unknown>;
  replaced_by?: string | null;
  sunset_at?: string | null;
}

/** The label fields that change freely; everything else is lifecycle or contract. */
export const LABEL_FIELDS = ['title', 'description', 'labels'] as const;
/** Fields an `update` operation may set. Lifecycle moves go through `transition`. */
export const UPDATABLE_FIELDS = ['title', 'description', 'labels', 'spec'] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

/** One immutable revision of an entry as history keeps it. */
export interface Revision {
  family: FamilyName;
  id: string;
  revision: number;
  sequence: number;
  changeset: string;
  author: string;
  approvers: string[];
  operation: 'create' | 'update' | 'transition';
  reason: string | null;
  entry: Entry;
  at: string;
}
