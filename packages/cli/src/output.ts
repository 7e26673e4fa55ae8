/** Printing for humans or machines. Every command takes --json; human output goes to stdout, progress to stderr. */
export interface Output {
  json: boolean;
  out: (s: string) => void;
  err: (s: string) => void;
}

export function defaultOutput(json: boolean): Output {
  return { json, out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };
}

export function printJson(o: Output, value: unknown): void {
  o.out(JSON.stringify(value, null, 2));
}

/** A plain aligned table; the last column is never padded. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** Shows progress on a terminal only: quiet with --json or when stderr is not a TTY. */
export function progress(o: Output, label: string): { update(done: number, total?: number): void; done(): void } {
  const live = !o.json && process.stderr.isTTY === true;
  let last = 0;
  return {
    update(done, total) {
      if (!live) return;
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      process.stderr.write(`\r${label}: ${done}${total ? `/${total} (${Math.floor((done / total) * 100)}%)` : ''}   `);
    },
    done() {
      if (live) process.stderr.write('\n');
    },
  };
}
