import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { AuditProofError } from './errors.js';
import {
  CompactTree,
  MemoryTree,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import type { NodeId, NodeReader } from './merkle.js';
import { interop } from '../testing/interop.js';

const merkleFixtures = interop.path('merkle');

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
    })
    .sort();
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function flipBit(bytes: Uint8Array, byte: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[byte % copy.length]! ^= 1 << bit % 8;
  return copy;
}

/** RFC 9162 §2.1.1 MTH written straight from the definition, as an independent oracle. */
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(createHash('sha256').digest());
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

interface ReferenceTree {
  leafInputsHex: string[];
  nodeHashesHexByLevel: string[][];
  rootHashesHexBySize: Record<string, string>;
}
// Without the interop fixtures the tests that use these are skipped; the rest run.
const reference: ReferenceTree = interop.present
  ? readJson<ReferenceTree>(join(merkleFixtures, 'rfc6962-reference-tree.json'))
  : { leafInputsHex: [], nodeHashesHexByLevel: [], rootHashesHexBySize: {} };
const referenceLeaves = reference.leafInputsHex.map((h) => leafHash(fromHex(h)));
const referenceTree = new MemoryTree(referenceLeaves);

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
const testdata = join(merkleFixtures, 'transparency-dev-merkle-testdata');
// Go marshals an empty proof slice as null.
const proofOf = (v: { proof: string[] | null }): Uint8Array[] => (v.proof ?? []).map(b64);

