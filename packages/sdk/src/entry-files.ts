// Registry as code: entries kept as YAML (or JSON) files in a product's repository. The CLI
// reads them for validate, plan and submit; the server reads the seed with the same reader.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type { EntryInput } from '@charter/core';
import type * as Yaml from 'yaml';

/** yaml loads on the first parse: a start that finds the seed already taken in never needs it. */
let yaml: typeof Yaml | undefined;
const loadYaml = () => (yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

/** An entry read from a file, with where it came from so errors can name the file and document. */
export interface SourcedEntry {
  entry: EntryInput;
  file: string;
  document: number;
  line: number;
}

export interface FileProblem {
  file: string;
  document: number;
  line: number;
  detail: string;
}

export interface EntryFiles {
  entries: SourcedEntry[];
  problems: FileProblem[];
}

/** Reads every document of YAML (or JSON) entry files. `platform.yaml` first: it defines the shared vocabulary. */
export function readEntryFiles(paths: string | string[]): EntryFiles {
  const out: EntryFiles = { entries: [], problems: [] };
  for (const file of entryFilesIn(paths)) {
    const parsed = parseEntryText(readFileSync(file, 'utf8'), file);
    out.entries.push(...parsed.entries);
    out.problems.push(...parsed.problems);
  }
  return out;
}

/** The entry files under `paths` (files or directories), in reading order: platform.* first, then by path. */
export function entryFilesIn(paths: string | readonly string[]): string[] {
  const files = (typeof paths === 'string' ? [paths] : [...paths]).flatMap(expand);
  return files.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function rank(file: string): number {
  return basename(file).startsWith('platform.') ? 0 : 1;
}

function expand(path: string): string[] {
  if (!existsSync(path)) throw new Error(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => join(path, f));
}

export function parseEntryText(text: string, file: string): EntryFiles {
  const out: EntryFiles = { entries: [], problems: [] };
  const { LineCounter, parseAllDocuments } = loadYaml();
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const line = doc.range ? lines.linePos(doc.range[0]).line : 1;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) out.problems.push({ file, document: i + 1, line: e.linePos?.[0]?.line ?? line, detail: e.message });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      out.problems.push({ file, document: i + 1, line, detail: 'a document must be one entry (a mapping with family, id, owner, title, spec)' });
      return;
    }
    out.entries.push({ entry: normalize(value as Record<string, unknown>) as unknown as EntryInput, file, document: i + 1, line });
  });
  return out;
}

/** YAML turns unquoted timestamps into Date objects; the registry speaks ISO strings. */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}
