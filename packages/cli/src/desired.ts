// Registry as code: entry files read, validated offline, planned against a server, submitted.
import { readFileSync } from 'node:fs';
import {
  Catalog,
  entryKey,
  inDependencyOrder,
  operationsFor,
  planChangeSet,
  pointerInEntry,
  tryParseRef,
  type Entry,
  type FieldChange,
  type Issue,
  type Operation,
  type PlannedChange,
  type Principal,
} from '@charter/core';
import { CharterProblem, type ChangeSet, type CharterClient, type DryRun } from '@charter/sdk/client';
// Only the YAML reader, not the server stack: these commands start fast.
import { entryFilesIn, readEntryFiles, type FileProblem, type SourcedEntry } from '@charter/sdk/entry-files';
import type { Command } from 'commander';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { clientFor, EXIT, globals, outputFor } from './context.js';
import { printJson, progress, type Output } from './output.js';

// ---------------------------------------------------------------------------------------------
// Reading the files

interface DesiredEntries {
  files: number;
  sources: SourcedEntry[];
  problems: FileProblem[];
}

/** Reads the entry files one by one (so a terminal sees progress), then orders them for creation. */
async function readDesired(paths: readonly string[], o: Output): Promise<DesiredEntries> {
  const files = entryFilesIn(paths);
  const bar = progress(o, 'reading entry files');
  const sources: SourcedEntry[] = [];
  const problems: FileProblem[] = [];
  files.forEach((file, i) => {
    const read = readEntryFiles(file);
    sources.push(...read.entries);
    problems.push(...read.problems);
    bar.update(i + 1, files.length);
  });
  bar.done();
  return { files: files.length, sources: inDependencyOrder(sources, (s) => s.entry), problems };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The change set's operations and, for each, the file entry it came from. */
interface Desired {
  operations: Operation[];
  sources: SourcedEntry[];
}

/**
 * `operationsFor` entry by entry, so every operation knows its file; creates first, as
 * `operationsFor` orders them (an update may reference an entry created by the same change set).
 */
function desiredOperations(view: Catalog, sources: readonly SourcedEntry[]): Desired {
  const creates: [Operation, SourcedEntry][] = [];
  const changes: [Operation, SourcedEntry][] = [];
  for (const s of sources) {
    for (const op of operationsFor(view, [s.entry])) (op.op === 'create' ? creates : changes).push([op, s]);
  }
  const all = [...creates, ...changes];
  return { operations: all.map(([op]) => op), sources: all.map(([, s]) => s) };
}

// ---------------------------------------------------------------------------------------------
// Naming the place of a problem: FILE:LINE (document N) /pointer-inside-the-entry

export interface LocatedProblem {
  file: string | null;
  line: number | null;
  document: number | null;
  /** The entry the problem is about, when it is about one. */
  ref: string | null;
  /** A JSON pointer inside the entry document (or into the request, when no entry is involved). */
  pointer: string;
  code: string;
  detail: string;
}

function opRef(op: unknown): string | null {
  if (!isObject(op)) return null;
  const target = op.op === 'create' && isObject(op.entry) ? op.entry : op;
  return typeof target.family === 'string' && typeof target.id === 'string' ? entryKey(target.family, target.id) : null;
}

function unescapeToken(t: string): string {
  return t.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** Line numbers of pointers inside YAML documents; each file is parsed again only if a problem names it. */
class LineIndex {
  readonly #files = new Map<string, { docs: Document[]; lines: LineCounter } | null>();

  lineOf(file: string, document: number, pointer: string, fallback: number): number {
    let parsed = this.#files.get(file);
    if (parsed === undefined) {
      try {
        const lines = new LineCounter();
        const docs = parseAllDocuments(readFileSync(file, 'utf8'), { lineCounter: lines });
        parsed = { docs: Array.isArray(docs) ? docs : [], lines };
      } catch {
        parsed = null;
      }
      this.#files.set(file, parsed);
    }
    const doc = parsed?.docs[document - 1];
    if (!parsed || !doc) return fallback;
    const lineAt = (offset: number) => parsed.lines.linePos(offset).line;
    let node: unknown = doc.contents;
    let line = doc.contents?.range ? lineAt(doc.contents.range[0]) : fallback;
    // Walk as far as the document has the path; a missing field is reported at its parent.
    for (const token of pointer.split('/').slice(1).map(unescapeToken)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === token);
        if (!pair) break;
        const range = isScalar(pair.key) ? pair.key.range : undefined;
        if (range) line = lineAt(range[0]);
        node = pair.value;
      } else if (isSeq(node)) {
        const item: unknown = node.items[Number(token)];
        if (item === undefined || !/^\d+$/.test(token)) break;
        const range = (item as { range?: [number, number, number] }).range;
        if (range) line = lineAt(range[0]);
        node = item;
      } else {
        break;
      }
    }
    return line;
  }
}