describe('hash primitives', { skip: interop.skip }, () => {
  test('empty root is SHA-256 of the empty string', () => {
    assert.equal(hex(emptyRoot()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('leaf and node hashes match the reference tree node hashes', () => {
    assert.deepEqual(referenceLeaves.map(hex), reference.nodeHashesHexByLevel[0]);
    const level1 = reference.nodeHashesHexByLevel[1]!;
    assert.equal(hex(nodeHash(referenceLeaves[0]!, referenceLeaves[1]!)), level1[0]);
    assert.equal(hex(nodeHash(referenceLeaves[6]!, referenceLeaves[7]!)), level1[3]);
  });

  test('domain separation: a leaf hash differs from the node hash of the same bytes', () => {
    const a = referenceLeaves[0]!;
    const b = referenceLeaves[1]!;
    const concatenated = new Uint8Array([...a, ...b]);
    assert.notEqual(hex(leafHash(concatenated)), hex(nodeHash(a, b)));
  });
});

describe('RFC 6962 reference tree', { skip: interop.skip }, () => {
  test('root of every size 0..8 from MemoryTree, CompactTree and the oracle', async () => {
    const compact = new CompactTree();
    for (let size = 0; size <= 8; size++) {
      const want = reference.rootHashesHexBySize[String(size)];
      assert.ok(want, `reference root for size ${size}`);
      assert.equal(hex(await treeRoot(size, referenceTree)), want, `treeRoot(${size})`);
      assert.equal(hex(compact.root()), want, `CompactTree size ${size}`);
      assert.equal(hex(referenceRoot(referenceLeaves.slice(0, size))), want, `oracle size ${size}`);
      if (size < 8) compact.append(referenceLeaves[size]!);
    }
  });

  test('every listed node hash is stored by MemoryTree', () => {
    reference.nodeHashesHexByLevel.forEach((row, level) => {
      const ids = row.map((_, index) => ({ level, index }));
      assert.deepEqual(referenceTree.getNodes(ids).map(hex), row);
    });
  });
});

describe('transparency-dev inclusion vectors', { skip: interop.skip }, () => {
  const files = jsonFiles(join(testdata, 'inclusion'));

  test('all 98 vectors are present', () => {
    assert.equal(files.length, 98);
  });

  for (const file of files) {
    const v = readJson<InclusionVector>(file);
    test(`${relative(testdata, file)}: ${v.wantErr ? 'rejected' : 'accepted'}`, () => {
      const ok = verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proofOf(v), b64(v.root));
      assert.equal(ok, !v.wantErr);
    });
  }

  test('generated proofs equal the published happy-path proofs', async () => {
    const happy = files.filter((f) => f.endsWith('happy-path.json')).map((f) => readJson<InclusionVector>(f));
    assert.equal(happy.length, 5);
    for (const v of happy) {
      const proof = await inclusionProof(v.leafIdx, v.treeSize, referenceTree);
      assert.deepEqual(proof.map(hex), proofOf(v).map(hex), `leaf ${v.leafIdx} of ${v.treeSize}`);
      assert.equal(hex(await treeRoot(v.treeSize, referenceTree)), hex(b64(v.root)));
    }
  });
});

describe('transparency-dev consistency vectors', { skip: interop.skip }, () => {
  const files = jsonFiles(join(testdata, 'consistency'));

  test('all 98 vectors are present', () => {
    assert.equal(files.length, 98);
  });

  for (const file of files) {
    const v = readJson<ConsistencyVector>(file);
    test(`${relative(testdata, file)}: ${v.wantErr ? 'rejected' : 'accepted'}`, () => {
      const ok = verifyConsistency(v.size1, v.size2, proofOf(v), b64(v.root1), b64(v.root2));
      assert.equal(ok, !v.wantErr);
    });
  }

  test('generated proofs equal the published happy-path proofs', async () => {
    const happy = files.filter((f) => f.endsWith('happy-path.json')).map((f) => readJson<ConsistencyVector>(f));
    assert.equal(happy.length, 5);
    for (const v of happy) {
      const proof = await consistencyProof(v.size1, v.size2, referenceTree);
      assert.deepEqual(proof.map(hex), proofOf(v).map(hex), `${v.size1} -> ${v.size2}`);
    }
  });

  test('additional/sizes-are-equal-zero-and-proof-is-empty needs the size1 == 0 rule', () => {
    const v = readJson<ConsistencyVector>(join(testdata, 'consistency/additional/sizes-are-equal-zero-and-proof-is-empty.json'));
    assert.equal(v.size1, 0);
    assert.equal(v.root1, v.root2);
    assert.equal(verifyConsistency(v.size1, v.size2, [], b64(v.root1), b64(v.root2)), false);
    assert.equal(verifyConsistency(0, 0, [], emptyRoot(), emptyRoot()), false);
  });
});

describe('real Sigstore log inclusion proofs', { skip: interop.skip }, () => {
  interface RealProof {
    log: string;
    leafDataBase64: string;
    leafIndex: number;
    globalLogIndex: number;
    treeSize: number;
    rootHashBase64: string;
    proofBase64: string[];
  }
  const { proofs } = readJson<{ proofs: RealProof[] }>(join(merkleFixtures, 'real-log-inclusion-proofs.json'));

  test('all 4 proofs are present', () => {
    assert.equal(proofs.length, 4);
  });

  for (const p of proofs) {
    test(`${p.log}: leaf ${p.leafIndex} of ${p.treeSize}`, () => {
      const leaf = leafHash(b64(p.leafDataBase64));
      const proof = p.proofBase64.map(b64);
      const root = b64(p.rootHashBase64);
      assert.equal(hex(rootFromInclusionProof(leaf, p.leafIndex, p.treeSize, proof)), hex(root));
      assert.ok(verifyInclusion(leaf, p.leafIndex, p.treeSize, proof, root));
      assert.equal(verifyInclusion(leaf, p.leafIndex, p.treeSize, proof, flipBit(root, 31, 0)), false);
      assert.equal(verifyInclusion(leaf, p.leafIndex - 1, p.treeSize, proof, root), false);
      assert.equal(verifyInclusion(leaf, p.leafIndex, p.treeSize, proof.slice(1), root), false);
      assert.equal(verifyInclusion(leafHash(new Uint8Array(0)), p.leafIndex, p.treeSize, proof, root), false);
      if (p.globalLogIndex !== p.leafIndex) {
        // Rekor v1: the proof is against the shard index, not the global log index.
        assert.equal(verifyInclusion(leaf, p.globalLogIndex, p.treeSize, proof, root), false);
      }
    });
  }
});

// One tree serves proofs for every smaller size: nodes of a prefix never change.
const MAX_LEAVES = 320;
const bigLeaves = Array.from({ length: MAX_LEAVES }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
const bigTree = new MemoryTree(bigLeaves);
const prefixRoots: Uint8Array[] = [emptyRoot()];
{
  const compact = new CompactTree();
  for (const leaf of bigLeaves) {
    compact.append(leaf);
    prefixRoots.push(compact.root());
  }
}
const rootAt = (size: number): Uint8Array => prefixRoots[size]!;

describe('proof generation and verification (property-based)', () => {
  test('prefix roots agree with the RFC definition', () => {
    for (const size of [0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 100, 255, 256, 257, MAX_LEAVES]) {
      assert.equal(hex(rootAt(size)), hex(referenceRoot(bigLeaves.slice(0, size))), `size ${size}`);
    }
  });

  test('every generated inclusion and consistency proof verifies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), async (size) => {
        const root = rootAt(size);
        assert.equal(hex(await treeRoot(size, bigTree)), hex(root));
        for (let index = 0; index < size; index++) {
          const proof = await inclusionProof(index, size, bigTree);
          assert.ok(verifyInclusion(bigLeaves[index]!, index, size, proof, root), `inclusion ${index}/${size}`);
        }
        for (let from = 1; from <= size; from++) {
          const proof = await consistencyProof(from, size, bigTree);
          assert.ok(verifyConsistency(from, size, proof, rootAt(from), root), `consistency ${from}->${size}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('any one-bit change to an inclusion proof, leaf, root, index or size fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 310 }),
        async (size, pick, element, byte, bit, otherSize) => {
          const index = pick % size;
          const leaf = bigLeaves[index]!;
          const root = rootAt(size);
          const proof = await inclusionProof(index, size, bigTree);
          assert.ok(verifyInclusion(leaf, index, size, proof, root));
          assert.equal(verifyInclusion(flipBit(leaf, byte, bit), index, size, proof, root), false);
          assert.equal(verifyInclusion(leaf, index, size, proof, flipBit(root, byte, bit)), false);
          if (proof.length > 0) {
            const at = element % proof.length;
            const tampered = proof.map((h, i) => (i === at ? flipBit(h, byte, bit) : h));
            assert.equal(verifyInclusion(leaf, index, size, tampered, root), false);
          }
          const otherIndex = (index + 1 + (pick % (size + 4))) % (size + 5); // never equals index
          assert.equal(verifyInclusion(leaf, otherIndex, size, proof, root), false);
          // A different size must come with its own root: that pairing is what a checkpoint signs.
          if (otherSize !== size) assert.equal(verifyInclusion(leaf, index, otherSize, proof, rootAt(otherSize)), false);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('any one-bit change to a consistency proof, either root, or either size fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 310 }),
        async (size2, pick, element, byte, bit, otherSize) => {
          const size1 = 1 + (pick % size2);
          const root1 = rootAt(size1);
          const root2 = rootAt(size2);
          const proof = await consistencyProof(size1, size2, bigTree);
          assert.ok(verifyConsistency(size1, size2, proof, root1, root2));
          assert.equal(verifyConsistency(size1, size2, proof, flipBit(root1, byte, bit), root2), false);
          assert.equal(verifyConsistency(size1, size2, proof, root1, flipBit(root2, byte, bit)), false);
          if (proof.length > 0) {
            const at = element % proof.length;
            const tampered = proof.map((h, i) => (i === at ? flipBit(h, byte, bit) : h));
            assert.equal(verifyConsistency(size1, size2, tampered, root1, root2), false);
          }
          if (otherSize !== size1) {
            assert.equal(verifyConsistency(otherSize, size2, proof, rootAt(otherSize), root2), false);
          }
          if (otherSize !== size2) {
            assert.equal(verifyConsistency(size1, otherSize, proof, root1, rootAt(otherSize)), false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('the size is bound only through the root: a proof for (0, 3) also fits size 4 under root(3)', async () => {
    const proof = await inclusionProof(0, 3, bigTree);
    assert.ok(verifyInclusion(bigLeaves[0]!, 0, 4, proof, rootAt(3)));
    assert.equal(verifyInclusion(bigLeaves[0]!, 0, 4, proof, rootAt(4)), false);
  });
});

describe('untrusted input to the verifiers', async () => {
  const leaf = bigLeaves[5]!;
  const size = 10;
  const root = rootAt(size);
  const proof = await inclusionProof(5, size, bigTree);

  test('the untampered proof verifies', () => {
    assert.ok(verifyInclusion(leaf, 5, size, proof, root));
  });

  test('bad indices and sizes are rejected, with INVALID_PROOF from rootFromInclusionProof', () => {
    const cases: Array<[number, number]> = [
      [-1, size],
      [5.5, size],
      [Number.NaN, size],
      [5, Number.POSITIVE_INFINITY],
      [5, 2 ** 53],
      [size, size],
      [5, 0],
      [5, -10],
    ];
    for (const [index, treeSize] of cases) {
      assert.equal(verifyInclusion(leaf, index, treeSize, proof, root), false, `${index}/${treeSize}`);
      assert.throws(
        () => rootFromInclusionProof(leaf, index, treeSize, proof),
        (e: unknown) => e instanceof AuditProofError && e.code === 'INVALID_PROOF',
      );
    }
  });

  test('wrong proof lengths and malformed hashes are rejected', () => {
    const extra = [...proof, proof[0]!];
    const cases: Array<[string, () => Uint8Array]> = [
      ['too long', () => rootFromInclusionProof(leaf, 5, size, extra)],
      ['too short', () => rootFromInclusionProof(leaf, 5, size, proof.slice(0, -1))],
      ['31-byte element', () => rootFromInclusionProof(leaf, 5, size, [proof[0]!.slice(1), ...proof.slice(1)])],
      ['33-byte leaf', () => rootFromInclusionProof(new Uint8Array(33), 5, size, proof)],
    ];
    for (const [what, run] of cases) {
      assert.throws(run, (e: unknown) => e instanceof AuditProofError && e.code === 'INVALID_PROOF', what);
    }
    assert.equal(verifyInclusion(leaf, 5, size, extra, root), false);
  });

  test('a huge attacker-supplied proof array is rejected after O(log size) work', () => {
    let reads = 0;
    const huge = new Proxy(new Array<Uint8Array>(1_000_000).fill(proof[0]!), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    assert.equal(verifyInclusion(leaf, 5, size, huge, root), false);
    assert.ok(reads <= 8, `inclusion read ${reads} elements`);
    reads = 0;
    assert.equal(verifyConsistency(3, size, huge, rootAt(3), root), false);
    assert.ok(reads <= 8, `consistency read ${reads} elements`);
  });

  test('consistency: size1 > size2, size1 == 0, and non-empty proofs for equal sizes fail', async () => {
    const p = await consistencyProof(3, size, bigTree);
    assert.ok(verifyConsistency(3, size, p, rootAt(3), root));
    assert.equal(verifyConsistency(size, 3, p, root, rootAt(3)), false);
    assert.equal(verifyConsistency(0, size, p, emptyRoot(), root), false);
    assert.equal(verifyConsistency(0, size, [], emptyRoot(), root), false);
    assert.equal(verifyConsistency(size, size, [root], root, root), false);
    assert.ok(verifyConsistency(size, size, [], root, root));
    assert.equal(verifyConsistency(-3, size, p, rootAt(3), root), false);
    assert.equal(verifyConsistency(3.5, size, p, rootAt(3), root), false);
    assert.equal(verifyConsistency(3, size, [...p, p[0]!], rootAt(3), root), false);
    assert.equal(verifyConsistency(3, size, p.slice(0, -1), rootAt(3), root), false);
  });

  test('verifiers never throw, whatever they are given', () => {
    const anyArgs = fc.tuple(fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything());
    fc.assert(
      fc.property(anyArgs, ([a, b, c, d, e]) => {
        const call = verifyInclusion as (...args: unknown[]) => unknown;
        const callConsistency = verifyConsistency as (...args: unknown[]) => unknown;
        assert.equal(call(a, b, c, d, e), false);
        assert.equal(callConsistency(a, b, c, d, e), false);
        assert.equal(call(leaf, 5, size, [d, e], root), false);
        assert.equal(callConsistency(3, size, [d, e], rootAt(3), root), false);
      }),
    );
  });
});

describe('proof generation over a NodeReader', () => {
  // A tree whose leaves are all equal is a valid Merkle tree of any size: the hash of a
  // perfect subtree depends only on its level. It exercises sizes beyond 2^32.
  const uniformLevels: Uint8Array[] = [leafHash(Buffer.from('same'))];
  for (let level = 1; level <= 53; level++) {
    const below = uniformLevels[level - 1]!;
    uniformLevels.push(nodeHash(below, below));
  }

  function recordingReader(): NodeReader & { calls: NodeId[][] } {
    const calls: NodeId[][] = [];
    return {
      calls,
      async getNodes(ids) {
        calls.push([...ids]);
        return ids.map(({ level }) => uniformLevels[level]!);
      },
    };
  }

  function frontierOf(size: number): Uint8Array[] {
    const hashes: Uint8Array[] = [];
    for (let level = 53; level >= 0; level--) {
      if (Math.floor(size / 2 ** level) % 2 === 1) hashes.push(uniformLevels[level]!);
    }
    return hashes;
  }

  test('sizes beyond 32 bits: proofs verify, reads are one batch of O(log n) complete nodes', async () => {
    const cases: Array<[number, number]> = [
      [2 ** 32 + 5, 2 ** 33 + 3],
      [0, 2 ** 40 + 12345],
      [2 ** 40 + 12344, 2 ** 40 + 12345],
      [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER],
    ];
    for (const [index, size] of cases) {
      const reader = recordingReader();
      const root = await treeRoot(size, reader);
      assert.equal(hex(root), hex(CompactTree.fromFrontier(size, frontierOf(size)).root()));
      const proof = await inclusionProof(index, size, reader);
      assert.ok(verifyInclusion(uniformLevels[0]!, index, size, proof, root), `${index}/${size}`);
      const from = Math.floor(size / 3) + 1;
      const cproof = await consistencyProof(from, size, reader);
      const fromRoot = CompactTree.fromFrontier(from, frontierOf(from)).root();
      assert.ok(verifyConsistency(from, size, cproof, fromRoot, root), `${from}->${size}`);
      assert.equal(verifyConsistency(from, size, cproof, root, root), false);

      const bound = 2 * Math.ceil(Math.log2(size));
      assert.equal(reader.calls.length, 3);
      for (const ids of reader.calls.slice(1)) {
        assert.ok(ids.length <= bound, `${ids.length} reads for size ${size}`);
        for (const { level, index: i } of ids) {
          assert.ok((i + 1) * 2 ** level <= size, `node (${level}, ${i}) is complete within size ${size}`);
        }
      }
    }
  });

  test('invalid requests are rejected with INVALID_ARGUMENT', async () => {
    const invalid = (e: unknown) => e instanceof AuditProofError && e.code === 'INVALID_ARGUMENT';
    await assert.rejects(inclusionProof(10, 10, bigTree), invalid);
    await assert.rejects(inclusionProof(-1, 10, bigTree), invalid);
    await assert.rejects(inclusionProof(0.5, 10, bigTree), invalid);
    await assert.rejects(consistencyProof(0, 10, bigTree), invalid);
    await assert.rejects(consistencyProof(11, 10, bigTree), invalid);
    await assert.rejects(treeRoot(-1, bigTree), invalid);
    assert.deepEqual(await consistencyProof(7, 7, bigTree), []);
  });

  test('a reader that lacks nodes yields MISSING_NODE', async () => {
    const missing = (e: unknown) => e instanceof AuditProofError && e.code === 'MISSING_NODE';
    const small = new MemoryTree(bigLeaves.slice(0, 4));
    await assert.rejects(inclusionProof(2, 8, small), missing);
    await assert.rejects(treeRoot(5, small), missing);
    const short: NodeReader = { getNodes: (ids) => bigTree.getNodes(ids).slice(1) };
    await assert.rejects(inclusionProof(2, 8, short), missing);
  });
});

describe('CompactTree', () => {
  test('root matches the RFC definition and MemoryTree; append returns the stored nodes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 300, size: 'max' }), (inputs) => {
        const leaves = inputs.map(leafHash);
        const compact = new CompactTree();
        const memory = new MemoryTree();
        for (const leaf of leaves) {
          const created = compact.append(leaf);
          memory.append(leaf);
          assert.equal(created[0]!.level, 0);
          assert.deepEqual(memory.getNodes(created).map(hex), created.map((n) => hex(n.hash)));
        }
        assert.equal(compact.size, leaves.length);
        assert.equal(hex(compact.root()), hex(referenceRoot(leaves)));
      }),
    );
  });

  test('the frontier round-trips and fully captures the state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 19 }), (size, more) => {
        const original = new CompactTree();
        for (const leaf of bigLeaves.slice(0, size)) original.append(leaf);
        const frontier = original.frontier();
        let bits = 0;
        for (let n = size; n > 0; n = Math.floor(n / 2)) bits += n % 2;
        assert.equal(frontier.length, bits);

        const restored = CompactTree.fromFrontier(size, frontier);
        assert.equal(restored.size, size);
        assert.deepEqual(restored.frontier().map(hex), frontier.map(hex));
        assert.equal(hex(restored.root()), hex(rootAt(size)));
        for (const leaf of bigLeaves.slice(size, size + more)) {
          original.append(leaf);
          restored.append(leaf);
        }
        assert.equal(hex(restored.root()), hex(rootAt(size + more)));
        assert.equal(hex(original.root()), hex(restored.root()));
      }),
    );
  });

  test('frontier() hands out copies', () => {
    const tree = CompactTree.fromFrontier(1, [bigLeaves[0]!]);
    tree.frontier()[0]!.fill(0);
    assert.equal(hex(tree.root()), hex(bigLeaves[0]!));
  });

  test('fromFrontier rejects inconsistent state', () => {
    const invalid = (e: unknown) => e instanceof AuditProofError && e.code === 'INVALID_ARGUMENT';
    const h = bigLeaves[0]!;
    assert.throws(() => CompactTree.fromFrontier(3, [h]), invalid);
    assert.throws(() => CompactTree.fromFrontier(4, [h, h]), invalid);
    assert.throws(() => CompactTree.fromFrontier(-1, []), invalid);
    assert.throws(() => CompactTree.fromFrontier(1.5, [h]), invalid);
    assert.throws(() => CompactTree.fromFrontier(1, [h.slice(1)]), invalid);
    assert.throws(() => new CompactTree().append(new Uint8Array(31)), invalid);
    assert.equal(CompactTree.fromFrontier(0, []).size, 0);
  });
});
