import type { INamespace } from "kubernetes-models/v1";
import type { Settings } from "../../stacks/settings";
import { nameOf, ofType, type Labels, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { T, releaseNamespace } from "./lookup";
import { ENVS, as, must, renderStacks, type Env } from "./models";

/**
 * The whole graph of dev and prod: exactly which resources, through which provider, in which
 * namespaces, labelled how. One instance's objects: instances.test.ts, workload.test.ts,
 * network-policy.test.ts; the operators' access: rbac.test.ts.
 */

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
beforeAll(async () => ({ runs, settings } = await renderStacks()), 60_000);

const BASE_TYPES: Record<string, number> = {
  "pingpong:image:PingpongImage": 1,
  [T.image]: 1,
  [T.provider]: 1,
  "pingpong:namespaces:Namespaces": 1,
  "pingpong:workload:PingpongService": 2,
  "pingpong:rbac:OperatorAccess": 1,
  // pingpong-a, -b, -c, istio-system and the gateway namespace.
  [T.namespace]: 5,
  [T.serviceAccount]: 2,
  [T.service]: 2,
  // Both instances and the toolbox in pingpong-c.
  [T.deployment]: 3,
  // Each instance's own; per namespace (pingpong-a, -b, -c) a default-deny egress policy, and the
  // egress of the other pods: the toolbox and each verification Job (a-to-b, c-to-a, c-to-b).
  "pingpong:network:NetworkIsolation": 3,
  [T.networkPolicy]: 2 + 3 + 1 + 3,
  [T.role]: 3,
  [T.roleBinding]: 3,
  // Istio: base, istiod, cni, gateway.
  "pingpong:mesh:Istio": 1,
  [T.release]: 4,
  // STRICT mTLS and default-deny in pingpong-a and pingpong-b.
  "pingpong:mesh:MeshSecurity": 1,
  "kubernetes:security.istio.io/v1:PeerAuthentication": 2,
  "kubernetes:security.istio.io/v1:AuthorizationPolicy": 6,
  // HTTPS at the ingress gateway (tlsTermination istio): its TLS Secret, Gateway and VirtualService.
  "pingpong:ingress:IstioIngress": 1,
  "kubernetes:core/v1:Secret": 1,
  "kubernetes:networking.istio.io/v1:Gateway": 1,
  // The ingress VirtualService plus one mesh VirtualService per instance.
  "kubernetes:networking.istio.io/v1:VirtualService": 3,
  // Per instance a DestinationRule (subsets, resilience) and a mesh VirtualService (routes).
  "pingpong:traffic:Traffic": 2,
  "kubernetes:networking.istio.io/v1:DestinationRule": 2,
  // Root CA and server certificate.
  "pingpong:tls:Certificates": 1,
  "tls:index/privateKey:PrivateKey": 2,
  "tls:index/selfSignedCert:SelfSignedCert": 1,
  "tls:index/certRequest:CertRequest": 1,
  "tls:index/locallySignedCert:LocallySignedCert": 1,
  // Verification Jobs a-to-b, c-to-a, c-to-b and the toolbox.
  "pingpong:verification:Verification": 1,
  "pingpong:verification:Toolbox": 1,
  "kubernetes:batch/v1:Job": 3,
  // Mesh-wide Telemetry in every mode; with monitoring podmonitors or install, a PodMonitor per
  // instance and the Grafana dashboard ConfigMap.
  "pingpong:observability:Observability": 1,
  "kubernetes:telemetry.istio.io/v1:Telemetry": 1,
  "kubernetes:monitoring.coreos.com/v1:PodMonitor": 2,
  "kubernetes:core/v1:ConfigMap": 1,
};
/** Counts added (or, negative, taken away) by one part of the program; zero counts drop out. */
function plus(...parts: Array<Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const part of parts)
    for (const [type, n] of Object.entries(part)) total[type] = (total[type] ?? 0) + n;
  return Object.fromEntries(Object.entries(total).filter(([, n]) => n !== 0));
}
/** The egress gateway: its namespace, release and the policy naming who may leave through it. */
const EGRESS_GATEWAY = {
  "pingpong:mesh:Egress": 1,
  [T.namespace]: 1,
  [T.release]: 1,
  [T.authorizationPolicy]: 1,
};
/** With hosts listed: the gateway's servers and subsets, and per host its entry and routes. */
const egressHosts = (hosts: number) => ({
  [T.gateway]: 1,
  [T.destinationRule]: 1,
  [T.serviceEntry]: hosts,
  [T.virtualService]: hosts,
});
/** A local rate limit per pingpong namespace, and at the ingress gateway when it is the edge. */
const rateLimits = (filters: number) => ({ "pingpong:traffic:LocalRateLimit": 1, [T.envoyFilter]: filters });
/** Jaeger in a namespace of its own. */
const JAEGER = { "pingpong:tracing:Jaeger": 1, [T.namespace]: 1, [T.release]: 1 };
/** Kiali and the key that signs its logins. */
const KIALI = {
  "pingpong:observability:Kiali": 1,
  [T.release]: 1,
  "random:index/randomPassword:RandomPassword": 1,
};
/**
 * Canary analysis of one instance: the controller in its own namespace; the template and the
 * acceptance probe's account; a Rollout and the canary's Service in place of the instance's Deployment.
 */