/** Maps issues whose pointers run into `operations` back to the file, document and field. */
function locate(issues: readonly Issue[], operations: readonly unknown[], sources: readonly SourcedEntry[] | null): LocatedProblem[] {
  const index = new LineIndex();
  const located = issues.map((issue): LocatedProblem => {
    const m = /^\/operations\/(\d+)(\/.*)?$/.exec(issue.pointer);
    if (!m) return { file: null, line: null, document: null, ref: null, pointer: issue.pointer, code: issue.code, detail: issue.detail };
    const i = Number(m[1]);
    const op = operations[i];
    const inner = pointerInEntry(op, m[2] ?? '');
    const source = sources?.[i];
    if (!source) return { file: null, line: null, document: null, ref: opRef(op), pointer: inner, code: issue.code, detail: issue.detail };
    return {
      file: source.file,
      line: index.lineOf(source.file, source.document, inner, source.line),
      document: source.document,
      ref: opRef(op),
      pointer: inner,
      code: issue.code,
      detail: issue.detail,
    };
  });
  return located.sort(byPlace);
}

/** Reading order, as an editor shows them (validation runs in the change set's order). Stable for problems without a file. */
function byPlace(a: LocatedProblem, b: LocatedProblem): number {
  return (a.file ?? '').localeCompare(b.file ?? '') || (a.document ?? 0) - (b.document ?? 0) || (a.line ?? 0) - (b.line ?? 0);
}

function fileProblems(problems: readonly FileProblem[]): LocatedProblem[] {
  return problems.map((p) => ({ file: p.file, line: p.line, document: p.document, ref: null, pointer: '', code: 'INVALID_ENTRY', detail: p.detail }));
}

export function describeProblem(p: LocatedProblem): string {
  const at = p.file ? `${p.file}:${p.line ?? 1} (document ${p.document ?? 1}) ` : p.ref ? `${p.ref} ` : '';
  return `${at}${p.pointer || '/'} ${p.code} ${p.detail}`;
}

/** Problems of a stored change set (no files): named by the entry each operation touches, pointers into the change set. */
export function changeSetProblems(issues: readonly Issue[], operations: readonly unknown[]): LocatedProblem[] {
  return issues.map((issue) => {
    const i = /^\/operations\/(\d+)/.exec(issue.pointer)?.[1];
    return { file: null, line: null, document: null, ref: i === undefined ? null : opRef(operations[Number(i)]), pointer: issue.pointer, code: issue.code, detail: issue.detail };
  });
}

// ---------------------------------------------------------------------------------------------
// Printing a plan

