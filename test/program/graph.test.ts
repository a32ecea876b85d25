import { existsSync } from "node:fs";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type {
  INetworkPolicy,
  INetworkPolicyPeer,
  INetworkPolicyPort,
} from "kubernetes-models/networking.k8s.io/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IRole, IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import type { IContainer, INamespace, IProbe, IService, IServiceAccount } from "kubernetes-models/v1";
import { parseSettings, type Settings } from "../../stacks/settings";
import {
  kubernetesKind,
  oneIn,
  ofType,
  runProgram,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { PROJECT_ROOT, stackConfig } from "../support/stack-files";

const T = {
  image: "docker:index/image:Image",
  provider: "pulumi:providers:kubernetes",
  namespace: "kubernetes:core/v1:Namespace",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  service: "kubernetes:core/v1:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  release: "kubernetes:helm.sh/v3:Release",
} as const;

const NS = { a: "pingpong-a", b: "pingpong-b", c: "pingpong-c" } as const;
const MONITORING = "monitoring";
/** Each instance and the one it pings. */
const SIDES = [
  { key: "a", namespace: NS.a, peer: NS.b },
  { key: "b", namespace: NS.b, peer: NS.a },
] as const;

type Labels = Record<string, string>;
interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A resource's inputs, typed as the upstream model of its kind. */
const as = <T>(r: Recorded): T => r.inputs as T;

function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`missing ${what}`);
  return value;
}

/** Whether a label selector selects an object with these labels (empty selector: everything). */
function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (selector === undefined) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case "In":
        return has && (e.values ?? []).includes(labels[e.key]);
      case "NotIn":
        return !has || !(e.values ?? []).includes(labels[e.key]);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabels && byExpressions;
}

/** A pod somewhere in the cluster, as a NetworkPolicy sees it. */
interface Pod {
  namespace: string;
  labels: Labels;
  /** Named container ports, to resolve named NetworkPolicy ports. */
  ports?: Record<string, number>;
}

function deploymentOf(run: ProgramRun, namespace: string): IDeployment {
  return as<IDeployment>(oneIn(run, T.deployment, namespace));
}
function containerOf(d: IDeployment): IContainer {
  const containers = must(d.spec?.template.spec?.containers, "containers");
  expect(containers).toHaveLength(1);
  return containers[0];
}
function templateLabels(d: IDeployment): Labels {
  return must(d.spec?.template.metadata?.labels, "pod template labels");
}
function envOf(c: IContainer): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
}
function namedPorts(c: IContainer): Record<string, number> {
  return Object.fromEntries(
    (c.ports ?? []).map((p) => [must(p.name, "container port name"), p.containerPort]),
  );
}

/**
 * NetworkPolicy semantics for one direction: whether `rules` let traffic between the policy's pods
 * and `other` on `port`/`protocol`. `namespaceLabels` are the labels namespaces have on the cluster.
 */
function admits(
  rules: Array<{ peers?: INetworkPolicyPeer[]; ports?: INetworkPolicyPort[] }>,
  policyNamespace: string,
  other: Pod,
  port: number,
  protocol: "TCP" | "UDP",
  portNames: Record<string, number>,
  namespaceLabels: (ns: string) => Labels,
): boolean {
  const peerMatches = (p: INetworkPolicyPeer): boolean => {
    if (p.ipBlock) return false;
    const nsOk = p.namespaceSelector
      ? selects(p.namespaceSelector, namespaceLabels(other.namespace))
      : other.namespace === policyNamespace;
    const podOk = p.podSelector ? selects(p.podSelector, other.labels) : true;
    return nsOk && podOk;
  };
  const portMatches = (p: INetworkPolicyPort): boolean => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    const from = typeof p.port === "number" ? p.port : portNames[p.port];
    if (from === undefined) return false;
    return port >= from && port <= (p.endPort ?? from);
  };
  // An empty or missing peer list admits every peer; an empty or missing port list every port.
  return rules.some((r) => {
    const peerOk = r.peers === undefined || r.peers.length === 0 || r.peers.some(peerMatches);
    const portOk = r.ports === undefined || r.ports.length === 0 || r.ports.some(portMatches);
    return peerOk && portOk;
  });
}