const DELIVERY = {
  "pingpong:delivery:ArgoRollouts": 1,
  "pingpong:delivery:CanaryAnalysis": 1,
  [T.namespace]: 1,
  [T.release]: 1,
  [T.analysisTemplate]: 1,
  [T.serviceAccount]: 1,
  [T.rollout]: 1,
  [T.deployment]: -1,
  [T.service]: 1,
  // Where the acceptance probe may send.
  [T.networkPolicy]: 1,
};
const EXPECTED_TYPES: Record<Env, Record<string, number>> = {
  dev: plus(
    BASE_TYPES,
    // monitoring=install: the monitoring namespace and kube-prometheus-stack beside Istio's four releases.
    { [T.namespace]: 1, [T.release]: 1 },
    EGRESS_GATEWAY,
    egressHosts(1),
    rateLimits(3),
    JAEGER,
    KIALI,
    DELIVERY,
    // Verification of the add-ons: a-to-egress-0 (internetAccess) and a-to-b-burst, each with its policy.
    { [T.job]: 2, [T.networkPolicy]: 2 },
  ),
  prod: plus(
    BASE_TYPES,
    {
      [T.hpa]: 2,
      [T.pdb]: 2,
      // meshWideMtls: a PeerAuthentication in istio-system too.
      [T.peerAuthentication]: 1,
      // pluginCa: the intermediate CA (key, CSR, certificate) and the cacerts Secret.
      "tls:index/privateKey:PrivateKey": 1,
      "tls:index/certRequest:CertRequest": 1,
      "tls:index/locallySignedCert:LocallySignedCert": 1,
      [T.secret]: 1,
    },
    // No hosts listed: the gateway and its allow-nothing policy only.
    EGRESS_GATEWAY,
    rateLimits(3),
    // Verification of the add-ons: a-to-unlisted (REGISTRY_ONLY) and a-to-b-burst, each with its policy.
    { [T.job]: 2, [T.networkPolicy]: 2 },
  ),
};

