import { parseSettings, SettingsError, type Settings } from "../../stacks/settings";
import { engineConfig, runWithSettings, type ProgramRun } from "./program";
import { stackConfig } from "./stack-files";

/** Named whole-program variants, and settings that must not parse. */

/** A named program run: a stack and config overriding its stack file. */
export interface Variant {
  stack: string;
  config: Record<string, string | number | boolean>;
}

/**
 * Runs each variant (stack file config plus its overrides) in turn, filling `runs` and `settings`
 * by variant name.
 */
export async function runVariants<K extends string>(
  variants: Record<K, Variant>,
  runs: Record<K, ProgramRun>,
  settings: Record<K, Settings>,
): Promise<void> {
  for (const [name, { stack, config }] of Object.entries(variants) as Array<[K, Variant]>) {
    ({ settings: settings[name], run: runs[name] } = await runWithSettings(stack, {
      ...stackConfig(stack),
      ...config,
    }));
  }
}

/** What staging and prod have no default for: the cluster, the registry, the hosts, the span collector. */
export const CLUSTER_SETTINGS = {
  registry: "ghcr.io/acme",
  kubeContext: "platform-ctx",
  ingressHosts: "pingpong.example.com",
  tracingCollector: "otel.observability.svc.cluster.local:4317",
} as const;

/**
 * HTTPS terminated by the app. The sidecars then see only TLS: what acts on HTTP at the sidecars
 * (tracing, rate limits, canary analysis) is off, as the settings' rules require.
 */
export const APP_TLS = {
  tlsTermination: "app",
  tracing: "none",
  traceSamplingPercent: 0,
  rateLimitRequestsPerSecond: 0,
  canaryAnalysis: false,
} as const;

/**
 * The variants the suite's global setup renders once for every test file (test/support/global-setup.ts):
 * the stack files as they are, and dev with each other TLS termination.
 */
export const SHARED_VARIANTS = {
  dev: { stack: "dev", config: {} },
  prod: { stack: "prod", config: {} },
  "dev-ingress": { stack: "dev", config: { tlsTermination: "ingress" } },
  "dev-app": { stack: "dev", config: APP_TLS },
} as const satisfies Record<string, Variant>;
export type SharedVariant = keyof typeof SHARED_VARIANTS;

/**
 * The one whole-program variant with a canary: prod with v2 beside v1 in pingpong-a (the instance the
 * ingress routes to, and the one its autoscaler and budget cover), mirroring and both faults on, so
 * that every optional route field meets the Deployments, the Service and the ingress it is wired to.
 */
export const CANARY_VARIANT: Variant = {
  stack: "prod",
  config: {
    canaryInstances: "a",
    trafficPercentV1: 75,
    trafficPercentV2: 25,
    canaryReplicas: 2,
    mirrorPercent: 10,
    faultDelayPercent: 5,
    faultAbortPercent: 1,
  },
};

/**
 * dev with an autoscaler and a disruption budget, which no stack file combines with canary analysis:
 * pingpong-b's Argo Rollout under both, as its Deployment would be.
 */
export const AUTOSCALED_ROLLOUT: Variant = {
  stack: "dev",
  config: { autoscaling: true, hpaMinReplicas: 2, hpaMaxReplicas: 3, pdbMinAvailable: 1 },
};

/** The SettingsError that parsing `config` (keys as engineConfig takes them) on `stack` throws; fails when it parses. */
export function settingsError(
  config: Record<string, string | number | boolean>,
  stack: string,
): SettingsError {
  try {
    parseSettings(engineConfig(config), stack);
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error(`parseSettings(${JSON.stringify(config)}, ${stack}) did not throw`);
}
