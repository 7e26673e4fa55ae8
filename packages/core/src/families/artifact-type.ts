import type { Issue } from '../errors.js';
import { refListSchema, refSchema, type FamilyDefinition, type SpecReference } from './family.js';

/** `host[:port]/path`, the path in the distribution spec's grammar (lowercase components). */
export const STAGE_REPOSITORY_PATTERN =
  '^(?:localhost|\\[[0-9a-fA-F:]+\\]|[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)+|[a-zA-Z0-9-]+(?=:))(?::[0-9]{1,5})?/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$';

const condition = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    eq: {},
    in: { type: 'array', minItems: 1 },
    min: { type: 'number' },
    max: { type: 'number' },
    exists: { type: 'boolean' },
  },
};

const evidenceRequirement = {
  type: 'object',
  additionalProperties: false,
  required: ['evidence', 'signers'],
  properties: {
    evidence: refSchema('evidence-type'),
    signers: { ...refListSchema('signer', 1), description: 'any one of these signers satisfies the requirement (OR)' },
    where: {
      type: 'object',
      description: 'conditions on the in-toto Statement, keyed by JSON pointer (e.g. /predicate/summary/critical)',
      propertyNames: { pattern: '^(/([^~/]|~[01])*)+$' },
      additionalProperties: condition,
    },
    max_age: { type: 'string', pattern: '^[1-9][0-9]{0,5}[smhdw]$', description: 'maximum evidence age, e.g. 7d, 12h' },
  },
};

const approvalRequirement = {
  type: 'object',
  additionalProperties: false,
  required: ['approvals'],
  properties: { approvals: { type: 'integer', minimum: 1, maximum: 20 } },
};

export const artifactType: FamilyDefinition = {
  name: 'artifact-type',
  title: 'Artifact type',
  description: 'A kind of build artifact (runtime bundle, container image): its media types and its promotion policy, stage by stage.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['media_types', 'stages'],
    properties: {
      media_types: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', pattern: '^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$' },
      },
      stages: {
        type: 'array',
        minItems: 1,
        description: 'ordered stages; promotion to a stage needs the previous one and every requirement (AND)',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'requirements'],
          properties: {
            name: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
            repository: {
              type: 'string',
              maxLength: 255,
              pattern: STAGE_REPOSITORY_PATTERN,
              description: 'host[:port]/repository: a promoted image is copied here (same digest) and tagged with its version; only Charter needs push rights on it',
            },
            requirements: { type: 'array', items: { oneOf: [evidenceRequirement, approvalRequirement] } },
          },
        },
      },
    },
  },
  contractFields: ['media_types'],
  referenceFields: [
    { path: '/stages/*/requirements/*/evidence', families: ['evidence-type'] },
    { path: '/stages/*/requirements/*/signers/*', families: ['signer'] },
  ],
  references(spec) {
    const out: SpecReference[] = [];
    const stages = Array.isArray(spec.stages) ? spec.stages : [];
    stages.forEach((stage: { requirements?: unknown }, s) => {
      const reqs = Array.isArray(stage?.requirements) ? stage.requirements : [];
      reqs.forEach((req: { evidence?: unknown; signers?: unknown }, r) => {
        const base = `/stages/${s}/requirements/${r}`;
        if (typeof req?.evidence === 'string') out.push({ pointer: `${base}/evidence`, ref: req.evidence, families: ['evidence-type'] });
        if (Array.isArray(req?.signers)) {
          req.signers.forEach((ref: unknown, i: number) => {
            if (typeof ref === 'string') out.push({ pointer: `${base}/signers/${i}`, ref, families: ['signer'] });
          });
        }
      });
    });
    return out;
  },
  check(spec) {
    const issues: Issue[] = [];
    const seen = new Set<string>();
    (spec.stages as { name: string }[]).forEach((stage, i) => {
      if (seen.has(stage.name)) issues.push({ pointer: `/stages/${i}/name`, code: 'INVALID_SPEC', detail: `stage '${stage.name}' appears twice` });
      seen.add(stage.name);
    });
    return issues;
  },
};
