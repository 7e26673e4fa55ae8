import { parseCheckpoint, verifyNote, type Checkpoint, type NoteVerifier } from './checkpoint.js';
import { eventLeafHash, jsonDigest, type AuditEvent } from './event.js';
import { CompactTree, verifyConsistency } from './merkle.js';

/** An event as the server serves it: the hashed fields, its details and the tree's leaf hash. */
export interface ServedEvent extends AuditEvent {
  leaf_hash: string;
  details?: unknown;
}

export type LogProblem =
  | { kind: 'gap'; index: number; detail: string }
  | { kind: 'event'; index: number; detail: string }
  | { kind: 'root'; index: number | null; detail: string }
  | { kind: 'checkpoint'; index: null; detail: string };

export interface LogVerification {
  ok: boolean;
  size: number;
  /** The first problem, naming the first bad index where one can be named. */
  problem: LogProblem | null;
  checkpoint: Checkpoint | null;
}

/** Verifies a signed checkpoint note with the log key; returns the checkpoint or why not. */
export function readCheckpoint(note: string, verifier: NoteVerifier): { checkpoint: Checkpoint } | { error: string } {
  const v = verifyNote(note, [verifier]);
  if (!v.ok) return { error: `checkpoint signature does not verify with key ${verifier.name}: ${v.error.message}` };
  try {
    const checkpoint = parseCheckpoint(v.text);
    if (checkpoint.origin !== verifier.name) return { error: `checkpoint origin '${checkpoint.origin}' is not the log '${verifier.name}'` };
    return { checkpoint };
  } catch (err) {
    return { error: `checkpoint is malformed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Recomputes the log from its events, one at a time (constant memory in the log size), and
 * checks it against a signed checkpoint. Every event must hash to the leaf the tree holds, its
 * details must match their digest, and the root of the first `size` leaves must be the signed one.
 */
export class LogVerifier {
  #tree = new CompactTree();
  #problem: LogProblem | null = null;

  get size(): number {
    return this.#tree.size;
  }

  get problem(): LogProblem | null {
    return this.#problem;
  }

  add(e: ServedEvent): void {
    if (this.#problem) return;
    const index = this.#tree.size;
    if (e.index !== index) {
      this.#problem = { kind: 'gap', index, detail: `expected event ${index}, got ${e.index}` };
      return;
    }
    const leaf = eventLeafHash(e);
    if (Buffer.from(leaf).toString('base64') !== e.leaf_hash) {
      this.#problem = { kind: 'event', index, detail: `event ${index} does not hash to the leaf the log holds: it was changed after it was logged` };
      return;
    }
    if ('details' in e && jsonDigest(e.details ?? null) !== e.details_digest) {
      this.#problem = { kind: 'event', index, detail: `the details of event ${index} do not match their digest ${e.details_digest}` };
      return;
    }
    this.#tree.append(leaf);
  }

  /** Compares the recomputed root with the checkpoint's (the checkpoint size must equal the events seen). */
  finish(checkpoint: Checkpoint): LogVerification {
    if (this.#problem) return { ok: false, size: this.size, problem: this.#problem, checkpoint };
    if (checkpoint.size !== this.size) {
      return { ok: false, size: this.size, checkpoint, problem: { kind: 'gap', index: this.size, detail: `the checkpoint covers ${checkpoint.size} events, ${this.size} were read` } };
    }
    if (!Buffer.from(this.#tree.root()).equals(Buffer.from(checkpoint.rootHash))) {
      return { ok: false, size: this.size, checkpoint, problem: { kind: 'root', index: null, detail: 'the events do not reproduce the signed root hash' } };
    }
    return { ok: true, size: this.size, problem: null, checkpoint };
  }
}

/** Checks that `newer` extends `older` (RFC 9162 consistency), both already signature-checked. */
export function checkConsistency(older: Checkpoint, newer: Checkpoint, proof: Uint8Array[]): string | null {
  if (older.origin !== newer.origin) return `the checkpoints are of different logs (${older.origin}, ${newer.origin})`;
  if (newer.size < older.size) return `the log shrank from ${older.size} to ${newer.size} events`;
  if (older.size === newer.size) return Buffer.from(older.rootHash).equals(Buffer.from(newer.rootHash)) ? null : 'two different roots for the same size: the log forked';
  if (older.size === 0) return null;
  return verifyConsistency(older.size, newer.size, proof, older.rootHash, newer.rootHash) ? null : `the log at ${newer.size} is not an extension of the log at ${older.size}: history was rewritten`;
}