function show(v: unknown): string {
  const s = v === undefined ? 'null' : JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 99)}…` : s;
}

function diffLine(d: FieldChange): string {
  return `${d.path}: ${show(d.before)} → ${show(d.after)}`;
}

/** A change as a Terraform-like line: `+ create`, `~ update` with field diffs, `→ transition`. */
export function describeChange(c: PlannedChange): string[] {
  let head: string;
  let diffs: FieldChange[];
  if (c.action === 'create') {
    head = `+ create ${c.ref}`;
    diffs = [];
  } else if (c.action === 'transition') {
    head = `→ transition ${c.ref} ${c.before?.lifecycle ?? '?'} → ${c.after.lifecycle}`;
    diffs = c.diff.filter((d) => d.path !== '/lifecycle');
  } else {
    head = `~ update ${c.ref}`;
    diffs = c.diff;
  }
  const lines = diffs.length ? [`${head}  ${diffLine(diffs[0]!)}`] : [head];
  const indent = ' '.repeat(head.length + 2);
  for (const d of diffs.slice(1)) lines.push(indent + diffLine(d));
  if (c.affects?.length) lines.push(`${indent}affects: ${c.affects.join(', ')}`);
  return lines;
}

export function describePlan(changes: readonly PlannedChange[]): string[] {
  if (changes.length === 0) return ['no changes'];
  const count = (a: PlannedChange['action']) => changes.filter((c) => c.action === a).length;
  return [...changes.flatMap(describeChange), '', `Plan: ${count('create')} to create, ${count('update')} to update, ${count('transition')} to transition.`];
}

// ---------------------------------------------------------------------------------------------
// Against the server

/** The registry as the server has it now, as a catalog to diff the files against. */
async function serverCatalog(client: CharterClient): Promise<Catalog> {
  const res = await client.getSnapshot();
  const catalog = new Catalog();
  // The wire types family and lifecycle as strings; the server sends its own catalog's entries.
  if (res) catalog.apply(res.snapshot.entries as unknown as Entry[], res.snapshot.sequence);
  return catalog;
}

/** A 422 (or 409 for stale revisions) naming problems in the operations: the answer is "invalid", not an error. */
function validationIssues(err: unknown): Issue[] | null {
  if (!(err instanceof CharterProblem) || (err.status !== 422 && err.status !== 409)) return null;
  if (err.errors.length === 0) return null;
  return err.errors as Issue[];
}

function printProblems(o: Output, problems: readonly LocatedProblem[]): void {
  for (const p of problems) o.out(describeProblem(p));
}

export interface FileFlags {
  file: string[];
}

/** Reads the files; on unreadable documents prints them and returns null (the answer is "invalid"). */
async function desiredOrReport(o: Output, flags: FileFlags, setExit: (code: number) => void): Promise<DesiredEntries | null> {
  const desired = await readDesired(flags.file, o);
  if (desired.problems.length === 0) return desired;
  const problems = fileProblems(desired.problems);
  if (o.json) printJson(o, { valid: false, problems });
  else {
    printProblems(o, problems);
    o.out(`invalid: ${problems.length} problem(s); fix the documents above first`);
  }
  setExit(EXIT.no);
  return null;
}

/** Plans (dry run) or submits the operations that bring the server to the files. */
export async function planOrSubmit(
  cmd: Command,
  flags: FileFlags & { title?: string; description?: string },
  mode: 'plan' | 'submit',
  setExit: (code: number) => void,
): Promise<void> {
  const g = globals(cmd);
  const o = outputFor(g);
  const desired = await desiredOrReport(o, flags, setExit);
  if (!desired) return;
  const client = clientFor(g);
  const catalog = await serverCatalog(client);
  const { operations, sources } = desiredOperations(catalog, desired.sources);
  if (operations.length === 0) {
    if (o.json) printJson(o, mode === 'plan' ? { valid: true, sequence: catalog.sequence, operations, changes: [], errors: [] } : { changeset: null, operations });
    else o.out(mode === 'plan' ? 'no changes' : 'no changes: the registry already matches these files; nothing was submitted');
    setExit(EXIT.yes);
    return;
  }
  const body = { title: flags.title ?? 'plan', ...(flags.description ? { description: flags.description } : {}), operations };
  let answer: DryRun | ChangeSet;
  try {
    answer = mode === 'plan' ? await client.planChangeSet(body) : await client.submitChangeSet(body);
  } catch (err) {
    const issues = validationIssues(err);
    if (!issues) throw err;
    const problems = locate(issues, operations, sources);
    if (o.json) printJson(o, { valid: false, operations, problems });
    else {
      printProblems(o, problems);
      o.out(`invalid: ${problems.length} problem(s); nothing was ${mode === 'plan' ? 'planned' : 'submitted'}`);
    }
    setExit(EXIT.no);
    return;
  }
  const changes = answer.plan as unknown as PlannedChange[];
  if (mode === 'plan') {
    if (o.json) printJson(o, { valid: true, sequence: catalog.sequence, operations, changes, errors: [] });
    else o.out(describePlan(changes).join('\n'));
  } else {
    const cs = answer as ChangeSet;
    if (o.json) printJson(o, cs);
    else {
      o.out(`submitted change set ${cs.id} (${cs.status}): ${changes.length} change(s)`);
      o.out(describePlan(changes).join('\n'));
      o.out('');
      o.out('It needs an approval by someone other than you (scope platform.registry.approve), then apply:');
      o.out(`  charter changeset show ${cs.id}`);
      o.out(`  charter changeset approve ${cs.id}    # by a reviewer`);
      o.out(`  charter changeset apply ${cs.id}`);
    }
  }
  setExit(EXIT.yes);
}

