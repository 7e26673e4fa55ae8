import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import type { Command } from 'commander';
import { EXIT, globals, outputFor } from '../context.js';
import { printJson } from '../output.js';

const ALGORITHMS = ['ed25519', 'ecdsa-p256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];
const SUBJECT = /^sha256:([0-9a-fA-F]{64})$/;

// Signing and fingerprints come from core, loaded when a key command runs.
const core = () => import('@charter/core');

/** A refusal the user can fix (exit 1), as opposed to a failure to ask (exit 2). */
class Refused extends Error {}

function refuse(cmd: Command, setExit: (code: number) => void, err: unknown): void {
  const o = outputFor(globals(cmd));
  const detail = err instanceof Error ? err.message : String(err);
  if (o.json) printJson(o, { ok: false, detail });
  else o.err(`error: ${detail}`);
  setExit(err instanceof Refused ? EXIT.no : EXIT.error);
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * `keys generate` and `attest`: what a CI job with no other tooling needs to produce evidence.
 * Both work offline; nothing here talks to a server.
 */
export function keysCommands(program: Command, setExit: (code: number) => void): void {
  const keys = program.command('keys').description('signing keys for evidence (offline)');

  keys
    .command('generate')
    .description('make a signing key pair: FILE (private, PKCS#8 PEM, mode 0600) and FILE.pub (public, SPKI PEM)')
    .requiredOption('--out <file>', 'where to write the private key; the public key goes to FILE.pub')
    .option('--algorithm <alg>', 'ed25519 or ecdsa-p256', 'ed25519')
    .action(async (flags: { out: string; algorithm: string }, cmd: Command) => {
      try {
        const { keyFingerprint } = await core();
        const o = outputFor(globals(cmd));
        if (!(ALGORITHMS as readonly string[]).includes(flags.algorithm)) throw new Refused(`--algorithm must be ed25519 or ecdsa-p256, not '${flags.algorithm}'`);
        const algorithm = flags.algorithm as Algorithm;
        const pub = `${flags.out}.pub`;
        for (const f of [flags.out, pub]) if (existsSync(f)) throw new Refused(`${f} already exists; refusing to overwrite a key (move it away or choose another --out)`);
        const pair = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
        // 'wx': a file that appeared since the check above is still never overwritten.
        writeFileSync(flags.out, privatePem, { mode: 0o600, flag: 'wx' });
        writeFileSync(pub, publicPem, { mode: 0o644, flag: 'wx' });
        // What `keys generate` and `attest` show of a key: 16 hex of SHA-256 over its DER SPKI.
        const fingerprint = keyFingerprint(publicPem).slice(0, 16);
        if (o.json) printJson(o, { algorithm, private_key: flags.out, public_key: pub, fingerprint, spki_sha256: keyFingerprint(publicPem) });
        else {
          o.out(`public key:  ${pub}`);
          o.out(`fingerprint: ${fingerprint}  (${algorithm}, SHA-256 of the DER SPKI)`);
          o.err(`private key: ${flags.out} (mode 0600; keep it in your CI secret store, never in the registry)`);
          o.err(`next: put the contents of ${pub} in a signer entry's spec.public_key (algorithm ${algorithm}) by change set`);
        }
        setExit(EXIT.yes);
      } catch (err) {
        refuse(cmd, setExit, err);
      }
    });

  program
    .command('attest')
    .description('sign an in-toto Statement v1 about an artifact into a DSSE envelope (offline)')
    .requiredOption('--key <file>', 'private key PEM (from charter keys generate): Ed25519 or ECDSA P-256')
    .requiredOption('--predicate-type <uri>', 'e.g. https://slsa.dev/provenance/v1')
    .requiredOption('--predicate <file>', 'the predicate: a JSON object')
    .requiredOption('--subject <digest>', 'the artifact: sha256:<64 hex>')
    .option('--subject-name <name>', "the subject's name in the statement (e.g. the file or image name)")
    .option('--out <file>', 'write the envelope here (default: stdout)')
    .action(async (flags: { key: string; predicateType: string; predicate: string; subject: string; subjectName?: string; out?: string }, cmd: Command) => {
      try {
        const { IN_TOTO_PAYLOAD_TYPE, keyFingerprint, signEnvelope, STATEMENT_V1 } = await core();
        const o = outputFor(globals(cmd));
        const m = SUBJECT.exec(flags.subject);
        if (!m) throw new Refused(`--subject must be sha256: followed by 64 hex characters, not '${flags.subject}'`);
        const hex = m[1]!.toLowerCase();
        const predicateText = readText(flags.predicate, 'predicate');
        let predicate: unknown;
        try {
          predicate = JSON.parse(predicateText);
        } catch (err) {
          throw new Refused(`${flags.predicate} is not JSON: ${(err as Error).message}`);
        }
        if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) throw new Refused(`${flags.predicate} must hold a JSON object (the predicate)`);
        if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(flags.predicateType)) throw new Refused(`--predicate-type must be a URI, not '${flags.predicateType}'`);
        const keyPem = readText(flags.key, 'private key');
        const subject = { ...(flags.subjectName ? { name: flags.subjectName } : {}), digest: { sha256: hex } };
        const statement = { _type: STATEMENT_V1, subject: [subject], predicateType: flags.predicateType, predicate };
        let fingerprint: string;
        try {
          fingerprint = keyFingerprint(keyPem);
        } catch (err) {
          throw new Refused(`${flags.key}: ${(err as Error).message}`);
        }
        // keyid is only a hint for verifiers (never trusted): the full SPKI fingerprint lets them try the right key first.
        let envelope;
        try {
          envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, JSON.stringify(statement), { privateKey: keyPem, keyid: fingerprint });
        } catch (err) {
          throw new Refused(`${flags.key}: ${(err as Error).message}`);
        }
        const text = JSON.stringify(envelope) + '\n';
        const summary = { subject: `sha256:${hex}`, predicate_type: flags.predicateType, fingerprint: fingerprint.slice(0, 16) };
        if (flags.out) {
          writeFileSync(flags.out, text);
          if (o.json) printJson(o, { out: flags.out, ...summary });
          else o.out(`wrote a DSSE envelope to ${flags.out}: ${flags.predicateType} about sha256:${hex}, signed by key ${summary.fingerprint}`);
        } else {
          process.stdout.write(text);
          if (!o.json) o.err(`signed ${flags.predicateType} about sha256:${hex} with key ${summary.fingerprint}`);
        }
        setExit(EXIT.yes);
      } catch (err) {
        refuse(cmd, setExit, err);
      }
    });
}
