import { readFileSync, writeFileSync } from 'node:fs';
import type { NoteVerifier } from '@charter/core';
import type { Artifact, Decision, Evidence, Explanation, Page, PolicyCheck } from '@charter/sdk/client';
import type { Command } from 'commander';
import { clientFor, EXIT, globals, outputFor, type GlobalOptions } from '../context.js';
import { printJson, table, type Output } from '../output.js';


const DIGEST = /^sha256:[0-9a-f]{64}$/;

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

// Core (policy wording, proof verification) loads only for the commands that print or verify them.
const core = () => import('@charter/core');
type Describe = (r: unknown) => string;

/** Refuses a malformed digest before asking the server. */
function digestOf(digest: string): string {
  if (!DIGEST.test(digest)) throw new UsageError(`'${digest}' is not a digest: write sha256: followed by 64 lowercase hex characters`);
  return digest;
}

/**
 * A problem found before or without the server: exit 1 when the answer is no (a malformed
 * digest or proof), 2 when the question could not be asked (a file that cannot be read).
 */
class UsageError extends Error {
  constructor(
    message: string,
    readonly exit: number = EXIT.no,
  ) {
    super(message);
  }
}

/**
 * Runs an action; a UsageError is reported here (exit 1), anything else goes to main's
 * reportError, which maps the server's problem to an exit code.
 */
function action<A extends unknown[]>(setExit: (code: number) => void, fn: (o: Output, g: GlobalOptions, ...args: A) => Promise<number>) {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const g = globals(cmd);
    const o = outputFor(g);
    try {
      setExit(await fn(o, g, ...args));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      if (o.json) printJson(o, { code: 'USAGE', detail: err.message });
      else o.err(`error: ${err.message}`);
      setExit(err.exit);
    }
  };
}

function short(id: string | null | undefined, n = 16): string {
  if (!id) return '-';
  return id.length > n ? `${id.slice(0, n)}…` : id;
}

function bare(ref: string): string {
  return ref.replace(/^[a-z-]+:/, '');
}

