import { Type, type Static } from 'typebox';


/**
 * Deploy-time enforcement (DESIGN §13): Kubernetes `admission.k8s.io/v1` AdmissionReview and
 * Gatekeeper `externaldata.gatekeeper.sh/v1beta1` ProviderRequest/ProviderResponse, as far as
 * Charter reads and writes them. Objects from the cluster keep their other fields.
 */

export const CLUSTER_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';


const GroupVersionKind = Type.Object({ group: Type.String({ maxLength: 253 }), version: Type.String({ maxLength: 63 }), kind: Type.String({ maxLength: 63 }) });
const GroupVersionResource = Type.Object({ group: Type.String({ maxLength: 253 }), version: Type.String({ maxLength: 63 }), resource: Type.String({ maxLength: 63 }) });
const KubeObject = Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]);

export const AdmissionReviewRequest = Type.Object(
  {
    apiVersion: Type.Literal('admission.k8s.io/v1'),
    kind: Type.Literal('AdmissionReview'),
    request: Type.Object(
      {
        uid: Type.String({ minLength: 1, maxLength: 128 }),
        kind: GroupVersionKind,
        resource: GroupVersionResource,
        subResource: Type.Optional(Type.String({ maxLength: 63 })),
        requestKind: Type.Optional(GroupVersionKind),
        requestResource: Type.Optional(GroupVersionResource),
        requestSubResource: Type.Optional(Type.String({ maxLength: 63 })),
        name: Type.Optional(Type.String({ maxLength: 253 })),
        namespace: Type.Optional(Type.String({ maxLength: 63 })),
        operation: Type.Union([Type.Literal('CREATE'), Type.Literal('UPDATE'), Type.Literal('DELETE'), Type.Literal('CONNECT')]),
        userInfo: Type.Object(
          { username: Type.Optional(Type.String({ maxLength: 512 })), uid: Type.Optional(Type.String()), groups: Type.Optional(Type.Array(Type.String())) },
          { additionalProperties: true },
        ),
        object: Type.Optional(KubeObject),
        oldObject: Type.Optional(KubeObject),
        dryRun: Type.Optional(Type.Boolean()),
        options: Type.Optional(KubeObject),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, description: 'an admission.k8s.io/v1 AdmissionReview as the Kubernetes API server sends it' },
);
export type AdmissionReviewRequest = Static<typeof AdmissionReviewRequest>;

export const AdmissionReviewResponse = Type.Object(
  {
    apiVersion: Type.Literal('admission.k8s.io/v1'),
    kind: Type.Literal('AdmissionReview'),
    response: Type.Object(
      {
        uid: Type.String({ description: 'the request uid, echoed' }),
        allowed: Type.Boolean(),
        status: Type.Optional(
          Type.Object(
            {
              code: Type.Integer({ description: '403 for a denial' }),
              reason: Type.Optional(Type.String()),
              message: Type.String({ maxLength: 511, description: 'image, environment and stage, the first failing requirement, the explain URL' }),
            },
            { additionalProperties: false },
          ),
        ),
        warnings: Type.Optional(Type.Array(Type.String({ maxLength: 119 }), { description: 'warn-mode results and evidence within a day of its max_age' })),
        patchType: Type.Optional(Type.Literal('JSONPatch')),
        patch: Type.Optional(Type.String({ contentEncoding: 'base64', description: 'RFC 6902 JSON Patch pinning images to digests (mutate only)' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'the AdmissionReview answer: allowed, or denied with status 403 and a message' },
);
export type AdmissionReviewResponse = Static<typeof AdmissionReviewResponse>;

export const AdmissionQuery = Type.Object(
  {
    cluster: Type.String({ pattern: CLUSTER_PATTERN, description: 'the cluster name environments bind (kubernetes.cluster)' }),
    timeout: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(ms|s|m)?$', description: 'set by the Kubernetes API server: the webhook timeout' })),
  },
  { additionalProperties: false },
);
export type AdmissionQuery = Static<typeof AdmissionQuery>;

/**
 * The same webhooks with the cluster in the path (`/admission/v1/validate/local`): a webhook
 * configuration's clientConfig.url may not carry a query string, so clusters are configured with this form.
 */
export const AdmissionClusterParams = Type.Object({ cluster: Type.String({ pattern: CLUSTER_PATTERN, description: 'the cluster name environments bind (kubernetes.cluster)' }) });
export const AdmissionTimeoutQuery = Type.Object(
  { timeout: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(ms|s|m)?$', description: 'set by the Kubernetes API server: the webhook timeout' })) },
  { additionalProperties: false },
);

export const GATEKEEPER_API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';

export const ProviderRequest = Type.Object(
  {
    apiVersion: Type.Literal(GATEKEEPER_API_VERSION),
    kind: Type.Literal('ProviderRequest'),
    request: Type.Object({ keys: Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 1000, description: 'image references' }) }, { additionalProperties: true }),
  },
  { additionalProperties: true, description: 'a Gatekeeper external data request: one key per image reference' },
);
export type ProviderRequest = Static<typeof ProviderRequest>;

export const ProviderValue = Type.Object(
  {
    allowed: Type.Boolean(),
    digest: Type.String({ description: 'the image digest judged' }),
    stage: Type.String({ description: "the environment's stage" }),
    reason: Type.String({ description: 'one sentence: why allowed, or the first failing requirement' }),
    explain_url: Type.String({ description: '<public-url>/ui/artifacts/<digest>' }),
  },
  { additionalProperties: false },
);
export type ProviderValue = Static<typeof ProviderValue>;

export const ProviderResponse = Type.Object(
  {
    apiVersion: Type.Literal(GATEKEEPER_API_VERSION),
    kind: Type.Literal('ProviderResponse'),
    response: Type.Object(
      {
        idempotent: Type.Boolean(),
        items: Type.Array(
          Type.Object(
            { key: Type.String(), value: Type.Optional(ProviderValue), error: Type.Optional(Type.String({ description: 'why this key could not be judged (e.g. not pinned by digest)' })) },
            { additionalProperties: false },
          ),
        ),
        systemError: Type.Optional(Type.String({ description: 'set only for an outage; items is then empty' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ProviderResponse = Static<typeof ProviderResponse>;

export const ProviderQuery = Type.Object(
  { environment: Type.String({ pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$', maxLength: 128, description: 'the environment ID whose stage and constraints apply' }) },
  { additionalProperties: false },
);
