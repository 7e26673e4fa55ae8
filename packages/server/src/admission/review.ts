import { CharterError } from '@charter/core';

/** Where each kind keeps its pod spec (DESIGN §13: Pods and the pod templates of workloads). */
const POD_SPEC: Record<string, string[]> = {
  '/Pod': ['spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  // Kubernetes before 1.22 sent the ephemeralcontainers subresource as its own kind.
  '/EphemeralContainers': [],
};

export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** One container image in the reviewed object, with the JSON pointer of its `image` field. */
export interface ContainerImage {
  list: (typeof CONTAINER_LISTS)[number];
  name: string;
  image: string;
  pointer: string;
}

export function knowsKind(group: string, kind: string): boolean {
  return `${group}/${kind}` in POD_SPEC;
}

/** Every container image of a Kubernetes object of a known kind. Throws MALFORMED_REQUEST for a shape Kubernetes never sends. */
export function containerImages(group: string, kind: string, object: unknown, at: string): ContainerImage[] {
  const path = POD_SPEC[`${group}/${kind}`];
  if (!path) return [];
  let spec: unknown = object;
  let pointer = '';
  for (const key of path) {
    spec = isObject(spec) ? spec[key] : undefined;
    pointer += `/${key}`;
    if (spec === undefined || spec === null) return [];
    if (!isObject(spec)) throw malformed(`${at}${pointer}`, `${kind} ${pointer} is not an object`);
  }
  if (!isObject(spec)) throw malformed(at, `the ${kind} is not an object`);
  const out: ContainerImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = spec[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw malformed(`${at}${pointer}/${list}`, `${list} is not a list`);
    items.forEach((c: unknown, i) => {
      const p = `${pointer}/${list}/${i}`;
      if (!isObject(c)) throw malformed(`${at}${p}`, 'a container is an object');
      if (typeof c.image !== 'string') throw malformed(`${at}${p}/image`, 'a container names its image as a string');
      out.push({ list, name: typeof c.name === 'string' ? c.name : String(i), image: c.image, pointer: `${p}/image` });
    });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function malformed(pointer: string, detail: string): CharterError {
  return new CharterError('MALFORMED_REQUEST', `the AdmissionReview is malformed: ${detail}`, { errors: [{ pointer, code: 'MALFORMED_REQUEST', detail }] });
}
