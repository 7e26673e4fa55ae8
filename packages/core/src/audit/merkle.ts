// RFC 6962 / RFC 9162 Merkle tree hashing, proof generation and proof verification.
import { createHash } from 'node:crypto';
import { AuditProofError } from './errors.js';

export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** Root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Uint8Array {
  return sha256();
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function requireHash(value: unknown, what: string, code: 'INVALID_ARGUMENT' | 'INVALID_PROOF'): Uint8Array {
  if (!isHash(value)) throw new AuditProofError(code, `${what} must be a ${HASH_SIZE}-byte hash`);
  return value;
}

// Sizes and indices stay JS numbers; every value is checked to be a safe integer, and the
// bit operations below use arithmetic because `>>` and `&` truncate to 32 bits.
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && !isOdd(n)) n = half(n);
  return n === 1;
}

/** Largest power of two strictly smaller than n (n >= 2): RFC 9162's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Coordinates of a perfect subtree: level 0 holds leaf hashes, level l covers 2^l leaves. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export interface NodeRecord extends NodeId {
  readonly hash: Uint8Array;
}

/**
 * Source of perfect-subtree hashes (e.g. a database table keyed by level and index).
 * Proof generation asks for all nodes it needs in one call, O(log size) of them, and only
 * for subtrees that are complete within the requested tree size.
 */
export interface NodeReader {
  getNodes(ids: readonly NodeId[]): Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

type Range = readonly [start: number, end: number];

/**
 * Splits the leaf range [start, end) into perfect subtrees, largest first. Callers only pass
 * ranges produced by the RFC 9162 recursion, whose start is aligned to every chunk size.
 */
function perfectSubtrees([start, end]: Range): NodeId[] {
  const ids: NodeId[] = [];
  let position = start;
  while (position < end) {
    let width = 1;
    let level = 0;
    while (width * 2 <= end - position) {
      width *= 2;
      level++;
    }
    ids.push({ level, index: position / width });
    position += width;
  }
  return ids;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]), as the leaf ranges whose MTH form the proof, in order. */
function inclusionRanges(index: number, lo: number, hi: number, out: Range[]): void {
  if (hi - lo === 1) return;
  const k = splitPoint(hi - lo);
  if (index < lo + k) {
    inclusionRanges(index, lo, lo + k, out);
    out.push([lo + k, hi]);
  } else {
    inclusionRanges(index, lo + k, hi, out);
    out.push([lo, lo + k]);
  }
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b), as leaf ranges. */
function consistencyRanges(m: number, lo: number, hi: number, complete: boolean, out: Range[]): void {
  if (m === hi - lo) {
    if (!complete) out.push([lo, hi]);
    return;
  }
  const k = splitPoint(hi - lo);
  if (m <= k) {
    consistencyRanges(m, lo, lo + k, complete, out);
    out.push([lo + k, hi]);
  } else {
    consistencyRanges(m - k, lo + k, hi, false, out);
    out.push([lo, lo + k]);
  }
}

