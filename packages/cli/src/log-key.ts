import { readFileSync } from 'node:fs';
import { noteVerifier, parseVkey, type NoteVerifier } from '@charter/core';

/**
 * The audit-log key an auditor pins with --log-key: a C2SP verifier key (vkey) file, or a PEM
 * public key. A PEM key carries no name, so it is paired with the log name `nameFor` gives
 * (the server's, or the one a proof names); a vkey carries its own.
 */
export async function readLogKey(file: string, nameFor: () => string | undefined | Promise<string | undefined>): Promise<NoteVerifier> {
  const text = readFileSync(file, 'utf8').trim();
  if (!text.includes('BEGIN PUBLIC KEY')) return parseVkey(text);
  const name = await nameFor();
  if (!name) throw new Error(`${file} is a PEM key and there is no log name to pair it with; pass the vkey (GET /v1/audit/key) instead`);
  return noteVerifier(name, text);
}
