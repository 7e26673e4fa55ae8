import type { FamilyName } from '../ids.js';
import { artifactType } from './artifact-type.js';
import { auditAction } from './audit-action.js';
import { environment } from './environment.js';
import { evidenceType } from './evidence-type.js';
import type { FamilyDefinition } from './family.js';
import { notificationTemplate } from './notification-template.js';
import { product } from './product.js';
import { scope } from './scope.js';
import { sdkContract } from './sdk-contract.js';
import { signer } from './signer.js';
import { usageUnit } from './usage-unit.js';

export type { FamilyDefinition, SpecReference } from './family.js';
export { publicKeyProblem } from './signer.js';
export { NAMESPACE_GLOB_PATTERN } from './environment.js';

export const FAMILIES: Readonly<Record<FamilyName, FamilyDefinition>> = {
  product,
  scope,
  'usage-unit': usageUnit,
  'audit-action': auditAction,
  'evidence-type': evidenceType,
  'notification-template': notificationTemplate,
  'artifact-type': artifactType,
  'sdk-contract': sdkContract,
  signer,
  environment,
};

export function family(name: FamilyName): FamilyDefinition {
  return FAMILIES[name];
}
