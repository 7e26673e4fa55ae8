import type { Issue } from '../errors.js';
import { refListSchema, refsAt, type FamilyDefinition } from './family.js';

/** A Kubernetes namespace name (RFC 1123 label), or a glob over them with `*` and `?`. */
export const NAMESPACE_GLOB_PATTERN = '^[a-z0-9*?]([-a-z0-9*?]{0,61}[a-z0-9*?])?$';

export const environment: FamilyDefinition = {
  name: 'environment',
  title: 'Environment',
  description: 'Where artifacts run: a Kubernetes cluster and namespaces bound to the promotion stage an artifact must hold there (DESIGN §13).',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['stage', 'kubernetes'],
    properties: {
      stage: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', maxLength: 64, description: 'the stage an artifact must have been promoted to (and still be trusted for) to run here' },
      artifact_types: { ...refListSchema('artifact-type'), description: 'the artifact types that may run here; empty or absent: any type whose policy has the stage' },
      kubernetes: {
        type: 'object',
        additionalProperties: false,
        required: ['cluster', 'namespaces'],
        properties: {
          cluster: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', description: 'the cluster name the admission webhooks are configured with (?cluster=NAME)' },
          namespaces: {
            type: 'array',
            minItems: 1,
            maxItems: 200,
            uniqueItems: true,
            items: { type: 'string', pattern: NAMESPACE_GLOB_PATTERN },
            description: 'namespace names or globs (* any run of characters, ? one character)',
          },
        },
      },
      mode: { enum: ['enforce', 'warn'], description: 'enforce (default) denies; warn admits with warnings and records what it would have denied' },
      pin_digests: { type: 'boolean', description: 'the mutating webhook rewrites tag-only images to the digest the tag names now (default false)' },
    },
  },
  contractFields: ['stage'],
  referenceFields: [{ path: '/artifact_types/*', families: ['artifact-type'] }],
  references: (spec) => refsAt(spec, 'artifact_types', ['artifact-type']),
  check(spec) {
    const issues: Issue[] = [];
    const k = spec.kubernetes as { namespaces: string[] };
    k.namespaces.forEach((ns, i) => {
      if (ns.replace(/[*?]/g, '') === '' && ns !== '*') issues.push({ pointer: `/kubernetes/namespaces/${i}`, code: 'INVALID_SPEC', detail: `'${ns}' is not a useful glob; write '*' for every namespace` });
    });
    return issues;
  },
};
