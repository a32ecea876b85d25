import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { createSecureContext } from "node:tls";
import { DEFAULT_PORTS, ENV } from "./contract";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Certificate material for the main port (application-level TLS). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by this CA (application-level mTLS). */
  clientCa?: Buffer;
}

/** What the pinger presents to, and trusts from, an https TARGET. */
export interface TargetTls {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

export interface Config {
  host: string;
  port: number;
  metricsPort: number;
  target?: URL;
  tickMs: number;
  pingTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Time between the signal and closing the listeners, so endpoints can be withdrawn first. */
  drainDelayMs: number;
  logLevel: LogLevel;
  serviceName: string;
  namespace: string;
  podName: string;
  version: string;
  tls?: ServerTls;
  targetTls?: TargetTls;
  /** Percentage (0 to 100) of the pings whose trace is sampled. */
  traceSamplingPercent: number;
}

/** Who this instance is: in every log line, on the info metric and in JSON answers. */
export interface InstanceIdentity {
  service: string;
  namespace: string;
  pod: string;
  version: string;
}

export function instanceIdentity(config: Config): InstanceIdentity {
  return {
    service: config.serviceName,
    namespace: config.namespace,
    pod: config.podName,
    version: config.version,
  };
}

/** A configuration error names the variable, the value it had and what was expected. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly expected: string,
  ) {
    super(
      `invalid configuration: ${variable}=${value === undefined ? "<unset>" : JSON.stringify(value)}: expected ${expected}`,
    );
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const MAX_MS = 24 * 60 * 60 * 1000;

function get(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function integer(env: Env, name: string, def: number, min: number, max: number, what: string): number {
  const raw = get(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, env[name], `${what} (an integer from ${min} to ${max})`);
  }
  return Number(raw);
}

function percentage(env: Env, name: string, def: number, what: string): number {
  const raw = get(env, name);
  if (raw === undefined) return def;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) > 100) {
    throw new ConfigError(name, env[name], `${what} (a number from 0 to 100, decimals allowed, e.g. 0.5)`);
  }
  return Number(raw);
}

function readPem(env: Env, name: string): Buffer | undefined {
  const path = get(env, name);
  if (path === undefined) return undefined;
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      name,
      path,
      `a readable PEM file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  if (!data.includes("-----BEGIN ")) throw new ConfigError(name, path, "a PEM file (no PEM block found)");
  return data;
}

function requirePair(env: Env, certVar: string, keyVar: string): { cert?: Buffer; key?: Buffer } {
  const cert = readPem(env, certVar);
  const key = readPem(env, keyVar);
  if (cert && !key)
    throw new ConfigError(keyVar, env[keyVar], `a private key file because ${certVar} is set`);
  if (key && !cert)
    throw new ConfigError(certVar, env[certVar], `a certificate file because ${keyVar} is set`);
  if (cert && key) {
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      throw new ConfigError(keyVar, env[keyVar], `the private key of ${certVar} (${(err as Error).message})`);
    }
  }
  return { cert, key };
}

function caBundle(env: Env, name: string): Buffer | undefined {
  const ca = readPem(env, name);
  if (ca) {
    try {
      createSecureContext({ ca });
    } catch (err) {
      throw new ConfigError(name, env[name], `PEM CA certificates (${(err as Error).message})`);
    }
  }
  return ca;
}

const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

/**
 * Whether `host` is something listen() can bind: an IP address (v4 or v6, no brackets, no port) or
 * a host name (RFC 1123 labels; a last label of digits only would be a mistyped IPv4 address).
 */
export function isListenHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const labels = host.split(".");
  return host.length <= 253 && labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

function parseTarget(env: Env): URL | undefined {
  const raw = get(env, ENV.target);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      ENV.target,
      env[ENV.target],
      "an absolute http:// or https:// URL, e.g. http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
    );
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new ConfigError(ENV.target, env[ENV.target], "an absolute http:// or https:// URL with a host");
  }
  if (url.username || url.password)
    throw new ConfigError(ENV.target, env[ENV.target], "a URL without credentials");
  return url;
}

/**
 * Reads and validates the whole configuration from the environment. Throws a ConfigError on the
 * first bad value; nothing is started before this returns.
 */
