import { parseProbeArgs } from "../../app/src/probe";
import type { Settings } from "../../stacks/settings";
import { chartPodLabels } from "../support/chart-services";
import { injectionTemplate } from "../support/charts";
import {
  inNamespace,
  nameOf,
  namespaceOf,
  ofType,
  selects,
  type Labels,
  type ProgramRun,
} from "../support/program";
import { describeWithReference } from "../support/reference";
import { SHARED_VARIANTS, runVariants, type Variant } from "../support/variants";
import { T, envOf, release, type Json } from "./lookup";
import { allServices, serviceAt, serviceAtUrl } from "./links";
import {
  appPods,
  connects,
  egressAllowed,
  ingressAllowed,
  isolated,
  policiesSelecting,
  serviceNamespaceOf,
  type Peer,
  type Pod,
} from "./netpol";
import { podLabelSets, servedPort } from "./workloads";

/**
 * Egress of every pod the stack runs in pingpong-a, -b and -c, evaluated as the cluster would. Each
 * namespace denies it by default; each pod gets back what its work takes it to; and the egress
 * check's pod can leave only through the egress gateway, so that an answer from a listed host proves
 * that the gateway carried it (Istio cannot force egress through the gateway; only these can). The
 * instances' own policies: network-policy.test.ts; the plan's choices: test/stacks/plan-network.test.ts.
 */

const VARIANTS = {
  dev: SHARED_VARIANTS.dev,
  prod: SHARED_VARIANTS.prod,
  // prod's mesh (REGISTRY_ONLY, mesh-wide mTLS) with a listed host and its check.
  "prod-egress": { stack: "prod", config: { egressHosts: "example.com", internetAccess: true } },
} satisfies Record<string, Variant>;
type Name = keyof typeof VARIANTS;
const NAMES = Object.keys(VARIANTS) as Name[];
const runs = {} as Record<Name, ProgramRun>;
const settings = {} as Record<Name, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

/** One pod the program has run, whoever creates it, and what it runs. */
interface RunPod {
  id: string;
  pod: Pod;
  /** Whether istiod injects a sidecar: the namespace asks for it and the pod does not refuse. */
  sidecar: boolean;
  /** The pingpong app's TARGET, or a probe's --url. */
  calls?: string;
  serviceAccount?: string;
}

const instanceNamespaces = (s: Settings) => [s.namespaces.a, s.namespaces.b, s.namespaces.c];

/**
 * Every pod template the program declares in the three namespaces: Deployments, the Rollout (in
 * each role), Jobs, and the Job an AnalysisTemplate has Argo Rollouts run.
 */
function podsOf(run: ProgramRun, s: Settings): RunPod[] {
  const injected = (ns: string) =>
    ofType(run, T.namespace).find((n) => nameOf(n) === ns)?.inputs.metadata.labels["istio-injection"] ===
    "enabled";
  const calls = (template: Json): string | undefined => {
    const [c] = template.spec.containers as Json[];
    const target = envOf(c).TARGET;
    return target ?? (c.args ? String(parseProbeArgs((c.args as string[]).slice(1)).url) : undefined);
  };
  const make = (
    id: string,
    namespace: string,
    template: Json,
    labels: Labels = template.metadata.labels,
  ) => ({
    id,
    pod: { namespace, labels },
    sidecar: injected(namespace) && labels["sidecar.istio.io/inject"] !== "false",
    calls: calls(template),
    serviceAccount: template.spec.serviceAccountName,
  });
  const pods: RunPod[] = [];
  for (const ns of instanceNamespaces(s)) {
    for (const r of [...inNamespace(run, T.deployment, ns), ...inNamespace(run, T.job, ns)])
      pods.push(make(`${ns}/${r.name}`, ns, r.inputs.spec.template));
    for (const r of inNamespace(run, T.rollout, ns))
      podLabelSets(r).forEach((labels, i) =>
        pods.push(make(`${ns}/${r.name}#${i}`, ns, r.inputs.spec.template, labels)),
      );
    for (const r of inNamespace(run, T.analysisTemplate, ns))
      for (const m of r.inputs.spec.metrics as Json[])
        if (m.provider.job) pods.push(make(`${ns}/${r.name}/${m.name}`, ns, m.provider.job.spec.template));
  }
  return pods;
}