function describeArtifact(a: Artifact): string[] {
  const lines = [
    `${a.digest}`,
    `  name:        ${a.name} ${a.version}`,
    `  type:        ${a.artifact_type}`,
    `  product:     ${a.product}`,
    `  registered:  ${a.registered_at} by ${a.registered_by} (audit #${a.audit_index})`,
  ];
  if (a.source.repo) lines.push(`  repo:        ${a.source.repo}`);
  if (a.source.commit) lines.push(`  commit:      ${a.source.commit}`);
  if (a.source.build_url) lines.push(`  build:       ${a.source.build_url}`);
  const labels = Object.entries(a.labels ?? {});
  if (labels.length) lines.push(`  labels:      ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  return lines;
}

function signatureLines(ev: Evidence): string[] {
  let k = 0;
  return ev.signers.map((s, i) => {
    const who = s.signer ?? `unknown key${s.fingerprint ? ` ${short(s.fingerprint)}` : s.keyid ? ` (keyid ${short(s.keyid)})` : ''}`;
    const sentence = s.reason === 'verified' ? '' : ev.reasons[k++];
    return `  signature ${i + 1}: ${who}: ${s.reason}${sentence ? ` (${sentence})` : ''}`;
  });
}

function checkTable(describeRequirement: Describe, checks: PolicyCheck[], indent = ''): string {
  return table(checks.map((c) => [describeRequirement(c.requirement), c.status, c.detail]), ['REQUIREMENT', 'STATUS', 'DETAIL'])
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
}

function describeDecision(describeRequirement: Describe, d: Decision): string[] {
  const head = d.outcome === 'promoted' ? `promoted ${d.artifact} to ${d.stage}` : `denied: ${d.artifact} is not promoted to ${d.stage}`;
  return [
    head,
    `  decision ${d.id} by ${d.actor} at ${d.decided_at} (audit #${d.audit_index}), policy ${d.policy.artifact_type} revision ${d.policy.revision}`,
    ...(d.copy ? [`  copy to ${d.copy.repository}:${d.copy.tag}: ${d.copy.status === 'done' ? 'done' : 'FAILED (the promotion does not count; promote again to retry)'}: ${d.copy.detail}`] : []),
    '',
    checkTable(describeRequirement, d.checks),
  ];
}

function lastDecision(d: Decision | null): string {
  return d ? `${d.outcome} ${d.decided_at} by ${d.actor} (${d.id})` : 'none';
}

function describeExplain(describeRequirement: Describe, x: Explanation): string[] {
  const a = x.artifact;
  const lines = [
    `current_stage: ${x.current_stage ?? 'none (not promoted to any stage that is still trusted)'}`,
    `artifact:      ${a.digest} (${a.name} ${a.version}, product ${a.product})`,
    `policy:        ${x.artifact_type} revision ${x.revision}, evaluated at ${x.evaluated_at}`,
    '',
    table(
      x.stages.map((s) => [s.stage, yesNo(s.promoted), yesNo(s.would_pass), lastDecision(s.last_decision), s.revoked ? `yes: ${s.revoked_reason ?? ''}` : 'no']),
      ['STAGE', 'PROMOTED', 'WOULD PASS NOW', 'LAST DECISION', 'REVOKED'],
    ),
  ];
  for (const s of x.stages) {
    const state = s.revoked ? 'REVOKED' : s.promoted ? 'promoted' : s.would_pass ? 'would pass now' : 'would not pass now';
    lines.push('', `${s.stage} (${state}):`, checkTable(describeRequirement, s.checks, '  '));
  }
  return lines;
}

export function artifactCommands(program: Command, setExit: (code: number) => void): void {
  const artifact = program.command('artifact').description('artifacts by digest: register, attach evidence, approve, promote, explain, check, proof');

  artifact
    .command('register')
    .description('register an artifact by digest or image reference (idempotent; different content for the same digest is refused)')
    .option('--digest <digest>', 'sha256:<64 lowercase hex>: the only identity an artifact has')
    .option('--image <ref>', 'host[:port]/repository[:tag][@sha256:…]: the server resolves it to the manifest digest (with --digest, they must agree)')
    .requiredOption('--type <artifact-type>', 'an active artifact type, e.g. gpuaas.container_image')
    .option('--product <product>', "the owning product (your token must be bound to it; default: the artifact type's owner)")
    .requiredOption('--name <name>', 'what people call it')
    .requiredOption('--version <version>', 'its version')
    .option('--repo <url>', 'source repository')
    .option('--commit <sha>', 'source commit')
    .option('--build-url <url>', 'the build that produced it')
    .option('--label <k=v>', 'a label (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(
      action(setExit, async (o, g, flags: { digest?: string; image?: string; type: string; product?: string; name: string; version: string; repo?: string; commit?: string; buildUrl?: string; label: string[] }) => {
        if (flags.digest === undefined && flags.image === undefined) throw new UsageError('name the artifact with --digest, --image, or both');
        if (flags.digest !== undefined) digestOf(flags.digest);
        const labels: Record<string, string> = {};
        for (const l of flags.label) {
          const at = l.indexOf('=');
          if (at <= 0) throw new UsageError(`--label must be key=value, not '${l}'`);
          labels[l.slice(0, at)] = l.slice(at + 1);
        }
        const source = { ...(flags.repo ? { repo: flags.repo } : {}), ...(flags.commit ? { commit: flags.commit } : {}), ...(flags.buildUrl ? { build_url: flags.buildUrl } : {}) };
        const body = { ...(flags.digest ? { digest: flags.digest } : {}), ...(flags.image ? { image: flags.image } : {}), artifact_type: flags.type, ...(flags.product ? { product: flags.product } : {}), name: flags.name, version: flags.version, source, labels };
        const res = await clientFor(g).registerArtifact(body);
        if (o.json) printJson(o, res.value);
        else {
          o.out(`${res.created ? 'registered' : 'already registered, same content:'} ${describeArtifact(res.value).join('\n')}`);
          o.err(res.value.image ? `next: charter artifact discover ${res.value.digest}` : `next: charter attest ... --subject ${res.value.digest}, then charter artifact attach ${res.value.digest} ENVELOPE`);
        }
        return EXIT.yes;
      }),
    );

  artifact
    .command('discover <digest>')
    .description("find the attestations pushed beside the artifact's image (OCI referrers, cosign .att, Sigstore bundles) and attach them; exit 0 if every one found was attached and trusted, 1 otherwise")
    .action(
      action(setExit, async (o, g, digest: string) => {
        const r = await clientFor(g).discoverEvidence(digestOf(digest));
        if (o.json) printJson(o, r);
        else {
          o.out(`discovered ${r.discovered} envelope(s); ${r.attached.length} attached (${r.attached.filter((e) => e.trusted).length} trusted), ${r.skipped.length} skipped`);
          for (const ev of r.attached) o.out(`  ${ev.id}  ${ev.evidence_type}  ${ev.trusted ? 'trusted' : 'untrusted: ' + ev.reasons.join('; ')}`);
          for (const sk of r.skipped) o.out(`  skipped ${short(sk.descriptor.digest, 23)} (${sk.descriptor.mediaType}): ${sk.reason}`);
        }
        return r.skipped.length === 0 && r.attached.length === r.discovered && r.attached.every((e) => e.trusted) ? EXIT.yes : EXIT.no;
      }),
    );

  artifact
    .command('attach <digest> <file>')
    .description('attach a DSSE envelope (or Sigstore bundle) as evidence; exit 0 if trusted, 1 if kept but untrusted')
    .action(
      action(setExit, async (o, g, digest: string, file: string) => {
        digestOf(digest);
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch (err) {
          throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.error);
        }
        // Sent byte for byte: the envelope's digest is its identity.
        const res = await clientFor(g).attachEvidence(digest, new Uint8Array(bytes), 'application/json');
        const ev = res.value;
        if (o.json) printJson(o, ev);
        else {
          o.out(`evidence: ${ev.id}${res.created ? '' : ' (this envelope was already attached)'}`);
          o.out(`type:     ${ev.evidence_type} (${ev.predicate_type})`);
          o.out(`trusted:  ${ev.trusted ? 'yes' : 'no (kept for the record, with the reason below; policy counts only signatures by signers it trusts)'}`);
          for (const l of signatureLines(ev)) o.out(l);
        }
        return ev.trusted ? EXIT.yes : EXIT.no;
      }),
    );

  artifact
    .command('approve <digest>')
    .description('approve the release of an artifact to a stage (needs platform.release.approve; never by who registered it)')
    .requiredOption('--stage <stage>', 'the stage you approve it for')
    .option('--comment <text>', 'a note for the record')
    .action(
      action(setExit, async (o, g, digest: string, flags: { stage: string; comment?: string }) => {
        const a = await clientFor(g).approveRelease(digestOf(digest), flags.stage, flags.comment);
        if (o.json) printJson(o, a);
        else o.out(`approval ${a.id}: ${a.principal} approves ${a.artifact} for ${a.stage} (${a.at})${a.comment ? `: ${a.comment}` : ''}`);
        return EXIT.yes;
      }),
    );

  artifact
    .command('promote <digest>')
    .description('request promotion to a stage; the decision is recorded either way (exit 0 promoted, 1 denied)')
    .requiredOption('--stage <stage>', 'the stage to promote to')
    .action(
      action(setExit, async (o, g, digest: string, flags: { stage: string }) => {
        // A denial and a failed copy into the stage repository are answers: the SDK returns the recorded decision.
        const decision = await clientFor(g).promoteArtifact(digestOf(digest), flags.stage);
        if (o.json) printJson(o, decision);
        else o.out(describeDecision((await core()).describeRequirement, decision).join('\n'));
        return decision.outcome === 'promoted' && decision.copy?.status !== 'failed' ? EXIT.yes : EXIT.no;
      }),
    );

  artifact
    .command('explain <digest>')
    .description('per stage: promoted, would it pass now, revoked and why, the last decision, and every requirement')
    .action(
      action(setExit, async (o, g, digest: string) => {
        const x = await clientFor(g).explainArtifact(digestOf(digest));
        if (o.json) printJson(o, x);
        else o.out(describeExplain((await core()).describeRequirement, x).join('\n'));
        return EXIT.yes;
      }),
    );

  artifact
    .command('check <digest>')
    .description('the deploy check: exit 0 only if promoted to the stage and still trusted now')
    .requiredOption('--stage <stage>', 'the stage being deployed to')
    .action(
      action(setExit, async (o, g, digest: string, flags: { stage: string }) => {
        const c = await clientFor(g).checkDeploy(digestOf(digest), flags.stage);
        if (o.json) printJson(o, c);
        else {
          o.out(`${c.allowed ? 'allowed' : `denied (${c.reason})`}: ${c.detail}`);
          if (c.decision) o.out(`  promoted by decision ${c.decision.id} at ${c.decision.decided_at}`);
        }
        return c.allowed ? EXIT.yes : EXIT.no;
      }),
    );

  artifact
    .command('proof <digest>')
    .description('download the release proof of a promoted stage (verify it offline with charter proof verify)')
    .requiredOption('--stage <stage>', 'the promoted stage to prove')
    .option('--out <file>', 'write it here (default: stdout)')
    .action(
      action(setExit, async (o, g, digest: string, flags: { stage: string; out?: string }) => {
        const proof = await clientFor(g).getReleaseProof(digestOf(digest), flags.stage);
        const text = JSON.stringify(proof, null, 2) + '\n';
        if (!flags.out) process.stdout.write(text);
        else {
          writeFileSync(flags.out, text);
          if (o.json) printJson(o, { out: flags.out, decision: proof.decision.id, stage: flags.stage });
          else o.out(`wrote the release proof of ${digest} at ${flags.stage} to ${flags.out}: decision ${proof.decision.id}, ${proof.evidence.length} evidence envelopes, ${proof.audit.events.length} audit events`);
        }
        return EXIT.yes;
      }),
    );

  artifact
    .command('list')
    .description('artifacts, by product, type or promoted stage')
    .option('--product <product>', 'owning product')
    .option('--type <artifact-type>', 'artifact type')
    .option('--stage <stage>', 'promoted to this stage')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(
      action(setExit, async (o, g, flags: { product?: string; type?: string; stage?: string; limit?: string }) => {
        const client = clientFor(g);
        const max = flags.limit ? Number(flags.limit) : 100;
        if (!Number.isInteger(max) || max < 1) throw new UsageError(`--limit must be a positive whole number, not '${flags.limit}'`);
        const items: Artifact[] = [];
        let cursor: string | null = null;
        do {
          const page: Page<Artifact> = await client.listArtifacts({ product: flags.product, artifact_type: flags.type, stage: flags.stage, limit: Math.min(500, max - items.length), ...(cursor ? { cursor } : {}) });
          items.push(...page.items);
          cursor = page.next_cursor;
        } while (cursor && items.length < max);
        if (o.json) printJson(o, { items, next_cursor: cursor });
        else if (items.length === 0) o.out('no artifacts');
        else o.out(table(items.map((a) => [a.digest, a.artifact_type, a.product, a.name, a.version, a.registered_at]), ['DIGEST', 'TYPE', 'PRODUCT', 'NAME', 'VERSION', 'REGISTERED']));
        return EXIT.yes;
      }),
    );

  artifact
    .command('get <digest>')
    .description('one artifact')
    .action(
      action(setExit, async (o, g, digest: string) => {
        const a = await clientFor(g).getArtifact(digestOf(digest));
        if (o.json) printJson(o, a);
        else o.out(describeArtifact(a).join('\n'));
        return EXIT.yes;
      }),
    );

  artifact
    .command('evidence <digest>')
    .description('evidence attached to an artifact, trusted or not, with the reasons')
    .action(
      action(setExit, async (o, g, digest: string) => {
        const page = await clientFor(g).listEvidence(digestOf(digest));
        if (o.json) printJson(o, page);
        else if (page.items.length === 0) o.out(`no evidence on ${digest}`);
        else {
          // Whose key made the signature, trusted or not: the reasons below say why an item does not count.
          const signedBy = (e: Evidence) => e.signers.filter((s) => s.verified && s.signer).map((s) => bare(s.signer!)).join(', ') || 'unknown key';
          o.out(table(page.items.map((e) => [e.id, bare(e.evidence_type), e.trusted ? 'yes' : 'no', signedBy(e), e.attached_at, e.attached_by]), ['ID', 'TYPE', 'TRUSTED', 'SIGNED BY', 'ATTACHED', 'BY']));
          for (const e of page.items.filter((x) => !x.trusted)) o.out(`${e.id} untrusted when attached: ${e.reasons.join('; ')}`);
        }
        return EXIT.yes;
      }),
    );

  program
    .command('proof')
    .description('release proofs')
    .command('verify <file>')
    .description('verify a release proof offline, with no server: signatures, inclusion proofs, checkpoint, policy re-evaluation')
    .option('--log-key <file>', "the audit log key you trust: a C2SP vkey (GET /v1/audit/key's vkey) or a PEM public key")
    .action(
      action(setExit, async (o, _g, file: string, flags: { logKey?: string }) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.error);
        }
        let proof: unknown;
        try {
          proof = JSON.parse(text);
        } catch (err) {
          throw new UsageError(`${file} is not a release proof: not JSON (${(err as Error).message})`);
        }
        let logKey: NoteVerifier | undefined;
        if (flags.logKey) {
          try {
            // A PEM key is paired with the log the proof says it is from.
            const { readLogKey } = await import('../log-key.js');
            logKey = await readLogKey(flags.logKey, () => {
              const name = (proof as { audit?: { log?: { name?: unknown } } } | null)?.audit?.log?.name;
              return typeof name === 'string' && name !== '' ? name : undefined;
            });
          } catch (err) {
            if (err instanceof UsageError) throw err;
            throw new UsageError(`--log-key ${flags.logKey}: ${(err as Error).message}`, EXIT.error);
          }
        }
        const { verifyReleaseProof } = await core();
        const report = verifyReleaseProof(proof, logKey ? { logKey } : {});
        const key = logKey ? { source: 'pinned', file: flags.logKey, name: logKey.name, key_hash: logKey.keyHash } : { source: 'proof' };
        if (o.json) printJson(o, { ...report, log_key: key });
        else {
          o.out(report.ok ? `ok: the release proof in ${file} verifies` : `FAILED: the release proof in ${file} does not verify`);
          o.out(logKey ? `log key: ${logKey.name}+${logKey.keyHash}, pinned from ${flags.logKey}` : 'log key: taken from the proof itself, so this only shows the proof is self-consistent; pass --log-key with the key you trust');
          if (report.proved.length) o.out('proved:');
          for (const p of report.proved) o.out(`  - ${p}`);
          if (report.problems.length) o.out('problems:');
          for (const p of report.problems) o.out(`  - ${p}`);
          // The core's own note about an unpinned key repeats the line above.
          for (const n of report.notes.filter((x) => logKey || !/taken from the proof/.test(x))) o.out(`note: ${n}`);
        }
        return report.ok ? EXIT.yes : EXIT.no;
      }),
    );
}