export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, ENV.port, DEFAULT_PORTS.http, 0, 65535, "a TCP port");
  const metricsPort = integer(env, ENV.metricsPort, DEFAULT_PORTS.metrics, 0, 65535, "a TCP port");
  if (port !== 0 && port === metricsPort) {
    throw new ConfigError(
      ENV.metricsPort,
      env[ENV.metricsPort],
      `a port different from ${ENV.port} (${port})`,
    );
  }
  const tickMs = integer(env, ENV.tickMs, 1000, 1, MAX_MS, "the ping interval in milliseconds");
  const pingTimeoutMs = integer(env, ENV.pingTimeoutMs, 2000, 1, MAX_MS, "the ping timeout in milliseconds");
  const shutdownTimeoutMs = integer(
    env,
    ENV.shutdownTimeoutMs,
    10000,
    1,
    MAX_MS,
    "the shutdown deadline in milliseconds",
  );
  const drainDelayMs = integer(env, ENV.drainDelayMs, 0, 0, MAX_MS, "the drain delay in milliseconds");
  if (drainDelayMs >= shutdownTimeoutMs) {
    throw new ConfigError(
      ENV.drainDelayMs,
      env[ENV.drainDelayMs],
      `less than ${ENV.shutdownTimeoutMs} (${shutdownTimeoutMs})`,
    );
  }

  const rawLevel = get(env, ENV.logLevel)?.toLowerCase() ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    throw new ConfigError(ENV.logLevel, env[ENV.logLevel], `one of ${LOG_LEVELS.join(", ")}`);
  }

  const target = parseTarget(env);
  const traceSamplingPercent = percentage(
    env,
    ENV.traceSamplingPercent,
    0,
    "the percentage of pings whose trace is sampled",
  );

  const server = requirePair(env, ENV.tlsCertFile, ENV.tlsKeyFile);
  const clientCa = caBundle(env, ENV.tlsClientCaFile);
  if (clientCa && !server.cert) {
    throw new ConfigError(
      ENV.tlsClientCaFile,
      env[ENV.tlsClientCaFile],
      `to be set only together with ${ENV.tlsCertFile} and ${ENV.tlsKeyFile}`,
    );
  }

  const client = requirePair(env, ENV.targetCertFile, ENV.targetKeyFile);
  const targetCa = caBundle(env, ENV.targetCaFile);
  const targetTlsVar = client.cert ? ENV.targetCertFile : targetCa ? ENV.targetCaFile : undefined;
  if (targetTlsVar && target?.protocol !== "https:") {
    throw new ConfigError(targetTlsVar, env[targetTlsVar], `to be set only with an https:// ${ENV.target}`);
  }

  const host = get(env, ENV.host) ?? "0.0.0.0";
  if (!isListenHost(host)) {
    throw new ConfigError(
      ENV.host,
      env[ENV.host],
      "an IP address or host name to listen on, e.g. 0.0.0.0, :: or 127.0.0.1",
    );
  }
  const serviceName = get(env, ENV.serviceName) ?? "pingpong";
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(serviceName)) {
    throw new ConfigError(
      ENV.serviceName,
      env[ENV.serviceName],
      "a DNS label (lowercase letters, digits and '-')",
    );
  }

  const label = (name: string, fallback: string, pattern: RegExp, expected: string): string => {
    const v = get(env, name) ?? fallback;
    if (!pattern.test(v)) throw new ConfigError(name, env[name], expected);
    return v;
  };
  // These end up in logs, metric labels and the User-Agent header: keep them to safe characters.
  const namespace = label(
    ENV.namespace,
    "default",
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "a Kubernetes namespace name",
  );
  const podName = label(
    ENV.podName,
    hostname(),
    /^[A-Za-z0-9]([-A-Za-z0-9._]{0,251}[A-Za-z0-9])?$/,
    "a pod name (letters, digits, '-', '.', '_')",
  );
  const version = label(
    ENV.version,
    "v1",
    /^[A-Za-z0-9]([-A-Za-z0-9._]{0,61}[A-Za-z0-9])?$/,
    "a version label such as v1 (letters, digits, '-', '.', '_')",
  );

  return {
    host,
    port,
    metricsPort,
    target,
    tickMs,
    pingTimeoutMs,
    shutdownTimeoutMs,
    drainDelayMs,
    logLevel: rawLevel as LogLevel,
    serviceName,
    namespace,
    podName,
    version,
    tls: server.cert && server.key ? { cert: server.cert, key: server.key, clientCa } : undefined,
    targetTls: client.cert || targetCa ? { cert: client.cert, key: client.key, ca: targetCa } : undefined,
    traceSamplingPercent,
  };
}