test.each(NAMES)(
  "%s: the pods found are the instances', the toolbox's, every check's and the acceptance probe's",
  (v) => {
    const s = settings[v];
    const found = podsOf(runs[v], s);
    const ids = found.map((p) => p.id);
    expect(ids).toContain(`${s.namespaces.c}/toolbox-deployment`);
    expect(found.filter((p) => p.pod.labels.app === "pingpong").length).toBeGreaterThanOrEqual(2);
    expect(
      ofType(runs[v], T.job)
        .map((j) => `${namespaceOf(j)}/${j.name}`)
        .every((j) => ids.includes(j)),
    ).toBe(true);
    expect(ids.some((k) => k.endsWith("/acceptance"))).toBe(v === "dev");
  },
);

describe.each(NAMES)("%s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("each of pingpong-a, -b and -c denies egress by default: a policy selects every pod and allows none", () => {
    for (const ns of instanceNamespaces(s())) {
      const defaults = inNamespace(run(), T.networkPolicy, ns).filter((p) => {
        const spec = p.inputs.spec;
        return (
          selects(spec.podSelector, {}) &&
          JSON.stringify(spec.policyTypes) === JSON.stringify(["Egress"]) &&
          (spec.egress ?? []).length === 0
        );
      });
      expect({ ns, defaults: defaults.length }).toEqual({ ns, defaults: 1 });
    }
  });

  test("every pod the stack runs there is isolated for egress, and a policy of its own gives some back", () => {
    const pods = podsOf(run(), s());
    expect(pods.length).toBeGreaterThan(5);
    for (const { id, pod } of pods) {
      const own = policiesSelecting(run(), pod, "Egress").filter((spec) => (spec.egress ?? []).length > 0);
      expect({ id, isolated: isolated(run(), pod, "Egress"), own: own.length }).toEqual({
        id,
        isolated: true,
        own: 1,
      });
    }
  });

  test("pingpong-c's probes and toolbox reach both instances' port: the mesh, not the network, refuses their plaintext", () => {
    const outside = podsOf(run(), s()).filter((p) => p.pod.namespace === s().namespaces.c);
    expect(outside.length).toBeGreaterThanOrEqual(3);
    for (const p of outside) {
      expect(p.sidecar).toBe(false);
      // A probe calls one instance's Service by its cluster host: <service>.<namespace>.svc...
      const targets = p.calls
        ? [new URL(p.calls).hostname.split(".")[1]]
        : [s().namespaces.a, s().namespaces.b];
      for (const ns of targets)
        for (const to of appPods(run(), ns))
          expect({ id: p.id, ns, connects: connects(run(), p.pod, to, servedPort(run(), ns)) }).toEqual({
            id: p.id,
            ns,
            connects: true,
          });
    }
  });
});

