import type { ProvidedPki } from "../components/provided-certificates";
import { list, parseLabels } from "./formats";
import { SettingsError, type Environment } from "./key";
import type { Instance } from "./keys-traffic";
import { readKeys } from "./parse";
import type { Settings } from "./settings-types";
import { crossFieldProblems } from "./rules";
import { deliverySettings, loadBalancerSettings, tracingSettings } from "./settings-addons";
import { requestSettings } from "./settings-sizing";
import type { Values } from "./table";

export {
  GATEWAY_SERVICE_TYPES,
  KEY_ALGORITHMS,
  LOG_LEVELS,
  MONITORING_MODES,
  SPREAD_POLICIES,
  TLS_TERMINATIONS,
  type Resources,
} from "../components/types";
export { parseCpu, parseLabels, parseMemory } from "./formats";
export { SettingsError, type Environment } from "./key";
export { INSTANCES, type Instance } from "./keys-traffic";

export type { Settings } from "./settings-types";

/**
 * Parses raw Pulumi config (keys `pingpong:<key>`, values as the engine passes them: strings) into
 * validated settings: each key against its row of the table (stacks/table.ts), then the
 * cross-field rules (stacks/rules.ts). Reports every problem at once; throws before anything is
 * created.
 */
export function parseSettings(raw: Record<string, string>, stack: string): Settings {
  const { environment, values, problems, bad, given } = readKeys(raw, stack);
  problems.push(...crossFieldProblems(values, bad, given));
  if (problems.length > 0) throw new SettingsError(problems);
  return assemble(values, environment, stack);
}

/** Settings from values that passed every check. */
function assemble(v: Values, environment: Environment, stack: string): Settings {
  const { registryUsername: username, registryPassword: password } = v;
  const canaryInstances = list(v.canaryInstances) as Instance[];
  const dashboardNamespace = v.grafanaDashboardNamespace ?? v.monitoringNamespace;
  return {
    environment,
    stack,
    cluster: { kubeconfig: v.kubeconfig, context: v.kubeContext },
    image: {
      reference: v.image,
      registry: v.registry,
      repository: v.imageRepository,
      platform: v.imagePlatform,
      credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
    },
    chartSource: v.chartSource,
    namespaces: {
      a: v.namespaceA,
      b: v.namespaceB,
      c: v.namespaceC,
      monitoring: v.monitoringNamespace,
      gateway: v.gatewayNamespace,
    },
    workload: {
      replicas: v.replicas,
      autoscaling: v.autoscaling
        ? {
            minReplicas: v.hpaMinReplicas,
            maxReplicas: v.hpaMaxReplicas,
            cpuUtilization: v.hpaCpuUtilization,
          }
        : undefined,
      pdbMinAvailable: v.pdbMinAvailable > 0 ? v.pdbMinAvailable : undefined,
      resources: {
        cpuRequest: v.cpuRequest,
        cpuLimit: v.cpuLimit,
        memoryRequest: v.memoryRequest,
        memoryLimit: v.memoryLimit,
      },
      tickMs: v.tickMs,
      pingTimeoutMs: v.pingTimeoutMs,
      shutdownTimeoutSeconds: v.shutdownTimeoutSeconds,
      drainDelaySeconds: v.drainDelaySeconds,
      logLevel: v.logLevel,
      spreadPolicy: v.spreadPolicy,
    },
    networkPolicy: v.networkPolicy,
    rbac: { operatorGroup: v.operatorGroup },
    mesh: {
      istioVersion: v.istioVersion,
      trustDomain: v.trustDomain,
      istiodReplicas: { min: v.istiodReplicas, max: v.istiodMaxReplicas },
      pluginCa: v.pluginCa,
      meshWideMtls: v.meshWideMtls,
      accessLogs: v.accessLogs,
      // The rules require both or neither.
      externalIstiod:
        v.istioWebhookUrl !== undefined && v.istioWebhookCaBundle !== undefined
          ? { url: v.istioWebhookUrl, caPem: v.istioWebhookCaBundle }
          : undefined,
      gateway: {
        serviceType: v.gatewayServiceType,
        minReplicas: v.gatewayMinReplicas,
        maxReplicas: v.gatewayMaxReplicas,
      },
    },
    tls: {
      termination: v.tlsTermination,
      hosts: list(v.ingressHosts),
      ingressClassName: v.ingressClassName,
      ingressController: {
        namespace: v.ingressControllerNamespace,
        serviceAccount: v.ingressControllerServiceAccount,
      },
      keyAlgorithm: v.certKeyAlgorithm,
      validityHours: v.certValidityHours,
      earlyRenewalHours: v.certEarlyRenewalHours,
      caValidityHours: v.caValidityHours,
      provided: providedPki(v),
    },
    verification: { enabled: v.verification, toolboxImage: v.toolboxImage },
    ...deliverySettings(v),
    traffic: {
      canary:
        canaryInstances.length > 0
          ? {
              instances: canaryInstances,
              image: v.canaryImage,
              replicas: v.canaryReplicas,
              weights: { primary: v.trafficPercentV1, canary: v.trafficPercentV2 },
              header: v.canaryHeader,
              mirrorPercent: v.mirrorPercent,
            }
          : undefined,
      loadBalancer: loadBalancerSettings(v),
      resilience: {
        timeoutMs: v.routeTimeoutMs,
        retries: { attempts: v.retryAttempts, perTryTimeoutMs: v.retryPerTryTimeoutMs, retryOn: v.retryOn },
        outlier: {
          consecutive5xxErrors: v.outlierConsecutive5xx,
          intervalSeconds: v.outlierIntervalSeconds,
          baseEjectionSeconds: v.outlierBaseEjectionSeconds,
          maxEjectionPercent: v.outlierMaxEjectionPercent,
        },
        connectionPool: {
          maxConnections: v.poolMaxConnections,
          maxPendingRequests: v.poolMaxPendingRequests,
          maxRequestsPerConnection: v.poolMaxRequestsPerConnection,
        },
        faults: {
          delayPercent: v.faultDelayPercent,
          delayMs: v.faultDelayMs,
          abortPercent: v.faultAbortPercent,
          abortStatus: v.faultAbortStatus,
        },
      },
    },
    observability: {
      monitoring: v.monitoring,
      prometheusStackVersion: v.prometheusStackVersion,
      monitorLabels: parseLabels(v.monitorLabels) ?? {},
      dashboardNamespace:
        v.monitoring === "none" || dashboardNamespace === "" ? undefined : dashboardNamespace,
      istioDashboards: v.istioDashboards,
      tracing: tracingSettings(v),
      kiali: v.kiali ? { chartVersion: v.kialiChartVersion, signingKey: v.kialiSigningKey } : undefined,
    },
    requests: requestSettings(v),
  };
}

/** The user's PKI, when serverCertificate is set; the rules require its key and CA with it. */
function providedPki(v: Values): ProvidedPki | undefined {
  const { serverCertificate: certPem, serverPrivateKey: keyPem, caCertificate: caCertPem } = v;
  if (certPem === undefined || keyPem === undefined || caCertPem === undefined) return undefined;
  // The rules require the mesh CA's certificate and key exactly when pluginCa is on.
  const { meshCaCertificate: meshCertPem, meshCaPrivateKey: meshKeyPem } = v;
  const meshCa =
    meshCertPem !== undefined && meshKeyPem !== undefined
      ? { certPem: meshCertPem, keyPem: meshKeyPem }
      : undefined;
  return { serverCertPem: certPem, serverKeyPem: keyPem, caCertPem, meshCa };
}