const ENVS = ["dev", "prod"] as const;
type Env = (typeof ENVS)[number];
const runs = {} as Record<Env, ProgramRun>;
const settings = {} as Record<Env, Settings>;
let noPolicyRun: ProgramRun;

beforeAll(async () => {
  for (const env of ENVS) {
    settings[env] = parseSettings(stackConfig(env), env);
    runs[env] = await runProgram(env, stackConfig(env));
  }
  noPolicyRun = await runProgram("dev", { ...stackConfig("dev"), "pingpong:networkPolicy": "false" });
}, 60_000);

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
  [T.networkPolicy]: 2,
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
const EXPECTED_TYPES: Record<Env, Record<string, number>> = {
  dev: {
    ...BASE_TYPES,
    // monitoring=install: the monitoring namespace and kube-prometheus-stack beside Istio's four releases.
    [T.namespace]: 6,
    [T.release]: 5,
  },
  prod: {
    ...BASE_TYPES,
    [T.hpa]: 2,
    [T.pdb]: 2,
    // meshWideMtls: a PeerAuthentication in istio-system too.
    "kubernetes:security.istio.io/v1:PeerAuthentication": 3,
    // pluginCa: the intermediate CA (key, CSR, certificate) and the cacerts Secret.
    "tls:index/privateKey:PrivateKey": 3,
    "tls:index/certRequest:CertRequest": 2,
    "tls:index/locallySignedCert:LocallySignedCert": 2,
    "kubernetes:core/v1:Secret": 2,
  },
};

