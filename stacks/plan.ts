import { PATHS } from "../app/src/contract";
import { ACCEPTANCE_POD_LABELS, ACCEPTANCE_SERVICE_ACCOUNT } from "../components/canary-analysis";
import { GATEWAY_RELEASE } from "../components/istio";
import { ROLES } from "../components/rollout-spec";
import { VERIFIER_LABELS } from "../components/verification";
import {
  APP_NAME,
  CANARY_VERSION,
  PRIMARY_VERSION,
  pingUrl,
  serviceHost,
  serviceSelector,
} from "../components/workload";
import { addonChecks, addonsPlan, sidecarEgress, type AddonsPlan } from "./plan-addons";
import { certificateHosts } from "./plan-certificates";
import { componentPlan } from "./plan-components";
import { networkPlan, type NetworkPlan } from "./plan-network";
import {
  INSTANCE_KEYS,
  type CanaryPlan,
  type CheckPlan,
  type ComponentPlan,
  type EdgePlan,
  type InstanceKey,
  type InstancePlan,
  type NamedIdentity,
  type PodsRef,
} from "./plan-types";
import type { Settings } from "./settings-types";

/**
 * The deployment plan: every decision the program makes from the settings, as plain data. Who
 * calls whom, the edge that terminates HTTPS, hosts, URLs, canaries, network rules and the
 * verification checks. Pure: index.ts turns it into components, and tests read it directly.
 */

export * from "./plan-types";

export interface Plan extends ComponentPlan {
  addons: AddonsPlan;
  namespaces: Record<InstanceKey | "c", { name: string; sidecarInjection: boolean }>;
  edge: EdgePlan;
  instances: Record<InstanceKey, InstancePlan>;
  checks: CheckPlan[];
  /** Every other pod's egress in the three namespaces, which deny it by default; absent without NetworkPolicies. */
  network?: NetworkPlan;
}

const httpsUrls = (hosts: string[]) => hosts.map((h) => `https://${h}${PATHS.ping}`);

/** The one place the TLS termination mode is decided. */
export function edgePlan(s: Settings): EdgePlan {
  const hosts = s.tls.hosts;
  const names = certificateHosts(s.tls.termination, hosts, s.namespaces);
  switch (s.tls.termination) {
    case "istio":
      // The gateway chart names the gateway's ServiceAccount after its release.
      return {
        mode: "istio",
        scheme: "http",
        caller: { namespace: s.namespaces.gateway, serviceAccount: GATEWAY_RELEASE },
        httpRules: true,
        callerVisible: true,
        certificateHosts: names,
        ingressUrls: httpsUrls(hosts),
      };
    case "ingress":
      return {
        mode: "ingress",
        scheme: "http",
        caller: s.tls.ingressController,
        httpRules: true,
        callerVisible: true,
        certificateHosts: names,
        ingressUrls: httpsUrls(hosts),
      };
    case "app":
      // The app's certificate also names the Services its peer calls; the mesh carries opaque TLS.
      return {
        mode: "app",
        scheme: "https",
        httpRules: false,
        callerVisible: false,
        certificateHosts: names,
        ingressUrls: [],
      };
  }
}

function canaryPlan(s: Settings, key: InstanceKey): CanaryPlan | undefined {
  const c = s.traffic.canary;
  if (!c?.instances.includes(key)) return undefined;
  return {
    version: CANARY_VERSION,
    weights: c.weights,
    header: c.header,
    mirrorPercent: c.mirrorPercent,
    image: c.image,
    replicas: c.replicas,
  };
}

export function plan(s: Settings): Plan {
  const edge = edgePlan(s);
  const addons = addonsPlan(s, edge);
  const peerOf: Record<InstanceKey, InstanceKey> = { a: "b", b: "a" };
  const instance = (key: InstanceKey): InstancePlan => {
    const peer = peerOf[key];
    const peerNs = s.namespaces[peer];
    // Only pingpong-a is exposed: the edge calls it, never pingpong-b.
    const edgeCallers: NamedIdentity[] = key === "a" && edge.caller ? [edge.caller] : [];
    const peerPods: PodsRef = { namespace: peerNs, podLabels: serviceSelector() };
    const canary = canaryPlan(s, key);
    const analysed = addons.delivery?.instance === key;
    const acceptance: NamedIdentity = {
      namespace: s.namespaces[key],
      serviceAccount: ACCEPTANCE_SERVICE_ACCOUNT,
    };
    return {
      key,
      peer,
      namespace: s.namespaces[key],
      host: serviceHost(s.namespaces[key]),
      target: pingUrl(peerNs, APP_NAME, edge.scheme),
      callers: [
        { kind: "instance", instance: peer },
        ...edgeCallers.map((identity) => ({ kind: "edge" as const, identity })),
        ...(analysed ? [{ kind: "acceptance" as const, identity: acceptance }] : []),
      ],
      canary,
      traffic: {
        primaryVersion: PRIMARY_VERSION,
        canary,
        resilience: s.traffic.resilience,
        loadBalancer: s.traffic.loadBalancer,
        // Argo Rollouts shifts the weights between these subsets; no fixed-weight routes then.
        analysis: analysed ? { stableSubset: ROLES.stable, canarySubset: ROLES.canary } : undefined,
      },
      network: s.networkPolicy
        ? {
            // The out-of-mesh namespace may reach the port: the mesh, not the network, must refuse it.
            callers: [
              peerPods,
              { namespace: peerNs, podLabels: VERIFIER_LABELS },
              { namespace: s.namespaces.c },
              ...edgeCallers.map((e) => ({ namespace: e.namespace })),
              ...(analysed ? [{ namespace: acceptance.namespace, podLabels: ACCEPTANCE_POD_LABELS }] : []),
            ],
            scrapers: [{ namespace: s.namespaces.monitoring }],
            pingTargets: [peerPods],
            egress: sidecarEgress(addons),
          }
        : undefined,
    };
  };
  const checks: CheckPlan[] = s.verification.enabled
    ? [
        {
          name: "a-to-b",
          from: { instance: "a" },
          to: "b",
          expect: "success",
          expectCallerOf: edge.callerVisible ? "a" : undefined,
          tls: edge.scheme === "https",
        },
        ...INSTANCE_KEYS.map((to): CheckPlan => ({
          name: `c-to-${to}`,
          from: { outside: s.namespaces.c },
          to,
          expect: "failure",
          // Under STRICT mTLS a sidecar resets plaintext from a pod without one.
          expectError: "ECONNRESET",
          tls: false,
        })),
        ...addonChecks(s, addons),
      ]
    : [];
  return {
    ...componentPlan(s, edge, addons),
    addons,
    namespaces: {
      a: { name: s.namespaces.a, sidecarInjection: true },
      b: { name: s.namespaces.b, sidecarInjection: true },
      c: { name: s.namespaces.c, sidecarInjection: false },
    },
    edge,
    instances: { a: instance("a"), b: instance("b") },
    checks,
    network: networkPlan(s, addons, checks),
  };
}
