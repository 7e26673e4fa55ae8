import { resolve } from 'node:path';
import { insecureRegistries } from './oci/client.js';

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  seedDir: string | undefined;
  /** The Ed25519 key that signs audit checkpoints (default <dataDir>/log-key.pem). */
  logKeyFile: string | undefined;
  /** Load the seed slice on start (creates entries the registry has never had). */
  seed: boolean;
  logLevel: string;
  /** Largest evidence envelope accepted, bytes (default 1 MiB). */
  evidenceLimit: number;
  /** Catalog reads and checks need a token (platform.registry.read). */
  privateReads: boolean;
  /** How often a server on a shared PostgreSQL looks for writes by other replicas, ms. */
  syncIntervalMs: number;
  /** OCI registries spoken to over plain HTTP: --insecure-registry HOST[:PORT] joined with CHARTER_INSECURE_REGISTRIES. */
  insecureRegistries: string[];
  /** Directory of the Docker config.json with registry credentials (default $DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir: string | undefined;
  /** The Ed25519 key that signs verification summaries (default <dataDir>/attestation-key.pem). */
  attestationKeyFile: string | undefined;
  /** The service's public URL: the base of every link it hands out (admission denials name `<publicUrl>/ui/artifacts/<digest>`) and a VSA's verifier.id (default: the address it listens on). */
  publicUrl: string | undefined;
  /** Time to receive a whole request (headers and body) before the connection is cut, ms. */
  requestTimeoutMs: number;
  /** Time to receive the request headers, ms. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open, ms. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; more are closed as they arrive. */
  maxConnections: number;
  /** Untrusted evidence items kept per artifact; more are refused (trusted evidence is not capped). */
  untrustedEvidencePerArtifact: number;
  /** PEM certificate chain and key: serve HTTPS (both or neither). Reloaded on SIGHUP. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** PEM CA bundle: require client certificates it issued (needs tlsCert/tlsKey). */
  tlsClientCa: string | undefined;
  /** Deadline of every admission answer, ms (default 2000, below Kubernetes' 10 s webhook timeout). */
  admissionDeadlineMs: number;
}

/** A whole number from a flag, else the environment, else the default, at least `min`. */
function whole(flag: number | undefined, env: string | undefined, fallback: number, min: number, what: string): number {
  const v = flag ?? (env !== undefined && env !== '' ? (/^[0-9]+$/.test(env) ? Number(env) : NaN) : fallback);
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`${what} must be a whole number, at least ${min}, not ${String(flag ?? env)}`);
  return v;
}

/** Defaults for connection handling (docs/security.md explains each). */
export const CONNECTION_DEFAULTS = { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024 } as const;

/** Flags win over the environment, the environment over defaults. */
export function resolveConfig(flags: Partial<ServerConfig>, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = flags.port ?? (env.CHARTER_PORT ? Number(env.CHARTER_PORT) : 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer from 0 to 65535, not ${String(flags.port ?? env.CHARTER_PORT)}`);
  const limit = flags.evidenceLimit ?? (env.CHARTER_EVIDENCE_LIMIT ? Number(env.CHARTER_EVIDENCE_LIMIT) : 1024 * 1024);
  if (!Number.isInteger(limit) || limit < 1024) throw new Error('the evidence limit must be a whole number of bytes, at least 1024');
  const tlsCert = flags.tlsCert ?? env.CHARTER_TLS_CERT;
  const tlsKey = flags.tlsKey ?? env.CHARTER_TLS_KEY;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new Error('--tls-cert and --tls-key go together: give both to serve HTTPS, or neither');
  if ((flags.tlsClientCa ?? env.CHARTER_TLS_CLIENT_CA) && !tlsCert) throw new Error('--tls-client-ca needs --tls-cert and --tls-key: client certificates are a TLS feature');
  const publicUrl = flags.publicUrl ?? env.CHARTER_PUBLIC_URL;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(publicUrl)) throw new Error(`the public URL must be an http(s) URL, not ${publicUrl}`);
  return {
    host: flags.host ?? env.CHARTER_HOST ?? '127.0.0.1',
    port,
    dataDir: resolve(flags.dataDir ?? env.CHARTER_DATA_DIR ?? '.charter'),
    databaseUrl: flags.databaseUrl ?? env.CHARTER_DATABASE_URL ?? undefined,
    seedDir: flags.seedDir ?? env.CHARTER_SEED_DIR ?? undefined,
    logKeyFile: flags.logKeyFile ?? env.CHARTER_LOG_KEY_FILE ?? undefined,
    seed: flags.seed ?? env.CHARTER_SEED !== '0',
    logLevel: flags.logLevel ?? env.CHARTER_LOG_LEVEL ?? 'info',
    privateReads: flags.privateReads ?? env.CHARTER_PRIVATE_READS === '1',
    evidenceLimit: limit,
    syncIntervalMs: flags.syncIntervalMs ?? 250,
    insecureRegistries: insecureRegistries(flags.insecureRegistries ?? [], env),
    dockerConfigDir: flags.dockerConfigDir ?? env.DOCKER_CONFIG ?? undefined,
    attestationKeyFile: flags.attestationKeyFile ?? env.CHARTER_ATTESTATION_KEY_FILE ?? undefined,
    publicUrl: (flags.publicUrl ?? env.CHARTER_PUBLIC_URL ?? undefined)?.replace(/\/+$/, ''),
    requestTimeoutMs: whole(flags.requestTimeoutMs, env.CHARTER_REQUEST_TIMEOUT_MS, CONNECTION_DEFAULTS.requestTimeoutMs, 100, 'the request timeout (ms)'),
    headersTimeoutMs: whole(flags.headersTimeoutMs, env.CHARTER_HEADERS_TIMEOUT_MS, CONNECTION_DEFAULTS.headersTimeoutMs, 100, 'the headers timeout (ms)'),
    keepAliveTimeoutMs: whole(flags.keepAliveTimeoutMs, env.CHARTER_KEEP_ALIVE_TIMEOUT_MS, CONNECTION_DEFAULTS.keepAliveTimeoutMs, 0, 'the keep-alive timeout (ms)'),
    maxConnections: whole(flags.maxConnections, env.CHARTER_MAX_CONNECTIONS, CONNECTION_DEFAULTS.maxConnections, 1, 'the connection cap'),
    untrustedEvidencePerArtifact: whole(flags.untrustedEvidencePerArtifact, env.CHARTER_UNTRUSTED_EVIDENCE_PER_ARTIFACT, 20, 0, 'the untrusted evidence cap per artifact'),
    tlsCert: flags.tlsCert ?? env.CHARTER_TLS_CERT ?? undefined,
    tlsKey: flags.tlsKey ?? env.CHARTER_TLS_KEY ?? undefined,
    tlsClientCa: flags.tlsClientCa ?? env.CHARTER_TLS_CLIENT_CA ?? undefined,
    admissionDeadlineMs: flags.admissionDeadlineMs ?? 2000,
  };
}