function typeCounts(run: ProgramRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of run.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

describe.each(ENVS)("the %s graph", (env) => {
  const run = () => runs[env];
  const namespaceLabels = (ns: string): Labels => {
    const declared = ofType(run(), T.namespace).find((r) => as<INamespace>(r).metadata?.name === ns);
    return {
      ...(declared ? as<INamespace>(declared).metadata?.labels : {}),
      "kubernetes.io/metadata.name": ns,
    };
  };

  test("declares exactly the expected resources", () => {
    expect(typeCounts(run())).toEqual(EXPECTED_TYPES[env]);
  });

  test("every Kubernetes object goes through the explicit provider, which has the stack's context", () => {
    const providers = ofType(run(), T.provider);
    expect(providers).toHaveLength(1);
    const provider = providers[0];
    const { context, kubeconfig } = provider.inputs as { context?: unknown; kubeconfig?: unknown };
    expect({ context, kubeconfig }).toEqual({
      context: settings[env].cluster.context,
      kubeconfig: settings[env].cluster.kubeconfig,
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
    const injection: Record<string, string> = { [NS.a]: "enabled", [NS.b]: "enabled", [NS.c]: "disabled" };
    const all = ofType(run(), T.namespace).map((r) => as<INamespace>(r));
    // Besides the pingpong namespaces, only Istio's (its control plane and the ingress gateway's)
    // and, where kube-prometheus-stack is installed (dev), the monitoring namespace.
    const monitoring =
      settings[env].observability.monitoring === "install" ? [settings[env].namespaces.monitoring] : [];
    expect(settings[env].observability.monitoring).toBe(env === "dev" ? "install" : "podmonitors");
    expect(all.map((n) => n.metadata?.name).sort()).toEqual(
      [...Object.keys(injection), "istio-system", settings[env].namespaces.gateway, ...monitoring].sort(),
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

  describe.each(SIDES)("instance $key", ({ namespace, peer }) => {
    test("TARGET resolves to the peer's Service, a port of it that reaches the peer's http container port, /ping", () => {
      const target = must(envOf(containerOf(deploymentOf(run(), namespace))).TARGET, "TARGET");
      const url = new URL(target);
      const peerService = as<IService>(oneIn(run(), T.service, peer));
      const peerContainer = containerOf(deploymentOf(run(), peer));

      expect(url.protocol).toBe("http:");
      expect(url.hostname).toBe(
        `${peerService.metadata?.name}.${peerService.metadata?.namespace}.svc.cluster.local`,
      );
      expect(peerService.metadata?.namespace).toBe(peer);
      const port = Number(url.port || 80);
      const servicePort = must(
        peerService.spec?.ports?.find((p) => p.port === port),
        `port ${port} on the Service in ${peer}`,
      );
      const targetPort = servicePort.targetPort ?? servicePort.port;
      const containerPort = must(
        (peerContainer.ports ?? []).find((p) =>
          typeof targetPort === "string" ? p.name === targetPort : p.containerPort === targetPort,
        ),
        `container port ${String(targetPort)} in ${peer}`,
      );
      expect(containerPort.name).toBe("http");
      expect(Number(envOf(peerContainer).PORT)).toBe(containerPort.containerPort);
      expect(url.pathname).toBe("/ping");
      expect(url.search).toBe("");
    });

    test("Service and Deployment selectors select the pod template", () => {
      const d = deploymentOf(run(), namespace);
      const labels = templateLabels(d);
      const selector = must(
        as<IService>(oneIn(run(), T.service, namespace)).spec?.selector,
        "Service selector",
      );
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      expect(labels).toEqual(expect.objectContaining(selector));
      const deploymentSelector = must(d.spec?.selector.matchLabels, "Deployment selector");
      expect(Object.keys(deploymentSelector).length).toBeGreaterThan(0);
      expect(labels).toEqual(expect.objectContaining(deploymentSelector));
      expect(d.spec?.selector.matchExpressions).toBeUndefined();
    });

    test("Service ports http and http-metrics, with appProtocol, reach named container ports", () => {
      const service = as<IService>(oneIn(run(), T.service, namespace));
      const ports = namedPorts(containerOf(deploymentOf(run(), namespace)));
      expect(service.spec?.type ?? "ClusterIP").toBe("ClusterIP");
      const servicePorts = must(service.spec?.ports, "Service ports");
      expect(servicePorts.map((p) => p.name).sort()).toEqual(["http", "http-metrics"]);
      for (const p of servicePorts) {
        expect({ name: p.name, appProtocol: p.appProtocol, protocol: p.protocol ?? "TCP" }).toEqual({
          name: p.name,
          appProtocol: "http",
          protocol: "TCP",
        });
        const target = p.targetPort ?? p.port;
        expect(typeof target === "string" ? ports[target] : target).toBe(p.port);
      }
    });

    test("the app listens where the container ports and the scrape annotation say", () => {
      const d = deploymentOf(run(), namespace);
      const c = containerOf(d);
      const env = envOf(c);
      const ports = namedPorts(c);
      expect(Number(env.PORT)).toBe(ports.http);
      expect(Number(env.METRICS_PORT)).toBe(ports["http-metrics"]);
      expect(d.spec?.template.metadata?.annotations?.["prometheus.io/port"]).toBe(
        String(ports["http-metrics"]),
      );
    });

    test("probes: /readyz for readiness, /healthz for liveness and startup, never /ping, on a named container port", () => {
      const c = containerOf(deploymentOf(run(), namespace));
      const ports = namedPorts(c);
      const probes: Record<string, IProbe | undefined> = {
        startup: c.startupProbe,
        readiness: c.readinessProbe,
        liveness: c.livenessProbe,
      };
      for (const [kind, probe] of Object.entries(probes)) {
        const get = must(probe?.httpGet, `${kind} probe httpGet`);
        expect({ kind, path: get.path }).toEqual({
          kind,
          path: expect.stringMatching(/^\/(healthz|readyz)$/) as unknown,
        });
        expect(get.path).not.toBe("/ping");
        const port = get.port;
        expect({ kind, port: typeof port === "string" && port in ports }).toEqual({ kind, port: true });
      }
      expect(c.readinessProbe?.httpGet?.path).toBe("/readyz");
      expect(c.livenessProbe?.httpGet?.path).toBe("/healthz");
    });

    test("requests and limits for CPU and memory (the autoscaler's utilisation is relative to the request)", () => {
      const c = containerOf(deploymentOf(run(), namespace));
      const r = settings[env].workload.resources;
      expect(c.resources).toEqual({
        requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
      });
    });

    test("restricted security context for the pod and the container", () => {
      const pod = must(deploymentOf(run(), namespace).spec?.template.spec, "pod spec");
      const c = containerOf(deploymentOf(run(), namespace));
      const psc = must(pod.securityContext, "pod securityContext");
      const csc = must(c.securityContext, "container securityContext");
      expect(psc.runAsNonRoot).toBe(true);
      expect(psc.runAsUser).toEqual(expect.any(Number));
      expect(psc.runAsUser).toBeGreaterThan(0);
      expect(psc.seccompProfile?.type).toBe("RuntimeDefault");

      expect(csc.runAsNonRoot ?? psc.runAsNonRoot).toBe(true);
      expect(csc.runAsUser ?? psc.runAsUser).toBeGreaterThan(0);
      expect(csc.allowPrivilegeEscalation).toBe(false);
      expect(csc.readOnlyRootFilesystem).toBe(true);
      expect(csc.privileged ?? false).toBe(false);
      expect(csc.capabilities?.drop).toEqual(["ALL"]);
      expect(csc.capabilities?.add ?? []).toEqual([]);
      expect((csc.seccompProfile ?? psc.seccompProfile)?.type).toBe("RuntimeDefault");

      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      expect(pod.hostIPC ?? false).toBe(false);
      expect((pod.volumes ?? []).filter((v) => v.hostPath !== undefined)).toEqual([]);
    });

    test("the pod runs as the namespace's own ServiceAccount, with no API token mounted", () => {
      const account = as<IServiceAccount>(oneIn(run(), T.serviceAccount, namespace));
      const pod = must(deploymentOf(run(), namespace).spec?.template.spec, "pod spec");
      expect(account.automountServiceAccountToken).toBe(false);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe(must(account.metadata?.name, "ServiceAccount name"));
    });

    test("the image is the built one, pinned by digest", () => {
      const c = containerOf(deploymentOf(run(), namespace));
      expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(c.image).toBe(run().outputs.imageRef);
    });

    test("rollout: never below the desired count, a grace period covering the app's shutdown", () => {
      const d = deploymentOf(run(), namespace);
      const w = settings[env].workload;
      expect(d.spec?.strategy?.type).toBe("RollingUpdate");
      expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
      // With nothing unavailable, a rollout only progresses by surging.
      expect(d.spec?.strategy?.rollingUpdate?.maxSurge).toBeGreaterThanOrEqual(1);

      const appEnv = envOf(containerOf(d));
      const shutdownMs = Number(appEnv.SHUTDOWN_TIMEOUT_MS);
      const drainMs = Number(appEnv.DRAIN_DELAY_MS);
      expect(shutdownMs).toBe(w.shutdownTimeoutSeconds * 1000);
      expect(drainMs).toBe(w.drainDelaySeconds * 1000);
      expect(drainMs).toBeLessThan(shutdownMs);
      expect(d.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThan(shutdownMs / 1000);
      expect(appEnv.LOG_LEVEL).toBe(w.logLevel);
      expect(Number(appEnv.TICK_MS)).toBe(w.tickMs);
      expect(Number(appEnv.PING_TIMEOUT_MS)).toBe(w.pingTimeoutMs);
    });

    test("replicas: the Deployment's own in dev, the autoscaler's in prod, with a budget below its minimum", () => {
      const d = deploymentOf(run(), namespace);
      const hpas = ofType(run(), T.hpa).filter(
        (r) => as<IHorizontalPodAutoscaler>(r).metadata?.namespace === namespace,
      );
      const pdbs = ofType(run(), T.pdb).filter(
        (r) => as<IPodDisruptionBudget>(r).metadata?.namespace === namespace,
      );
      if (env === "dev") {
        expect(d.spec?.replicas).toBe(1);
        expect(hpas).toEqual([]);
        expect(pdbs).toEqual([]);
        return;
      }
      expect(d.spec).not.toHaveProperty("replicas");
      expect(hpas).toHaveLength(1);
      const hpa = must(as<IHorizontalPodAutoscaler>(hpas[0]).spec, "HPA spec");
      expect(hpa.minReplicas).toBe(3);
      expect(hpa.maxReplicas).toBe(10);
      expect(hpa.scaleTargetRef).toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: d.metadata?.name,
      });
      expect(hpa.metrics).toEqual([
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: {
              type: "Utilization",
              averageUtilization: settings[env].workload.autoscaling?.cpuUtilization,
            },
          },
        },
      ]);

      expect(pdbs).toHaveLength(1);
      const pdb = must(as<IPodDisruptionBudget>(pdbs[0]).spec, "PDB spec");
      expect(pdb.maxUnavailable).toBeUndefined();
      expect(typeof pdb.minAvailable).toBe("number");
      expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
      expect(pdb.minAvailable).toBeLessThan(must(hpa.minReplicas, "minReplicas"));
      const selector = must(pdb.selector, "PDB selector");
      expect(Object.keys(selector.matchLabels ?? {}).length).toBeGreaterThan(0);
      expect(selects(selector, templateLabels(d))).toBe(true);
    });

    test("NetworkPolicy: selected pods only take the peer, pingpong-c and the monitoring namespace, and reach DNS, istiod and the peer", () => {
      const policy = as<INetworkPolicy>(oneIn(run(), T.networkPolicy, namespace)).spec;
      const spec = must(policy, "NetworkPolicy spec");
      const self = deploymentOf(run(), namespace);
      const peerDeployment = deploymentOf(run(), peer);
      const selfPorts = namedPorts(containerOf(self));
      const peerPorts = namedPorts(containerOf(peerDeployment));
      expect(selects(spec.podSelector, templateLabels(self))).toBe(true);
      expect([...(spec.policyTypes ?? [])].sort()).toEqual(["Egress", "Ingress"]);

      const ingress = (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
      const egress = (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
      const into = (from: Pod, port: number, protocol: "TCP" | "UDP" = "TCP") =>
        admits(ingress, namespace, from, port, protocol, selfPorts, namespaceLabels);
      const outTo = (to: Pod, port: number, protocol: "TCP" | "UDP" = "TCP") =>
        admits(egress, namespace, to, port, protocol, to.ports ?? {}, namespaceLabels);

      const peerPod: Pod = { namespace: peer, labels: templateLabels(peerDeployment), ports: peerPorts };
      const testPod: Pod = { namespace: NS.c, labels: { run: "probe" } };
      const prometheus: Pod = { namespace: MONITORING, labels: { "app.kubernetes.io/name": "prometheus" } };
      const stranger: Pod = { namespace: "default", labels: templateLabels(peerDeployment) };
      const peerNeighbour: Pod = { namespace: peer, labels: { app: "something-else" } };

      expect(into(peerPod, selfPorts.http)).toBe(true);
      expect(into(testPod, selfPorts.http)).toBe(true);
      expect(into(stranger, selfPorts.http)).toBe(false);
      expect(into(peerNeighbour, selfPorts.http)).toBe(false);
      for (const port of [selfPorts["http-metrics"], 15020, 15090]) {
        expect({ port, prometheus: into(prometheus, port), test: into(testPod, port) }).toEqual({
          port,
          prometheus: true,
          test: false,
        });
      }
      expect(into(prometheus, selfPorts.http)).toBe(false);

      const dns: Pod = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
      expect(outTo(dns, 53, "UDP")).toBe(true);
      expect(outTo(dns, 53, "TCP")).toBe(true);
      expect(outTo({ namespace: "istio-system", labels: { app: "istiod" } }, 15012)).toBe(true);
      expect(outTo(peerPod, peerPorts.http)).toBe(true);
      expect(outTo(peerPod, peerPorts["http-metrics"])).toBe(false);
      expect(outTo(stranger, 443)).toBe(false);
      expect(outTo({ namespace: "kube-system", labels: { component: "kube-apiserver" } }, 53, "UDP")).toBe(
        false,
      );
    });
  });

  test("RBAC: a read-only Role bound to the operator group in each namespace, nothing cluster-wide", () => {
    const group = settings[env].rbac.operatorGroup;
    if (env === "prod") expect(group).toBe(stackConfig("prod")["pingpong:operatorGroup"]);
    else expect(group).toBe("pingpong-operators");
    for (const ns of Object.values(NS)) {
      const role = as<IRole>(oneIn(run(), T.role, ns));
      const binding = as<IRoleBinding>(oneIn(run(), T.roleBinding, ns));
      expect(binding.roleRef).toEqual({
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: role.metadata?.name,
      });
      expect(binding.subjects).toEqual([
        { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group },
      ]);
      const rules = must(role.rules, "Role rules");
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.verbs.filter((v) => !["get", "list", "watch"].includes(v))).toEqual([]);
        expect(rule.nonResourceURLs).toBeUndefined();
        const resources = rule.resources ?? [];
        expect(resources.length).toBeGreaterThan(0);
        expect(
          resources.filter((r) => ["secrets", "pods/exec", "pods/attach", "pods/portforward"].includes(r)),
        ).toEqual([]);
        const everything = [
          ...(rule.apiGroups ?? []),
          ...resources,
          ...rule.verbs,
          ...(rule.resourceNames ?? []),
        ];
        expect(everything.filter((x) => x.includes("*"))).toEqual([]);
      }
    }
    const clusterWide = run().resources.filter((r) =>
      /^(ClusterRole|ClusterRoleBinding)$/.test(kubernetesKind(r.type)?.kind ?? ""),
    );
    expect(clusterWide).toEqual([]);
  });

  test("the image: app/Dockerfile from the project root, BuildKit, pushed to the stack's registry", () => {
    const s = settings[env];
    const images = ofType(run(), T.image);
    expect(images).toHaveLength(1);
    const { build, imageName, skipPush } = images[0].inputs as {
      build: { context: string; dockerfile: string; builderVersion: string; platform?: string };
      imageName: string;
      skipPush?: boolean;
    };
    expect(build.context).toBe(".");
    expect(build.dockerfile).toBe("app/Dockerfile");
    expect(existsSync(join(PROJECT_ROOT, build.context, build.dockerfile))).toBe(true);
    expect(build.builderVersion).toBe("BuilderBuildKit");
    expect(skipPush ?? false).toBe(false);
    expect(imageName.startsWith(`${s.image.registry}/`)).toBe(true);
    expect(imageName).toBe(`${s.image.registry}/${s.image.repository}:${env}`);
    expect(build.platform).toBe(s.image.platform);
    if (env === "prod") expect(build.platform).toBe("linux/amd64");
    if (env === "dev") expect(s.image.registry).toBe("localhost:5001");
  });

  test("stack outputs: namespaces, Service hosts, ping URLs and the image reference", () => {
    const { outputs } = run();
    const s = settings[env];
    expect(outputs.environment).toBe(env);
    expect(outputs.namespaces).toEqual(NS);
    expect(outputs.serviceHosts).toEqual({
      a: "pingpong.pingpong-a.svc.cluster.local",
      b: "pingpong.pingpong-b.svc.cluster.local",
    });
    expect(outputs.pingUrls).toEqual({
      a: "http://pingpong.pingpong-a.svc.cluster.local:8080/ping",
      b: "http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
    });
    expect(outputs.imageRef).toEqual(expect.stringMatching(/@sha256:[0-9a-f]{64}$/));
    expect(String(outputs.imageRef).startsWith(`${s.image.registry}/${s.image.repository}@sha256:`)).toBe(
      true,
    );
    // Each instance pings exactly the URL the other one is published under.
    const urls = outputs.pingUrls as Record<string, string>;
    for (const { key, namespace } of SIDES) {
      const other = key === "a" ? "b" : "a";
      expect(envOf(containerOf(deploymentOf(run(), namespace))).TARGET).toBe(urls[other]);
    }
  });
});

describe("networkPolicy=false", () => {
  test("declares no NetworkPolicy and everything else unchanged", () => {
    expect(ofType(noPolicyRun, T.networkPolicy)).toEqual([]);
    const { [T.networkPolicy]: policies, ...rest } = EXPECTED_TYPES.dev;
    expect(policies).toBe(2);
    expect(typeCounts(noPolicyRun)).toEqual(rest);
  });
});
