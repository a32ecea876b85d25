import Ajv from "ajv";
import addFormats from "ajv-formats";
import * as pulumi from "@pulumi/pulumi";
import { Egress, type EgressArgs } from "../../components/egress";
import { hostKey } from "../../components/egress-hosts";
import {
  chartDefaults,
  chartFile,
  chartVersions,
  deepMerge,
  unknownChartValuePaths,
} from "../support/charts";
import {
  kubernetesKind,
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { describeWithReference, readReferenceJson } from "../support/reference";
import { T } from "../support/tokens";

/**
 * The Egress component alone: the `gateway` chart as an egress gateway, and per external host the
 * route from the sidecars over Istio mutual TLS to the gateway and on to the host, behind a policy
 * at the gateway naming who may go where.
 */

const CRS = [T.serviceEntry, T.gateway, T.virtualService, T.destinationRule, T.authorizationPolicy];
type Json = Recorded["inputs"];
type Named = { namespace: string; serviceAccount: string };

const CALLERS: Named[] = [
  { namespace: "team-a", serviceAccount: "pinger" },
  { namespace: "team-b", serviceAccount: "ponger" },
];
const ARGS: Omit<EgressArgs, "controlPlane"> = {
  istioVersion: "1.31.1",
  namespace: "egress",
  hosts: ["api.example.com", "downloads.example.org"],
  allowed: CALLERS,
  trustDomain: "mesh.example",
  replicas: { min: 2, max: 4 },
};

/** Stands in for Istio's releases: everything here must wait for them. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

const render = (args: Partial<EgressArgs> = {}): Promise<ProgramRun> =>
  runComponent(() => {
    const egress = new Egress("egress", { ...ARGS, controlPlane: [new ControlPlane("istiod")], ...args });
    const { gatewayHost, namespace, podLabels, port, hosts } = egress;
    return { gatewayHost, namespace, podLabels, port, hosts };
  });
const one = (run: ProgramRun, type: string): Recorded => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
/** Istio's spelling of a workload identity in AuthorizationPolicy `principals`. */
const principalOf = (trustDomain: string, id: Named) =>
  `${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;

/**
 * The gateway chart's names, as its helpers compute them from the release (istio/istio 1.31.0-rc.0
 * manifests/charts/gateway/templates/_helpers.tpl): `gateway.name` is `.Values.name` or the release
 * name; `gateway.selectorLabels` are `app: <labels.app or name>`, `istio: <labels.istio or name
 * without "istio-">`. The Deployment's pods and the Service's selector carry exactly these.
 */
function chartNames(release: Json): { service: string; podLabels: Record<string, string> } {
  const name: string = release.values?.name || release.name;
  const labels = release.values?.labels ?? {};
  const podLabels = { app: labels.app || name, istio: labels.istio || name.replace(/^istio-/, "") };
  return { service: `${name}.${release.namespace}.svc.cluster.local`, podLabels };
}

describe("two hosts, two callers", () => {
  let run: ProgramRun;
  let chart: { service: string; podLabels: Record<string, string> };
  beforeAll(async () => {
    run = await render();
    chart = chartNames(one(run, T.release).inputs);
  });
  const ofHost = (type: string) => (host: string) =>
    ofType(run, type).filter((r) => r.inputs.spec.hosts.includes(host));
  const [entryFor, routesFor] = [ofHost(T.serviceEntry), ofHost(T.virtualService)];

  test("the gateway chart at the Istio version, in the restricted namespace the component creates", () => {
    const release = one(run, T.release).inputs;
    expect([release.chart, release.version, release.namespace]).toEqual(["gateway", "1.31.1", "egress"]);
    expect(release.repositoryOpts.repo).toBe("https://istio-release.storage.googleapis.com/charts");
    const { metadata } = one(run, T.namespace).inputs;
    expect([metadata.name, run.outputs.namespace]).toEqual([ARGS.namespace, ARGS.namespace]);
    expect(metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(release.values.service).toEqual({ type: "ClusterIP" });
    expect(release.values.securityContext.seccompProfile.type).toBe("RuntimeDefault");
  });

  test("everything waits for the control plane; the routes also for the gateway and what they name", () => {
    expect(one(run, T.release).dependsOn).toContain("istiod");
    for (const r of CRS.flatMap((t) => ofType(run, t)))
      expect({ r: r.name, ok: r.dependsOn?.includes("istiod") }).toEqual({ r: r.name, ok: true });
    const before = [T.release, T.gateway, T.destinationRule, T.authorizationPolicy];
    const names = before.map((t) => one(run, t).name);
    for (const host of ARGS.hosts) {
      const [vs] = routesFor(host);
      expect(vs.dependsOn).toEqual(expect.arrayContaining([...names, entryFor(host)[0].name]));
    }
  });

  test("the Gateway selects the chart's pods for the release, by the chart's own rule", () => {
    const gateway = one(run, T.gateway);
    expect(namespaceOf(gateway)).toBe(ARGS.namespace);
    expect(selects({ matchLabels: gateway.inputs.spec.selector }, chart.podLabels)).toBe(true);
    expect(chart.podLabels).toEqual({ app: "istio-egressgateway", istio: "egressgateway" });
    expect(run.outputs.podLabels).toEqual(chart.podLabels);
  });

  test("every host has one ServiceEntry: resolved by DNS, outside the mesh, TLS on 443, seen by every namespace", () => {
    for (const host of ARGS.hosts) {
      expect(entryFor(host).map((e) => e.inputs.spec)).toEqual([
        {
          hosts: [host],
          ports: [{ number: 443, name: "tls", protocol: "TLS" }],
          resolution: "DNS",
          location: "MESH_EXTERNAL",
          exportTo: ["*"],
        },
      ]);
    }
  });

  test("sidecars send each host's TLS to the gateway Service, in a subset that opens Istio mutual TLS with the host as SNI", () => {
    const dr = one(run, T.destinationRule).inputs.spec;
    expect(dr.host).toBe(chart.service);
    expect(dr.exportTo).toEqual(["*"]);
    expect(namespaceOf(one(run, T.destinationRule))).toBe(one(run, T.release).inputs.namespace);
    for (const host of ARGS.hosts) {
      const vs = routesFor(host);
      expect(vs).toHaveLength(1);
      const { spec } = vs[0].inputs;
      expect(spec.exportTo).toEqual(["*"]);
      const mesh = spec.tls.filter((r: Json) => r.match.some((m: Json) => m.gateways.includes("mesh")));
      expect(mesh).toHaveLength(1);
      expect(mesh[0].match).toEqual([{ gateways: ["mesh"], port: 443, sniHosts: [host] }]);
      const [{ destination }] = mesh[0].route;
      expect(destination.host).toBe(dr.host);
      const subset = dr.subsets.find((s: Json) => s.name === destination.subset);
      expect(subset?.trafficPolicy.portLevelSettings).toEqual([
        { port: destination.port, tls: { mode: "ISTIO_MUTUAL", sni: host } },
      ]);
    }
    expect(run.outputs).toMatchObject({ gatewayHost: chart.service, port: 443, hosts: ARGS.hosts });
  });

  test("at the gateway, each host's server terminates the mutual TLS and forwards to the host its ServiceEntry declares", () => {
    const gateway = one(run, T.gateway);
    const ref = `${namespaceOf(gateway)}/${nameOf(gateway)}`;
    const servers: Json[] = gateway.inputs.spec.servers;
    expect(new Set(servers.map((s) => s.port.name)).size).toBe(servers.length);
    for (const host of ARGS.hosts) {
      const server = servers.filter((s) => s.hosts.includes(host));
      expect(server).toHaveLength(1);
      expect([server[0].hosts, server[0].port.protocol, server[0].tls]).toEqual([
        [host],
        "TLS",
        { mode: "ISTIO_MUTUAL", minProtocolVersion: "TLSV1_2" },
      ]);
      const { spec } = routesFor(host)[0].inputs;
      expect(spec.gateways.sort()).toEqual([ref, "mesh"].sort());
      expect(spec.tcp).toHaveLength(1);
      expect(spec.tcp[0].match).toEqual([{ gateways: [ref], port: server[0].port.number }]);
      const [{ destination }] = spec.tcp[0].route;
      expect(destination.host).toBe(host);
      const declared = entryFor(host)[0].inputs.spec.ports.map((p: Json) => p.number);
      expect(declared).toContain(destination.port.number);
    }
    expect(servers.flatMap((s) => s.hosts).sort()).toEqual([...ARGS.hosts].sort());
  });

  test("the gateway lets exactly the allowed identities through, to the listed hosts' SNI only", () => {
    const policy = one(run, T.authorizationPolicy);
    expect(namespaceOf(policy)).toBe(one(run, T.release).inputs.namespace);
    const { spec } = policy.inputs;
    expect(selects(spec.selector, chart.podLabels)).toBe(true);
    expect(spec.action).toBe("ALLOW");
    expect(spec.rules).toHaveLength(1);
    const principals = spec.rules[0].from.flatMap((f: Json) => f.source.principals);
    expect(principals.sort()).toEqual(CALLERS.map((c) => principalOf(ARGS.trustDomain, c)).sort());
    expect(spec.rules[0].when).toEqual([{ key: "connection.sni", values: ARGS.hosts }]);
  });
});

test("no hosts: the gateway runs behind an allow-nothing policy, and nothing routes to it", async () => {
  const run = await render({ hosts: [] });
  expect(ofType(run, T.release)).toHaveLength(1);
  for (const t of [T.serviceEntry, T.gateway, T.virtualService, T.destinationRule])
    expect(ofType(run, t)).toEqual([]);
  const { spec } = one(run, T.authorizationPolicy).inputs;
  expect(spec).toEqual({ selector: spec.selector, action: "ALLOW" });
});

test("no allowed identities: no rule at all, since an empty principals list would allow anyone", async () => {
  const { spec } = one(await render({ allowed: [] }), T.authorizationPolicy).inputs;
  expect([spec.action, spec.rules]).toEqual(["ALLOW", undefined]);
});

test("a long host gets a subset name Istio accepts (a DNS-1123 label), distinct from a similar one", () => {
  const long = `${"a".repeat(60)}.example.com`;
  for (const key of [hostKey(long), hostKey(`${"a".repeat(60)}.example.org`)])
    expect(key).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  expect(hostKey(long)).not.toBe(hostKey(`${"a".repeat(60)}.example.org`));
});

test.each([
  [{ hosts: ["*.example.com"] }, /expected a lowercase DNS name/],
  [{ hosts: ["api.example.com", "api.example.com"] }, /"api.example.com" is listed twice/],
  [{ hosts: ["a-b.example.com", "a.b-example.com"] }, /share the name a-b-example-com/],
  [{ replicas: { min: 3, max: 2 } }, /egress replicas: min 3 and max 2/],
])("refused: %j", async (args, message) => {
  await expect(render(args)).rejects.toThrow(message);
});

describeWithReference("against the gateway chart and the CRD schemas", () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const format of ["int32", "int64", "double", "float", "binary"]) ajv.addFormat(format, true);
  /** Violations of the strict schema of `type` (test/program/crd-schema.ts compiles the same files). */
  const specErrors = (type: string, spec: unknown): string[] => {
    const { apiVersion, kind } = kubernetesKind(type)!;
    const [group, version] = apiVersion.split("/");
    const file = `${kind.toLowerCase()}_${version}.json`;
    const validate = ajv.compile(readReferenceJson<object>("schemas", "crds", group, file));
    return validate({ spec }) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
  const chartSchema = (version: string) =>
    new Ajv({ strict: false, allErrors: true }).compile(
      JSON.parse(chartFile("gateway", version, "values.schema.json")),
    );
  const variants = { hosts: {}, noHosts: { hosts: [] }, fixedReplicas: { replicas: { min: 1, max: 1 } } };
  const cases = Object.entries(variants);

  test.each(cases)("%s: every custom resource's spec is valid against its CRD schema", async (_, args) => {
    const run = await render(args);
    if (args === variants.hosts) for (const t of CRS) expect(ofType(run, t).length).toBeGreaterThan(0);
    for (const r of CRS.flatMap((t) => ofType(run, t)))
      expect({ r: r.name, errors: specErrors(r.type, r.inputs.spec) }).toEqual({ r: r.name, errors: [] });
  });

  test("the schemas reject a field they do not know, so the check can fail", () => {
    expect(specErrors(T.serviceEntry, { hosts: ["a.example"], resolutionMode: "DNS" })).not.toEqual([]);
  });

  test.each(cases)("%s: every Helm value exists in the chart and passes its schema", async (_, args) => {
    const { values } = one(await render(args), T.release).inputs;
    for (const version of chartVersions("gateway")) {
      const validate = chartSchema(version);
      validate(values);
      // The chart's values.yaml, and the keys its schema takes beyond it (charts.ts, with sources).
      const unknown = unknownChartValuePaths("gateway", version, values);
      expect({ version, unknown, errors: validate.errors ?? [] }).toEqual({
        version,
        unknown: [],
        errors: [],
      });
    }
  });

  test("the replicas the args ask for, under the chart's rules; a budget only above one", async () => {
    for (const { min, max } of [ARGS.replicas, { min: 1, max: 1 }]) {
      const { values } = one(await render({ replicas: { min, max } }), T.release).inputs;
      for (const version of chartVersions("gateway")) {
        const g: Json = deepMerge(chartDefaults("gateway", version), values);
        const { enabled, minReplicas, maxReplicas } = g.autoscaling;
        expect(enabled ? [minReplicas, maxReplicas] : [g.replicaCount, g.replicaCount]).toEqual([min, max]);
        expect(Object.keys(g.podDisruptionBudget ?? {}).length > 0).toBe(min > 1);
      }
    }
  });

  test("the chart's Service carries each Gateway server's port to the same pod port", async () => {
    const run = await render();
    const { values } = one(run, T.release).inputs;
    for (const version of chartVersions("gateway")) {
      const merged: Json = deepMerge(chartDefaults("gateway", version), values);
      const ports: Json[] = merged.service.ports;
      for (const { port } of one(run, T.gateway).inputs.spec.servers)
        expect(ports.find((p) => p.port === port.number)?.targetPort).toBe(port.number);
    }
  });
});