/** Folds perfect subtrees (largest first, at least one) into the MTH of their union, right to left. */
function foldSubtrees(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

async function hashRanges(ranges: readonly Range[], reader: NodeReader): Promise<Uint8Array[]> {
  const groups = ranges.map(perfectSubtrees);
  const ids = groups.flat();
  const hashes = await reader.getNodes(ids);
  if (hashes.length !== ids.length) {
    throw new AuditProofError('MISSING_NODE', `node reader returned ${hashes.length} hashes for ${ids.length} nodes`);
  }
  let next = 0;
  return groups.map((group) =>
    foldSubtrees(
      group.map((id) => {
        const hash = hashes[next++];
        if (!isHash(hash)) throw new AuditProofError('MISSING_NODE', `no hash for node (${id.level}, ${id.index})`);
        return hash;
      }),
    ),
  );
}

/** Root hash of the tree made of the first `size` leaves known to `reader`. */
export async function treeRoot(size: number, reader: NodeReader): Promise<Uint8Array> {
  if (!isCount(size)) throw new AuditProofError('INVALID_ARGUMENT', 'tree size must be a non-negative safe integer');
  if (size === 0) return emptyRoot();
  const [root] = await hashRanges([[0, size]], reader);
  return root!;
}

/** Inclusion proof (audit path) for leaf `index` in the tree of `size` leaves. */
export async function inclusionProof(index: number, size: number, reader: NodeReader): Promise<Uint8Array[]> {
  if (!isCount(size) || !isCount(index) || index >= size) {
    throw new AuditProofError('INVALID_ARGUMENT', `leaf index ${index} is not inside a tree of size ${size}`);
  }
  const ranges: Range[] = [];
  inclusionRanges(index, 0, size, ranges);
  return hashRanges(ranges, reader);
}

/** Consistency proof between tree sizes `from` and `to` (0 < from <= to). */
export async function consistencyProof(from: number, to: number, reader: NodeReader): Promise<Uint8Array[]> {
  if (!isCount(from) || !isCount(to) || from === 0 || from > to) {
    throw new AuditProofError('INVALID_ARGUMENT', `no consistency proof from size ${from} to size ${to}`);
  }
  const ranges: Range[] = [];
  consistencyRanges(from, 0, to, true, ranges);
  return hashRanges(ranges, reader);
}

/**
 * RFC 9162 §2.1.3.2: the root implied by an inclusion proof. Every argument is treated as
 * attacker-controlled; a malformed input throws AuditProofError('INVALID_PROOF').
 * The proof alone does not bind the tree size: compare the result with a root that was
 * signed together with `size` (a checkpoint), never with a root taken from the prover.
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (!isCount(size) || !isCount(index) || index >= size) {
    throw new AuditProofError('INVALID_PROOF', `leaf index ${index} is not inside a tree of size ${size}`);
  }
  if (!Array.isArray(proof)) throw new AuditProofError('INVALID_PROOF', 'proof must be an array of hashes');
  let r = requireHash(leaf, 'leaf hash', 'INVALID_PROOF');
  let fn = index;
  let sn = size - 1;
  // The sn check bounds the work by log2(size), however long the supplied array is.
  for (const element of proof) {
    if (sn === 0) throw new AuditProofError('INVALID_PROOF', 'inclusion proof is too long');
    const p = requireHash(element, 'proof element', 'INVALID_PROOF');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new AuditProofError('INVALID_PROOF', 'inclusion proof is too short');
  return r;
}

/** RFC 9162 §2.1.3.2. Never throws: any malformed input is a failed verification. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  try {
    return root instanceof Uint8Array && bytesEqual(rootFromInclusionProof(leaf, index, size, proof), root);
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2. Never throws: any malformed input is a failed verification.
 * size1 == 0 is always rejected, as transparency-dev/merkle does: a proof from the empty
 * tree proves nothing. Equal sizes need an empty proof and byte-identical roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  try {
    if (!isCount(size1) || !isCount(size2) || size1 === 0 || size1 > size2) return false;
    if (!Array.isArray(proof) || !(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) return false;
    if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
    if (proof.length === 0) return false;

    let fn = size1 - 1;
    let sn = size2 - 1;
    while (isOdd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    // When size1 is a power of two the old root is itself the first path element.
    let next = 0;
    const first = isPowerOfTwo(size1) ? root1 : requireHash(proof[next++], 'proof element', 'INVALID_PROOF');
    let fr = first;
    let sr = first;
    for (; next < proof.length; next++) {
      if (sn === 0) return false;
      const c = requireHash(proof[next], 'proof element', 'INVALID_PROOF');
      if (isOdd(fn) || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
  } catch {
    return false;
  }
}

function popCount(n: number): number {
  let count = 0;
  for (; n > 0; n = half(n)) if (isOdd(n)) count++;
  return count;
}

/**
 * Append-only tree state kept as its frontier: the roots of the perfect subtrees that make up
 * the tree, largest first, one per set bit of the size. Appending costs O(log size) hashes.
 */
export class CompactTree {
  #size: number;
  readonly #frontier: Uint8Array[];

  constructor() {
    this.#size = 0;
    this.#frontier = [];
  }

  static fromFrontier(size: number, hashes: readonly Uint8Array[]): CompactTree {
    if (!isCount(size)) throw new AuditProofError('INVALID_ARGUMENT', 'tree size must be a non-negative safe integer');
    if (!Array.isArray(hashes) || hashes.length !== popCount(size)) {
      throw new AuditProofError('INVALID_ARGUMENT', `a tree of size ${size} has ${popCount(size)} frontier hashes`);
    }
    const tree = new CompactTree();
    tree.#size = size;
    for (const hash of hashes) tree.#frontier.push(requireHash(hash, 'frontier hash', 'INVALID_ARGUMENT').slice());
    return tree;
  }

  get size(): number {
    return this.#size;
  }

  frontier(): Uint8Array[] {
    return this.#frontier.map((hash) => hash.slice());
  }

  /**
   * Appends a leaf hash and returns the nodes this completes, bottom-up: the leaf itself at
   * level 0, then every perfect subtree it closes. Persisting them makes a NodeReader.
   */
  append(leaf: Uint8Array): NodeRecord[] {
    let hash: Uint8Array = requireHash(leaf, 'leaf hash', 'INVALID_ARGUMENT').slice();
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new AuditProofError('INVALID_ARGUMENT', 'tree is full');
    let index = this.#size;
    let level = 0;
    const created: NodeRecord[] = [{ level, index, hash }];
    for (let rest = this.#size; isOdd(rest); rest = half(rest)) {
      hash = nodeHash(this.#frontier.pop()!, hash);
      index = half(index);
      level++;
      created.push({ level, index, hash });
    }
    this.#frontier.push(hash);
    this.#size++;
    return created;
  }

  root(): Uint8Array {
    return this.#frontier.length === 0 ? emptyRoot() : foldSubtrees(this.#frontier);
  }
}

/** In-memory NodeReader that keeps every perfect subtree hash; meant for tests and tools. */
export class MemoryTree implements NodeReader {
  readonly #levels: Uint8Array[][] = [];

  constructor(leafHashes: Iterable<Uint8Array> = []) {
    for (const leaf of leafHashes) this.append(leaf);
  }

  get size(): number {
    return this.#levels[0]?.length ?? 0;
  }

  append(leaf: Uint8Array): void {
    let hash: Uint8Array = requireHash(leaf, 'leaf hash', 'INVALID_ARGUMENT').slice();
    let index = this.size;
    for (let level = 0; ; level++) {
      const row = (this.#levels[level] ??= []);
      row.push(hash);
      if (!isOdd(index)) return;
      hash = nodeHash(row[index - 1]!, hash);
      index = half(index);
    }
  }

  getNodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map(({ level, index }) => {
      const hash = this.#levels[level]?.[index];
      if (hash === undefined) throw new AuditProofError('MISSING_NODE', `no node (${level}, ${index})`);
      return hash;
    });
  }
}
