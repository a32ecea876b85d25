import { isIPv4 } from "node:net";
import { ACCEPTANCE_POD_LABELS } from "../components/canary-analysis";
import { TOOLBOX_POD_LABELS } from "../components/toolbox";
import { checkPodLabels } from "../components/verification";
import { PORTS, serviceSelector } from "../components/workload";
import { gatewayEgress, tracingEgress, type AddonsPlan } from "./plan-addons";
import type { AllowedEgress, CheckPlan, InstanceKey } from "./plan-types";
import { INSTANCES } from "./keys-traffic";
import type { Settings } from "./settings-types";

/**
 * Egress of every pod the stack runs in pingpong-a, -b and -c besides the pingpong pods (whose
 * NetworkPolicy is their instance's, plan.ts `network`): each namespace denies all egress, and
 * each kind of pod gets back what it needs. Istio cannot keep a pod from leaving the mesh around
 * the egress gateway; only these can.
 */

export type NamespaceKey = InstanceKey | "c";

/** One kind of pod and where it may send, beyond DNS and, with a sidecar, istiod. */
export interface PodEgressPlan {
  /** Its NetworkPolicy's name. */
  name: string;
  podLabels: Record<string, string>;
  sidecar: boolean;
  egress: AllowedEgress[];
}

/** Per namespace, the pods that get a policy of their own; every namespace denies egress by default. */
export type NetworkPlan = Record<NamespaceKey, PodEgressPlan[]>;

/** The acceptance probe's policy: Argo Rollouts runs it in the analysed instance's namespace. */
export const ACCEPTANCE_POLICY = "canary-acceptance";

const appPort = (s: Settings, key: InstanceKey): AllowedEgress => ({
  to: [{ namespace: s.namespaces[key], podLabels: serviceSelector() }],
  port: PORTS.http.port,
});

/** The port a URL names, or its scheme's. */
const urlPort = (url: URL) => Number(url.port || (url.protocol === "https:" ? 443 : 80));

/**
 * What a check's pod must reach for its result to mean what the check says:
 * - an instance: its pods' port (plaintext from pingpong-c too: the mesh, not the network, must
 *   refuse it, or a reset would prove nothing);
 * - a listed egress host: the egress gateway only, so that an answer proves the gateway carried it
 *   (with ALLOW_ANY, or a broken route, the sidecar would otherwise reach the host itself);
 * - another address: that address, so that what refuses it is the sidecar, never the network.
 * A sidecar also sends spans, except from an egress check's pod, which reaches nothing else.
 */
export function checkEgress(c: CheckPlan, s: Settings, a: AddonsPlan): AllowedEgress[] {
  const spans = "instance" in c.from ? tracingEgress(a) : [];
  if (typeof c.to === "string") return [appPort(s, c.to), ...spans];
  const url = new URL(c.to.url);
  if (a.egress?.hosts.includes(url.hostname)) return gatewayEgress(a);
  if (!isIPv4(url.hostname)) {
    throw new Error(`check ${c.name}: a NetworkPolicy cannot name ${url.hostname}, only addresses`);
  }
  return [{ cidrs: [`${url.hostname}/32`], port: urlPort(url) }, ...spans];
}

/** The namespace a check's pod runs in: its instance's, or pingpong-c. */
function checkNamespace(c: CheckPlan, s: Settings): NamespaceKey {
  if ("instance" in c.from) return c.from.instance;
  if (c.from.outside !== s.namespaces.c) throw new Error(`check ${c.name}: runs outside pingpong-c`);
  return "c";
}

export function networkPlan(s: Settings, a: AddonsPlan, checks: CheckPlan[]): NetworkPlan | undefined {
  if (!s.networkPolicy) return undefined;
  const plan: NetworkPlan = { a: [], b: [], c: [] };
  for (const c of checks) {
    plan[checkNamespace(c, s)].push({
      name: `verify-${c.name}`,
      podLabels: checkPodLabels(c.name),
      sidecar: "instance" in c.from,
      egress: checkEgress(c, s, a),
    });
  }
  if (a.delivery) {
    // In the mesh, against the canary Service of its own instance.
    const key = a.delivery.instance;
    plan[key].push({
      name: ACCEPTANCE_POLICY,
      podLabels: ACCEPTANCE_POD_LABELS,
      sidecar: true,
      egress: [appPort(s, key), ...tracingEgress(a)],
    });
  }
  // Manual checks from outside the mesh: plaintext at both instances, which their sidecars refuse.
  plan.c.push({
    name: "toolbox",
    podLabels: TOOLBOX_POD_LABELS,
    sidecar: false,
    egress: INSTANCES.map((key) => appPort(s, key)),
  });
  return plan;
}
