import { checkEntry, type RegistryView } from '../catalog.js';
import { tryParseRef, unpinned } from '../ids.js';

/**
 * Why a signature that verified cryptographically under `signerRef`'s key does or does not
 * make evidence of `evidenceType` trusted at `now`: 'verified', 'wrong_evidence_type', or
 * 'signer_<reason>' (signer_disabled, signer_not_active, signer_untrusted, ...).
 */
export function signatureTrust(view: RegistryView, signerRef: string, evidenceType: string, now: number): string {
  const p = tryParseRef(signerRef);
  if (!p || p.family !== 'signer') return 'signer_malformed';
  const entry = view.get('signer', p.id);
  const answer = checkEntry(signerRef, entry, now);
  if (!answer.allowed) return `signer_${answer.reason}`;
  const allowed = Array.isArray(entry!.spec.evidence_types) ? (entry!.spec.evidence_types as unknown[]).map((r) => unpinned(String(r))) : [];
  return allowed.includes(unpinned(evidenceType)) ? 'verified' : 'wrong_evidence_type';
}