function typeCounts(run: ProgramRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of run.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

describe.each(ENVS)("the %s graph", (env) => {
  const run = () => runs[env];
  const s = () => settings[env];

  test("declares exactly the expected resources", () => {
    expect(typeCounts(run())).toEqual(EXPECTED_TYPES[env]);
  });

  test("every Kubernetes object goes through the explicit provider, which has the stack's context", () => {
    const providers = ofType(run(), T.provider);
    expect(providers).toHaveLength(1);
    const provider = providers[0];
    const { context, kubeconfig } = provider.inputs as { context?: unknown; kubeconfig?: unknown };
    expect({ context, kubeconfig }).toEqual({
      context: s().cluster.context,
      kubeconfig: s().cluster.kubeconfig,
    });
    // The stack file names it, or (dev) the environment's default: the kind cluster npm run up creates.
    expect(context).toBe(
      stackConfig(env)["pingpong:kubeContext"] ?? (env === "dev" ? "kind-pingpong" : undefined),
    );
    expect(context).toBeDefined();

    const objects = run().resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(0);
    for (const r of objects) {
      // A provider reference is `<provider URN>::<provider id>`.
      const ref = must(r.provider, `provider of ${r.name}`);
      const cut = ref.lastIndexOf("::");
      const [urn, id] = [ref.slice(0, cut), ref.slice(cut + 2)];
      const parts = urn.split("::");
      expect({
        resource: r.name,
        id,
        stack: parts[0],
        project: parts[1],
        type: parts[2].split("$").pop(),
        name: parts[3],
      }).toEqual({
        resource: r.name,
        id: provider.id,
        stack: `urn:pulumi:${env}`,
        project: "pingpong",
        type: T.provider,
        name: provider.name,
      });
    }
  });

  test("namespaces: a and b injected, c never; restricted Pod Security; part of pingpong", () => {
    const { a, b, c } = s().namespaces;
    const injection: Record<string, string> = { [a]: "enabled", [b]: "enabled", [c]: "disabled" };
    const all = ofType(run(), T.namespace).map((r) => as<INamespace>(r));
    // Besides the pingpong namespaces, only those the program installs charts into, each created
    // before its releases: Istio's (its control plane, the ingress and egress gateways) and, where
    // their add-ons are on, the monitoring, tracing and Argo Rollouts namespaces.
    const released = [...new Set(ofType(run(), T.release).map(releaseNamespace))];
    for (const r of ofType(run(), T.release)) {
      const ns = ofType(run(), T.namespace).find((n) => nameOf(n) === releaseNamespace(r));
      expect({ release: r.name, after: r.dependsOn }).toEqual({
        release: r.name,
        after: expect.arrayContaining([ns?.name]),
      });
    }
    expect(all.map((n) => n.metadata?.name).sort()).toEqual([...Object.keys(injection), ...released].sort());
    const monitoring = s().observability.monitoring === "install" ? [s().namespaces.monitoring] : [];
    expect(s().observability.monitoring).toBe(env === "dev" ? "install" : "podmonitors");
    const tracing = s().observability.tracing;
    expect(released).toEqual(
      expect.arrayContaining([
        "istio-system",
        s().namespaces.gateway,
        ...monitoring,
        ...(tracing.backend === "jaeger" ? [tracing.namespace] : []),
        ...(s().egress.gateway ? [s().egress.gateway!.namespace] : []),
      ]),
    );
    const namespaces = all.filter((n) => (n.metadata?.name ?? "") in injection);
    expect(namespaces).toHaveLength(3);
    for (const n of namespaces) {
      const name = must(n.metadata?.name, "namespace name");
      expect({ name, labels: n.metadata?.labels }).toEqual({
        name,
        labels: expect.objectContaining({
          "istio-injection": injection[name],
          "pod-security.kubernetes.io/enforce": "restricted",
          "app.kubernetes.io/part-of": "pingpong",
        }) as unknown,
      });
    }
  });

  test("every Kubernetes object is labelled part of pingpong and managed by pulumi", () => {
    // Helm releases are no API object of their own: they have no metadata to label.
    const objects = run().resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== T.release);
    expect(objects.length).toBeGreaterThan(0);
    for (const r of objects) {
      const labels = (r.inputs as { metadata?: { labels?: Labels } }).metadata?.labels ?? {};
      expect({
        resource: r.name,
        partOf: labels["app.kubernetes.io/part-of"],
        managedBy: labels["app.kubernetes.io/managed-by"],
      }).toEqual({
        resource: r.name,
        partOf: "pingpong",
        managedBy: "pulumi",
      });
    }
  });
});