describeWithReference("where each pod may send", () => {
  /** The port a sidecar dials istiod on, for its certificate (CA_ADDR) as for its configuration. */
  const istiodPort = (s: Settings): number => {
    const m = /name: CA_ADDR[\s\S]*?\.svc:(\d+)/.exec(injectionTemplate(s.mesh.istioVersion));
    if (!m) throw new Error("no CA_ADDR in the injection template");
    return Number(m[1]);
  };
  /** A named destination, on one port. */
  interface Destination {
    name: string;
    peer: Peer;
    port: number;
    protocol?: "TCP" | "UDP";
  }
  /** The pods of the egress gateway release, and the pod ports the mesh's routes lead to. */
  function gatewayOf(run: ProgramRun, s: Settings) {
    if (!s.egress.gateway) return undefined;
    const { namespace } = s.egress.gateway;
    const gateway = release(run, "gateway", namespace);
    const pod: Pod = { namespace, labels: chartPodLabels(gateway.inputs) };
    const service = allServices(run).find((x) => x.createdBy === gateway.name)!;
    const routed = inNamespace(run, T.virtualService, namespace).flatMap((vs) =>
      ((vs.inputs.spec.tls ?? []) as Json[]).flatMap((r) => (r.route as Json[]).map((x) => x.destination)),
    );
    const podPort = (port: number) => {
      const p = service.ports.find((x) => x.port === port)!;
      return p.targetPort ?? p.port;
    };
    return {
      pod,
      ports: service.ports.map((p) => p.targetPort ?? p.port),
      routed: routed.map((d) => podPort(d.port.number)),
    };
  }
  /** Where the sidecars send spans (istiod's tracing provider): the collector's pods. */
  function collectorOf(run: ProgramRun): Destination | undefined {
    const providers = (release(run, "istiod").inputs.values.meshConfig.extensionProviders ?? []) as Json[];
    if (providers.length === 0) return undefined;
    const { service, port } = providers[0].opentelemetry;
    const reached = serviceAt(run, service, port);
    const chart = ofType(run, T.release).find((r) => r.name === reached?.createdBy);
    const peer: Pod = chart
      ? { namespace: reached!.namespace, labels: chartPodLabels(chart.inputs) }
      : // Not the program's: its pods are unknown to it, its namespace is the Service name's.
        { namespace: serviceNamespaceOf(service), labels: { app: "otel-collector" } };
    return { name: "collector", peer, port };
  }

  describe.each(NAMES)("%s", (v) => {
    const run = () => runs[v];
    const s = () => settings[v];
    const keyOf = (ns: string) => (ns === s().namespaces.a ? "a" : ns === s().namespaces.b ? "b" : ns);

    /** Everywhere a pod could send: what some pod needs, and what none does. */
    function destinations(): Destination[] {
      const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
      const list: Destination[] = [
        { name: "dns/udp", peer: dns, port: 53, protocol: "UDP" },
        { name: "dns/tcp", peer: dns, port: 53 },
        // istiod's pods as its chart labels them (templates/deployment.yaml).
        {
          name: "istiod",
          peer: { namespace: "istio-system", labels: { app: "istiod", istio: "pilot" } },
          port: istiodPort(s()),
        },
        {
          name: "istiod/webhooks",
          peer: { namespace: "istio-system", labels: { app: "istiod", istio: "pilot" } },
          port: 15017,
        },
        { name: "internet:443", peer: { ip: "203.0.113.10" }, port: 443 },
        { name: "internet:80", peer: { ip: "203.0.113.10" }, port: 80 },
        { name: "stranger", peer: { namespace: "default", labels: { app: "pingpong" } }, port: 8080 },
      ];
      for (const key of ["a", "b"] as const) {
        const ns = s().namespaces[key];
        const [pod] = appPods(run(), ns);
        list.push({ name: `${key}:app`, peer: pod, port: servedPort(run(), ns) });
        list.push({ name: `${key}:metrics`, peer: pod, port: pod.ports!["http-metrics"] });
      }
      const gateway = gatewayOf(run(), s());
      for (const port of gateway?.ports ?? [])
        list.push({ name: `gateway:${port}`, peer: gateway!.pod, port });
      const collector = collectorOf(run());
      if (collector) list.push(collector);
      // Addresses the probes call outside the cluster.
      for (const p of podsOf(run(), s())) {
        const url = p.calls && new URL(p.calls);
        if (url && /^[0-9.]+$/.test(url.hostname))
          list.push({
            name: `address:${url.hostname}`,
            peer: { ip: url.hostname },
            port: Number(url.port || 80),
          });
      }
      return list;
    }

    /** What a pod's work takes it to, from what it calls; its sidecar's needs besides. */
    function needs(p: RunPod): string[] {
      const gateway = gatewayOf(run(), s());
      const out = ["dns/udp", "dns/tcp"];
      const url = p.calls ? new URL(p.calls) : undefined;
      const listed = url !== undefined && (s().egress.gateway?.hosts ?? []).includes(url.hostname);
      if (listed) {
        out.push(...(gateway?.routed ?? []).map((port) => `gateway:${port}`));
      } else if (url && /^[0-9.]+$/.test(url.hostname)) {
        out.push(`address:${url.hostname}`);
      } else if (url) {
        out.push(`${keyOf(serviceAtUrl(run(), url.href)!.namespace)}:app`);
      } else {
        // The toolbox: plaintext at both instances, by hand.
        out.push("a:app", "b:app");
      }
      if (p.sidecar) {
        out.push("istiod");
        // The egress check's pod reaches nothing else: its spans are not worth a way out.
        if (!listed && collectorOf(run())) out.push("collector");
        // The pingpong pods' sidecars carry the app's egress to the listed hosts.
        if (p.pod.labels.app === "pingpong" && (s().egress.gateway?.hosts.length ?? 0) > 0)
          out.push(...(gateway?.routed ?? []).map((port) => `gateway:${port}`));
      }
      return [...new Set(out)].sort();
    }

    test("each pod reaches DNS, istiod when it has a sidecar, and what its work takes it to, nothing else", () => {
      const all = destinations();
      for (const p of podsOf(run(), s())) {
        const reaches = all
          .filter((d) => egressAllowed(run(), p.pod, d.peer, d.port, d.protocol))
          .map((d) => d.name)
          .sort();
        expect({ id: p.id, reaches }).toEqual({ id: p.id, reaches: needs(p) });
        // An instance it calls also takes it in: every pod of the instance, in every role.
        for (const key of ["a", "b"] as const) {
          if (!reaches.includes(`${key}:app`)) continue;
          const ns = s().namespaces[key];
          for (const to of appPods(run(), ns))
            expect({
              id: p.id,
              key,
              admitted: ingressAllowed(run(), to, p.pod, servedPort(run(), ns)),
            }).toEqual({
              id: p.id,
              key,
              admitted: true,
            });
        }
      }
    });

    test("an egress check's pod reaches DNS, istiod and the gateway's routed port only, as an identity the gateway lets out", () => {
      const hosts = s().egress.gateway?.hosts ?? [];
      const checks = podsOf(run(), s()).filter((p) => p.calls && hosts.includes(new URL(p.calls).hostname));
      expect(checks.length).toBe(v === "prod" ? 0 : hosts.length);
      const gateway = gatewayOf(run(), s())!;
      const policy = inNamespace(run(), T.authorizationPolicy, s().egress.gateway!.namespace)[0];
      const principals = ((policy.inputs.spec.rules ?? []) as Json[]).flatMap((r) =>
        (r.from as Json[]).flatMap((f) => f.source.principals as string[]),
      );
      for (const p of checks) {
        const reaches = destinations()
          .filter((d) => egressAllowed(run(), p.pod, d.peer, d.port, d.protocol))
          .map((d) => d.name)
          .sort();
        expect(reaches).toEqual(
          ["dns/tcp", "dns/udp", ...gateway.routed.map((port) => `gateway:${port}`), "istiod"].sort(),
        );
        // Every rule that applies names those pods: no port open to any address.
        for (const spec of policiesSelecting(run(), p.pod, "Egress"))
          for (const rule of spec.egress ?? []) {
            expect((rule.to ?? []).length).toBeGreaterThan(0);
            for (const peer of rule.to ?? []) expect(peer.ipBlock).toBeUndefined();
          }
        // In the mesh, as an identity the gateway's policy lets out: its answer is the gateway's doing.
        expect(p.sidecar).toBe(true);
        const principal = `${s().mesh.trustDomain}/ns/${p.pod.namespace}/sa/${p.serviceAccount}`;
        expect(principals).toContain(principal);
      }
    });
  });
});