// ---------------------------------------------------------------------------------------------
// Offline validation

/** Reads a saved `GET /v1/snapshot` answer. */
function loadSnapshot(file: string): Catalog {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read snapshot ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(parsed) || typeof parsed.sequence !== 'number' || !Array.isArray(parsed.entries)) {
    throw new Error(`${file} is not a registry snapshot (save one with: curl $CHARTER_URL/v1/snapshot > ${file})`);
  }
  const catalog = new Catalog();
  catalog.apply(parsed.entries as Entry[], parsed.sequence);
  return catalog;
}

/** The value a problem's pointer names in the submitted body, when it is a string (a reference or an owner). */
function stringAt(operations: readonly Operation[], pointer: string): string | null {
  let cur: unknown = { operations };
  for (const token of pointer.split('/').slice(1).map(unescapeToken)) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isObject(cur)) cur = cur[token];
    else return null;
  }
  return typeof cur === 'string' ? cur : null;
}

export interface ValidationResult {
  problems: LocatedProblem[];
  /** Without a snapshot: problems about entries outside the files, which could not be checked. */
  unchecked: LocatedProblem[];
  entries: number;
}

/**
 * Validates entry files offline exactly as the server would validate the change set creating
 * or updating them: against an empty registry, or a saved snapshot. Without a snapshot,
 * references to (and owners that are) entries outside the files cannot be judged.
 */
export function validateEntries(desired: DesiredEntries, snapshot: Catalog | null, principal: Principal, now: string): ValidationResult {
  const files = fileProblems(desired.problems);
  const view = snapshot ?? new Catalog();
  const { operations, sources } = desiredOperations(view, desired.sources);
  if (operations.length === 0) return { problems: files, unchecked: [], entries: desired.sources.length };
  const plan = planChangeSet(view, { title: 'validate', operations }, principal, now);
  const inFiles = new Set(desired.sources.map((s) => entryKey(String(s.entry.family), String(s.entry.id))));
  const outside = (issue: Issue): boolean => {
    if (snapshot) return false;
    if (issue.code === 'REFERENCE_UNRESOLVED') {
      const target = tryParseRef(stringAt(operations, issue.pointer));
      return target !== null && !inFiles.has(entryKey(target.family, target.id));
    }
    if (issue.code === 'OWNER_UNKNOWN') {
      const owner = stringAt(operations, issue.pointer);
      return owner !== null && !inFiles.has(entryKey('product', owner));
    }
    return false;
  };
  const checked = plan.errors.filter((e) => !outside(e));
  const skipped = plan.errors.filter(outside);
  return { problems: [...files, ...locate(checked, operations, sources)].sort(byPlace), unchecked: locate(skipped, operations, sources), entries: desired.sources.length };
}

// ---------------------------------------------------------------------------------------------
// Commands

/** `charter validate`: the entry files alone, or against a saved snapshot. */
export async function validateFiles(flags: FileFlags & { snapshot?: string; product?: string }, cmd: Command, setExit: (code: number) => void): Promise<void> {
    const o = outputFor(globals(cmd));
    const snapshot = flags.snapshot ? loadSnapshot(flags.snapshot) : null;
    const desired = await readDesired(flags.file, o);
    const principal: Principal = { name: 'validate', product: flags.product ?? null, admin: flags.product === undefined };
    const result = validateEntries(desired, snapshot, principal, new Date().toISOString());
    const valid = result.problems.length === 0;
    if (o.json) {
      printJson(o, { valid, files: desired.files, entries: result.entries, references_checked: snapshot !== null, problems: result.problems, unchecked: result.unchecked });
    } else {
      printProblems(o, result.problems);
      o.out(valid
        ? `valid: ${result.entries} entr${result.entries === 1 ? 'y' : 'ies'} in ${desired.files} file(s)`
        : `invalid: ${result.problems.length} problem(s) in ${new Set(result.problems.map((p) => p.file)).size} file(s)`);
      if (!snapshot) {
        const n = result.unchecked.length;
        o.out(`references not checked: pass --snapshot FILE${n ? ` (${n} reference(s) or owner(s) outside these files)` : ''}`);
      }
    }
    setExit(valid ? EXIT.yes : EXIT.no);
}
