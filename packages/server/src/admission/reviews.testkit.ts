/**
 * AdmissionReview documents as a Kubernetes API server sends them (admission.k8s.io/v1; objects
 * per the API reference: core/v1 Pod, apps/v1 workloads, batch/v1 Job and CronJob).
 */
import { randomUUID } from 'node:crypto';

export interface Containers {
  containers: string[];
  initContainers?: string[];
  ephemeralContainers?: string[];
}

function podSpec(c: Containers): Record<string, unknown> {
  const container = (prefix: string) => (image: string, i: number) => ({
    name: `${prefix}${i}`,
    image,
    imagePullPolicy: 'IfNotPresent',
    ports: prefix === 'app' ? [{ containerPort: 8080, protocol: 'TCP' }] : undefined,
    resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  });
  const spec: Record<string, unknown> = {
    containers: c.containers.map(container('app')),
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    securityContext: { runAsNonRoot: true },
    schedulerName: 'default-scheduler',
  };
  if (c.initContainers) spec.initContainers = c.initContainers.map(container('init'));
  if (c.ephemeralContainers) spec.ephemeralContainers = c.ephemeralContainers.map((image, i) => ({ name: `debugger-${i}`, image, targetContainerName: 'app0', stdin: true, tty: true }));
  return spec;
}

const template = (c: Containers, labels: Record<string, string>) => ({ metadata: { labels }, spec: podSpec(c) });

export type Kind = 'Pod' | 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob';

const GVK: Record<Kind, { group: string; version: string; resource: string }> = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets' },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  Job: { group: 'batch', version: 'v1', resource: 'jobs' },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs' },
};

/** The object of a kind, carrying the given containers in its pod spec or pod template. */
export function workload(kind: Kind, name: string, namespace: string, c: Containers): Record<string, unknown> {
  const labels = { 'app.kubernetes.io/name': name };
  const { group, version } = GVK[kind];
  const meta = { apiVersion: group ? `${group}/${version}` : version, kind, metadata: { name, namespace, labels, uid: randomUUID(), creationTimestamp: null } };
  const selector = { matchLabels: labels };
  switch (kind) {
    case 'Pod':
      return { ...meta, spec: podSpec(c), status: {} };
    case 'Deployment':
      return { ...meta, spec: { replicas: 3, selector, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, template: template(c, labels) }, status: {} };
    case 'ReplicaSet':
      return { ...meta, spec: { replicas: 2, selector, template: template(c, labels) }, status: { replicas: 0 } };
    case 'StatefulSet':
      return { ...meta, spec: { replicas: 1, serviceName: name, selector, podManagementPolicy: 'OrderedReady', template: template(c, labels), volumeClaimTemplates: [] }, status: { replicas: 0 } };
    case 'DaemonSet':
      return { ...meta, spec: { selector, updateStrategy: { type: 'RollingUpdate' }, template: template(c, labels) }, status: {} };
    case 'Job':
      return { ...meta, spec: { backoffLimit: 6, completions: 1, parallelism: 1, template: { ...template(c, labels), spec: { ...podSpec(c), restartPolicy: 'Never' } } }, status: {} };
    case 'CronJob':
      return {
        ...meta,
        spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', suspend: false, jobTemplate: { metadata: { labels }, spec: { backoffLimit: 2, template: { ...template(c, labels), spec: { ...podSpec(c), restartPolicy: 'OnFailure' } } } }, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 },
        status: {},
      };
  }
}

export interface ReviewOptions {
  operation?: 'CREATE' | 'UPDATE' | 'DELETE';
  oldObject?: Record<string, unknown> | null;
  dryRun?: boolean;
  subResource?: string;
  username?: string;
  uid?: string;
}

export function review(kind: Kind, namespace: string, object: Record<string, unknown> | null, o: ReviewOptions = {}) {
  const { group, version, resource } = GVK[kind];
  const gvk = { group, version, kind };
  const gvr = { group, version, resource };
  const request: Record<string, unknown> = {
    uid: o.uid ?? randomUUID(),
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    name: (object?.metadata as { name?: string } | undefined)?.name ?? 'x',
    namespace,
    operation: o.operation ?? 'CREATE',
    userInfo: { username: o.username ?? 'alice@example.com', uid: 'a1b2', groups: ['system:authenticated', 'developers'] },
    object,
    oldObject: o.oldObject ?? null,
    dryRun: o.dryRun ?? false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: o.operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions' },
  };
  if (o.subResource) {
    request.subResource = o.subResource;
    request.requestSubResource = o.subResource;
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

export const KINDS: Kind[] = ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
