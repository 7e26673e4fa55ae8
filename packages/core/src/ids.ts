import { CharterError } from './errors.js';

/** DESIGN §2: lowercase segments joined by dots, ≤128 characters, ≤8 segments. No case folding. */
export const ID_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
export const ID_MAX_LENGTH = 128;
export const ID_MAX_SEGMENTS = 8;

export const FAMILY_NAMES = [
  'product',
  'scope',
  'usage-unit',
  'audit-action',
  'evidence-type',
  'notification-template',
  'artifact-type',
  'sdk-contract',
  'signer',
  'environment',
] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

const familySet: ReadonlySet<string> = new Set(FAMILY_NAMES);
export function isFamilyName(s: string): s is FamilyName {
  return familySet.has(s);
}

/** The built-in product that owns shared platform vocabulary (un-namespaced IDs). */
export const PLATFORM_PRODUCT = 'platform';

/** Why an ID is not valid, or null when it is. */
export function idProblem(id: unknown): string | null {
  if (typeof id !== 'string') return 'an ID is a string';
  if (id.length === 0) return 'an ID cannot be empty';
  if (id.length > ID_MAX_LENGTH) return `an ID has at most ${ID_MAX_LENGTH} characters (this one has ${id.length})`;
  if (!ID_PATTERN.test(id)) {
    return 'an ID is lowercase segments of [a-z0-9_] starting with a letter, joined by single dots';
  }
  let dots = 0;
  for (let i = id.indexOf('.'); i >= 0; i = id.indexOf('.', i + 1)) dots++;
  if (dots >= ID_MAX_SEGMENTS) return `an ID has at most ${ID_MAX_SEGMENTS} segments`;
  return null;
}

export function isValidId(id: unknown): id is string {
  return idProblem(id) === null;
}

export interface Ref {
  family: FamilyName;
  id: string;
  /** A pinned revision (`family:id@3`), or null for "the current revision". */
  revision: number | null;
}

/** Why a reference string is malformed, or null when it parses. */
export function refProblem(ref: unknown): string | null {
  return tryParseRef(ref) === null ? describeRefProblem(ref) : null;
}

function describeRefProblem(ref: unknown): string {
  if (typeof ref !== 'string') return 'a reference is a string of the form family:id[@revision]';
  const colon = ref.indexOf(':');
  if (colon < 0) return `'${ref}' is not of the form family:id[@revision]`;
  const family = ref.slice(0, colon);
  if (!isFamilyName(family)) return `'${family}' is not a family (one of ${FAMILY_NAMES.join(', ')})`;
  const rest = ref.slice(colon + 1);
  const at = rest.indexOf('@');
  const id = at < 0 ? rest : rest.slice(0, at);
  const idErr = idProblem(id);
  if (idErr) return `'${id}': ${idErr}`;
  return `'${rest.slice(at + 1)}' is not a revision (a positive integer)`;
}

/** Parses `family:id[@revision]`; null when malformed. Hot path: no exceptions, no regex backtracking surprises. */
export function tryParseRef(ref: unknown): Ref | null {
  if (typeof ref !== 'string' || ref.length > 256) return null;
  const colon = ref.indexOf(':');
  if (colon <= 0) return null;
  const family = ref.slice(0, colon);
  if (!isFamilyName(family)) return null;
  const rest = ref.slice(colon + 1);
  const at = rest.indexOf('@');
  const id = at < 0 ? rest : rest.slice(0, at);
  if (!isValidId(id)) return null;
  let revision: number | null = null;
  if (at >= 0) {
    const r = rest.slice(at + 1);
    if (!/^[1-9][0-9]{0,8}$/.test(r)) return null;
    revision = Number(r);
  }
  return { family, id, revision };
}

export function parseRef(ref: unknown): Ref {
  const parsed = tryParseRef(ref);
  if (!parsed) throw new CharterError('MALFORMED_REF', describeRefProblem(ref));
  return parsed;
}

export function formatRef(family: FamilyName, id: string, revision?: number | null): string {
  return revision == null ? `${family}:${id}` : `${family}:${id}@${revision}`;
}

/**
 * A reference without its pinned revision (`scope:a.b@3` → `scope:a.b`): the one way to compare
 * refs by entry. Anything that is not a trailing `@<digits>` is left as it is.
 */
export function unpinned(ref: string): string {
  const at = ref.lastIndexOf('@');
  if (at < 0 || at === ref.length - 1) return ref;
  for (let i = at + 1; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 48 || c > 57) return ref;
  }
  return ref.slice(0, at);
}

/** The key of an entry in maps: the ref without a revision. */
export function entryKey(family: string, id: string): string {
  return `${family}:${id}`;
}

/** The first segment of an ID: the product namespace it would belong to, if such a product exists. */
export function namespaceOf(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}
