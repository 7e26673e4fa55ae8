import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, globals, outputFor } from '../context.js';
import { printJson } from '../output.js';

/** Namespaces the webhooks never see: the cluster's own, so a Charter outage cannot stop the control plane. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

export interface WebhookConfigOptions {
  cluster: string;
  /** Charter's base URL as the API server reaches it (https). */
  url: string;
  /** PEM of the CA that issued Charter's serving certificate. */
  caPem: string;
  timeoutSeconds: number;
  /** Further namespaces to leave out (e.g. where Charter itself runs). */
  excludeNamespaces: string[];
}

/** The rules both webhooks share: pods (and their ephemeral containers) and every workload kind with a pod template. */
export const WEBHOOK_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'], scope: 'Namespaced' },
  { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], scope: 'Namespaced' },
  { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['jobs', 'cronjobs'], scope: 'Namespaced' },
];

/**
 * The MutatingWebhookConfiguration (pins tags to digests) and the ValidatingWebhookConfiguration
 * (denies what is not promoted and still trusted) for one cluster. failurePolicy Fail: when
 * Charter cannot answer, nothing is admitted. The cluster name is in the path because a
 * webhook URL may not carry a query string.
 */
export function webhookConfigurations(o: WebhookConfigOptions): [Record<string, unknown>, Record<string, unknown>] {
  const base = o.url.replace(/\/+$/, '');
  const cluster = encodeURIComponent(o.cluster);
  const webhook = (kind: 'mutate' | 'validate') => ({
    name: kind === 'mutate' ? 'pin-digests.admission.charter.dev' : 'deploy-check.admission.charter.dev',
    admissionReviewVersions: ['v1'],
    clientConfig: { url: `${base}/admission/v1/${kind}/${cluster}`, caBundle: Buffer.from(o.caPem).toString('base64') },
    rules: WEBHOOK_RULES,
    failurePolicy: 'Fail',
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: o.timeoutSeconds,
    matchPolicy: 'Equivalent',
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set([...SYSTEM_NAMESPACES, ...o.excludeNamespaces])] }] },
    ...(kind === 'mutate' ? { reinvocationPolicy: 'IfNeeded' } : {}),
  });
  const meta = { name: `charter-${o.cluster}`, labels: { 'app.kubernetes.io/managed-by': 'charter' } };
  return [
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: meta, webhooks: [webhook('mutate')] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: meta, webhooks: [webhook('validate')] },
  ];
}

export function admissionCommands(program: Command, setExit: (code: number) => void): void {
  const admission = program.command('admission').description('Kubernetes admission: the webhook configurations that make a cluster ask Charter');
  admission
    .command('config')
    .description('print the Mutating- and ValidatingWebhookConfiguration for a cluster (kubectl apply -f -)')
    .requiredOption('--cluster <name>', 'the cluster name environments bind (kubernetes.cluster)')
    .option('--url <url>', "Charter's https base URL as the Kubernetes API server reaches it")
    .requiredOption('--ca-file <file>', "PEM of the CA that issued Charter's serving certificate (--tls-cert)")
    .option('--timeout <seconds>', 'webhook timeoutSeconds (1-30)', '5')
    .option('--exclude-namespace <name...>', `namespaces to leave out besides ${SYSTEM_NAMESPACES.join(', ')} (e.g. where Charter runs)`, [])
    .action(async (flags: { cluster: string; url?: string; caFile: string; timeout: string; excludeNamespace: string[] }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      // `--url` is also the global server flag: either position means this URL.
      const url = flags.url ?? g.url;
      if (!url || !/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(url)) throw new Error(`--url must be an https:// URL without a query string or fragment (the API server calls webhooks over TLS only), not ${String(url)}`);
      if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(flags.cluster)) throw new Error(`--cluster must be a cluster name of lowercase letters, digits, '-' and '.', not ${flags.cluster}`);
      const timeout = Number(flags.timeout);
      if (!Number.isInteger(timeout) || timeout < 1 || timeout > 30) throw new Error('--timeout must be a whole number of seconds from 1 to 30 (the Kubernetes limits)');
      const caPem = readFileSync(flags.caFile, 'utf8');
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${flags.caFile} holds no PEM certificate`);
      const docs = webhookConfigurations({ cluster: flags.cluster, url, caPem, timeoutSeconds: timeout, excludeNamespaces: flags.excludeNamespace });
      if (o.json) printJson(o, { items: docs });
      else {
        // Loaded here only: every other command starts without the YAML library.
        const { stringify } = await import('yaml');
        o.out(docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n').trimEnd());
      }
      setExit(EXIT.yes);
    });
}
