import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type {
  EnforcementLevel,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { PATHS } from "../../app/src/contract";
import { minAvailableFor } from "../../policy/availability";
import { chartName } from "../../policy/edge";
import { policies } from "../../policy/policies";
import { DEFAULT_FORBIDDEN_PROBE_PATHS, checkProbes, pathTargets } from "../../policy/pods";
import { TYPES, type CheckedResource } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { runProgram, type Recorded } from "../support/program";
import { PROJECT_ROOT, stackConfig } from "../support/stack-files";

// Resource properties are arbitrary JSON the tests edit in place.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;
type Config = Record<string, unknown>;
type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;
/** A recorded resource whose JSON properties the tests edit freely. */
type Res = CheckedResource & { props: Props };

const POLICY_DIR = join(PROJECT_ROOT, "policy");
const ENVIRONMENTS = ["dev", "staging", "prod"] as const;

function policyConfig(env: string): Record<string, Config> {
  return JSON.parse(readFileSync(join(POLICY_DIR, "config", `${env}.json`), "utf8"));
}
/** A policy's config from a config file, without its enforcement level (as getConfig returns it). */
function configOf(env: string, name: string): Config {
  const { enforcementLevel: _level, ...rest } = policyConfig(env)[name] ?? {};
  return rest;
}

function policy(name: string): AnyPolicy {
  const found = policies.find((p) => p.name === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
}

const urnOf = (type: string, name: string) => `urn:pulumi:test::pingpong::${type}::${name}`;

class NotApplicable extends Error {}

function resourceArgs(type: string, props: Props, config: Config, name = "subject"): ResourceValidationArgs {
  return {
    type,
    props,
    urn: urnOf(type, name),
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** Runs a resource policy on one resource; returns the reported messages. */
async function validate(
  name: string,
  type: string,
  props: Props,
  config: Config = {},
  resourceName = "subject",
): Promise<string[]> {
  const p = policy(name);
  if (!("validateResource" in p) || !p.validateResource) throw new Error(`${name} is not a resource policy`);
  const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
  const messages: string[] = [];
  for (const v of validations)
    await v(resourceArgs(type, props, config, resourceName), (m) => messages.push(m));
  return messages;
}

function policyResource(r: CheckedResource): PolicyResource {
  const name = r.name ?? "subject";
  return {
    type: r.type,
    props: r.props,
    urn: r.urn ?? urnOf(r.type, name),
    name,
    opts: resourceArgs(r.type, r.props, {}).opts,
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

/** Runs a stack policy on resources; returns the reported messages and URNs. */
async function validateStack(
  name: string,
  resources: CheckedResource[],
  config: Config = {},
): Promise<{ message: string; urn?: string }[]> {
  const p = policy(name);
  if (!("validateStack" in p)) throw new Error(`${name} is not a stack policy`);
  const args: StackValidationArgs = {
    resources: resources.map(policyResource),
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
  const out: { message: string; urn?: string }[] = [];
  await p.validateStack(args, (message, urn) => out.push({ message, urn }));
  return out;
}

/** Runs any policy against a whole graph, resource by resource or as a stack. */
async function validateGraph(p: AnyPolicy, resources: CheckedResource[], config: Config): Promise<string[]> {
  if ("validateStack" in p) return (await validateStack(p.name, resources, config)).map((v) => v.message);
  const messages: string[] = [];
  for (const r of resources) {
    for (const m of await validate(p.name, r.type, r.props, config, r.name)) messages.push(m);
  }
  return messages;
}

const DIGEST = `ghcr.io/acme/pingpong@sha256:${"a".repeat(64)}`;

function goodContainer(): Props {
  return {
    name: "app",
    image: DIGEST,
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
  };
}

function goodDeployment(mutate: (container: Props, pod: Props) => void = () => {}): Props {
  const container = goodContainer();
  const pod: Props = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container],
  };
  mutate(container, pod);
  return {
    metadata: { name: "app", namespace: "ns" },
    spec: { replicas: 3, template: { metadata: { labels: { app: "app" } }, spec: pod } },
  };
}

function goodJob(mutate: (container: Props, pod: Props) => void = () => {}): Props {
  const props = goodDeployment((c, p) => {
    delete c.readinessProbe;
    delete c.livenessProbe;
    p.restartPolicy = "Never";
    mutate(c, p);
  });
  delete props.spec.replicas;
  return props;
}

describe("restricted-security-context", () => {
  const name = POLICY_NAMES.securityContext;

  it("passes a restricted Deployment and Job (pod-level runAsNonRoot and seccomp)", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment())).toEqual([]);
    expect(await validate(name, TYPES.job, goodJob())).toEqual([]);
  });

  it("ignores other types", async () => {
    expect(await validate(name, TYPES.service, { spec: { type: "ClusterIP" } })).toEqual([]);
  });

  it.each<[string, (c: Props, p: Props) => void, RegExp]>([
    ["runAsNonRoot missing", (_c, p) => delete p.securityContext.runAsNonRoot, /runAsNonRoot/],
    ["container runAsNonRoot false", (c) => (c.securityContext.runAsNonRoot = false), /runAsNonRoot/],
    [
      "allowPrivilegeEscalation",
      (c) => delete c.securityContext.allowPrivilegeEscalation,
      /allowPrivilegeEscalation/,
    ],
    ["capabilities", (c) => (c.securityContext.capabilities = { drop: ["NET_RAW"] }), /capabilities/],
    ["seccomp", (_c, p) => delete p.securityContext.seccompProfile, /seccompProfile/],
    ["seccomp Unconfined", (c) => (c.securityContext.seccompProfile = { type: "Unconfined" }), /seccomp/],
    ["readOnlyRootFilesystem", (c) => (c.securityContext.readOnlyRootFilesystem = false), /readOnlyRoot/],
    ["privileged", (c) => (c.securityContext.privileged = true), /privileged/],
    [
      "an init container without a security context",
      (_c, p) => (p.initContainers = [{ name: "init", image: DIGEST }]),
      /container init \(initContainers\[0\]\)/,
    ],
  ])("fails a Deployment with %s", async (_label, mutate, expected) => {
    const messages = await validate(name, TYPES.deployment, goodDeployment(mutate));
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it("fails a Job too", async () => {
    const messages = await validate(
      name,
      TYPES.job,
      goodJob((c) => delete c.securityContext),
    );
    expect(messages.length).toBeGreaterThanOrEqual(3);
  });
});

describe("probes-required-not-on-ping", () => {
  const name = POLICY_NAMES.probes;

  it("passes a Deployment with readiness and liveness probes off /ping", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment())).toEqual([]);
  });

  it("does not ask Jobs for probes", async () => {
    expect(await validate(name, TYPES.job, goodJob())).toEqual([]);
  });

  it("fails missing probes", async () => {
    const messages = await validate(
      name,
      TYPES.deployment,
      goodDeployment((c) => {
        delete c.readinessProbe;
        delete c.livenessProbe;
      }),
    );
    expect(messages).toEqual([
      expect.stringMatching(/readinessProbe is required/),
      expect.stringMatching(/livenessProbe is required/),
    ]);
  });

  it.each(["readinessProbe", "livenessProbe", "startupProbe"])("fails a %s on /ping", async (probe) => {
    const messages = await validate(
      name,
      TYPES.deployment,
      goodDeployment((c) => (c[probe] = { httpGet: { path: "/ping?probe=1", port: "http" } })),
    );
    expect(messages).toEqual([expect.stringMatching(new RegExp(`${probe} targets /ping`))]);
  });

  it("matches the path exactly, not by prefix", () => {
    expect(pathTargets("/ping", "/ping")).toBe(true);
    expect(pathTargets("/ping/", "/ping")).toBe(true);
    expect(pathTargets("/pingz", "/ping")).toBe(false);
    expect(pathTargets("/healthz", "/ping")).toBe(false);
  });

  it("exempts configured tooling images from the probe requirement only", async () => {
    const toolbox = goodDeployment((c) => {
      c.image = "curlimages/curl:8.11.1";
      delete c.readinessProbe;
      delete c.livenessProbe;
    });
    const config = { exemptImagePrefixes: ["curlimages/curl:"] };
    expect(await validate(name, TYPES.deployment, toolbox, config)).toEqual([]);
    expect(await validate(name, TYPES.deployment, toolbox, {})).toHaveLength(2);
    toolbox.spec.template.spec.containers[0].startupProbe = { httpGet: { path: "/ping" } };
    expect(await validate(name, TYPES.deployment, toolbox, config)).toEqual([
      expect.stringMatching(/startupProbe targets \/ping/),
    ]);
  });

  it("forbids the app's counted endpoint by default, and honours configured paths", () => {
    expect(DEFAULT_FORBIDDEN_PROBE_PATHS).toEqual([PATHS.ping]);
    const props = goodDeployment();
    expect(checkProbes(TYPES.deployment, props, { forbiddenPaths: ["/readyz"] })).toHaveLength(1);
  });
});

describe("container-resources-bounded", () => {
  const name = POLICY_NAMES.resources;

  it("passes containers with cpu and memory requests and limits", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment())).toEqual([]);
    expect(await validate(name, TYPES.job, goodJob())).toEqual([]);
  });

  it("fails a Deployment container without a memory limit and a Job without resources", async () => {
    expect(
      await validate(
        name,
        TYPES.deployment,
        goodDeployment((c) => delete c.resources.limits.memory),
      ),
    ).toEqual([expect.stringMatching(/missing resources limits\.memory$/)]);
    expect(
      await validate(
        name,
        TYPES.job,
        goodJob((c) => delete c.resources),
      ),
    ).toEqual([expect.stringMatching(/requests\.cpu, requests\.memory, limits\.cpu, limits\.memory/)]);
  });
});

describe("images-pinned-by-digest", () => {
  const name = POLICY_NAMES.images;
  const config = { allowedImagePrefixes: ["curlimages/curl:"] };

  it("passes digests and allow-listed tooling", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment(), config)).toEqual([]);
    const toolbox = goodDeployment((c) => (c.image = "curlimages/curl:8.11.1"));
    expect(await validate(name, TYPES.deployment, toolbox, config)).toEqual([]);
  });

  it("fails tags, short digests and tooling that is not allow-listed", async () => {
    const tagged = goodDeployment((c) => (c.image = "ghcr.io/acme/pingpong:prod"));
    expect(await validate(name, TYPES.deployment, tagged, config)).toEqual([
      expect.stringMatching(/not pinned by digest/),
    ]);
    const short = goodJob((c) => (c.image = "ghcr.io/acme/pingpong@sha256:abc"));
    expect(await validate(name, TYPES.job, short, config)).toHaveLength(1);
    const toolbox = goodDeployment((c) => (c.image = "curlimages/curl:8.11.1"));
    expect(await validate(name, TYPES.deployment, toolbox, {})).toHaveLength(1);
  });
});

const namespace = (name: string, injection: "enabled" | "disabled"): CheckedResource => ({
  type: TYPES.namespace,
  name: `ns-${name}`,
  props: { metadata: { name, labels: { "istio-injection": injection } } },
});
const peerAuthentication = (ns: string, mode: string, name = "default"): CheckedResource => ({
  type: "kubernetes:security.istio.io/v1:PeerAuthentication",
  name: `pa-${ns}-${name}`,
  props: {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: ns },
    spec: { mtls: { mode } },
  },
});

describe("strict-mtls-in-injected-namespaces", () => {
  const name = POLICY_NAMES.mtls;

  it("passes injected namespaces with their own STRICT default, or under a mesh-wide STRICT one", async () => {
    expect(
      await validateStack(name, [
        namespace("a", "enabled"),
        peerAuthentication("a", "STRICT"),
        namespace("c", "disabled"),
      ]),
    ).toEqual([]);
    expect(
      await validateStack(name, [namespace("a", "enabled"), peerAuthentication("istio-system", "STRICT")]),
    ).toEqual([]);
  });

  it("fails an injected namespace without a STRICT policy, naming it", async () => {
    const ns = namespace("a", "enabled");
    const violations = await validateStack(name, [
      ns,
      peerAuthentication("a", "STRICT", "not-default"),
      peerAuthentication("b", "STRICT"),
    ]);
    expect(violations).toEqual([
      { message: expect.stringMatching(/namespace a/), urn: urnOf(ns.type, ns.name ?? "") },
    ]);
  });

  it("fails a PERMISSIVE namespace default even under a mesh-wide STRICT policy", async () => {
    const violations = await validateStack(name, [
      namespace("a", "enabled"),
      peerAuthentication("a", "PERMISSIVE"),
      peerAuthentication("istio-system", "STRICT"),
    ]);
    expect(violations).toEqual([{ message: expect.stringMatching(/PERMISSIVE/), urn: expect.any(String) }]);
  });

  it("reads the root namespace from config", async () => {
    const resources = [namespace("a", "enabled"), peerAuthentication("mesh-root", "STRICT")];
    expect(await validateStack(name, resources)).toHaveLength(1);
    expect(await validateStack(name, resources, { rootNamespace: "mesh-root" })).toEqual([]);
  });
});

describe("loadbalancer-only-for-ingress-gateway", () => {
  const name = POLICY_NAMES.loadBalancers;
  const release = (chart: string, values: Props) => ({ name: chart, chart, values });

  it("passes ClusterIP Services and the gateway chart's LoadBalancer", async () => {
    expect(await validate(name, TYPES.service, { spec: { type: "ClusterIP" } })).toEqual([]);
    expect(
      await validate(name, TYPES.helmRelease, release("gateway", { service: { type: "LoadBalancer" } })),
    ).toEqual([]);
    expect(
      await validate(name, TYPES.helmRelease, release("istiod", { service: { type: "ClusterIP" } })),
    ).toEqual([]);
  });

  it("fails a LoadBalancer Service and any other chart exposing one, at any depth", async () => {
    expect(await validate(name, TYPES.service, { spec: { type: "LoadBalancer" } })).toHaveLength(1);
    expect(
      await validate(
        name,
        TYPES.helmRelease,
        release("kube-prometheus-stack", { grafana: { service: { type: "LoadBalancer" } } }),
      ),
    ).toEqual([expect.stringMatching(/grafana\.service\.type=LoadBalancer/)]);
  });

  it("reads chart names from repository references", () => {
    expect(chartName("gateway")).toBe("gateway");
    expect(chartName("istio/gateway")).toBe("gateway");
    expect(chartName("oci://registry.example/charts/gateway")).toBe("gateway");
  });
});

describe("istio-gateway-tls", () => {
  const name = POLICY_NAMES.gatewayTls;
  const type = "kubernetes:networking.istio.io/v1:Gateway";
  const gateway = (minProtocolVersion: string | undefined, hosts: string[]) => ({
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    spec: {
      servers: [
        {
          port: { number: 443, name: "https", protocol: "HTTPS" },
          hosts,
          tls: { mode: "SIMPLE", credentialName: "tls", minProtocolVersion },
        },
        { port: { number: 80, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
      ],
    },
  });

  it("passes TLS 1.2+ with explicit hosts", async () => {
    expect(await validate(name, type, gateway("TLSV1_2", ["pingpong.example.com"]))).toEqual([]);
    expect(await validate(name, type, gateway("TLSV1_3", ["istio-ingress/pingpong.example.com"]))).toEqual(
      [],
    );
  });

  it("fails an HTTPS server without TLS 1.2+, and wildcard hosts in any server", async () => {
    expect(await validate(name, type, gateway(undefined, ["pingpong.example.com"]))).toEqual([
      expect.stringMatching(/minProtocolVersion/),
    ]);
    expect(await validate(name, type, gateway("TLSV1_1", ["pingpong.example.com"]))).toHaveLength(1);
    // Both the HTTPS and the HTTP server list the wildcard.
    expect(await validate(name, type, gateway("TLSV1_2", ["*.example.com"]))).toHaveLength(2);
    expect(await validate(name, type, gateway("TLSV1_2", ["*"]))).toHaveLength(2);
    expect(await validate(name, type, gateway("TLSV1_2", ["ns/*"]))).toHaveLength(2);
  });
});

describe("pdb-consistent-with-hpa", () => {
  const name = POLICY_NAMES.pdbHpa;
  const deployment = (replicas?: number): CheckedResource => ({
    type: TYPES.deployment,
    name: "deployment",
    props: {
      metadata: { name: "pingpong-v1", namespace: "a" },
      spec: { replicas, template: { metadata: { labels: { app: "pingpong", version: "v1" } } } },
    },
  });
  const hpa = (minReplicas: number): CheckedResource => ({
    type: TYPES.hpa,
    name: "hpa",
    props: {
      metadata: { name: "pingpong-v1", namespace: "a" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "pingpong-v1" },
        minReplicas,
      },
    },
  });
  const pdb = (minAvailable: number | string, pdbName = "pingpong-v1"): CheckedResource => ({
    type: TYPES.pdb,
    name: "pdb",
    props: {
      metadata: { name: pdbName, namespace: "a" },
      spec: { minAvailable, selector: { matchLabels: { app: "pingpong", version: "v1" } } },
    },
  });

  it("passes minAvailable below the HPA's minReplicas, or below the replicas without HPA", async () => {
    expect(await validateStack(name, [deployment(), hpa(3), pdb(2)])).toEqual([]);
    expect(await validateStack(name, [deployment(3), pdb(2)])).toEqual([]);
    expect(await validateStack(name, [deployment(3), pdb("50%", "other-name")])).toEqual([]);
  });

  it("fails minAvailable at or above the HPA's minReplicas", async () => {
    const violations = await validateStack(name, [deployment(), hpa(2), pdb(2)]);
    expect(violations).toEqual([
      { message: expect.stringMatching(/minReplicas 2/), urn: urnOf(TYPES.pdb, "pdb") },
    ]);
  });

  it("fails minAvailable >= replicas without HPA, matching the Deployment by selector", async () => {
    expect(await validateStack(name, [deployment(2), pdb(2, "other-name")])).toHaveLength(1);
    expect(await validateStack(name, [deployment(), pdb(1)])).toHaveLength(1);
    expect(await validateStack(name, [deployment(2), pdb("100%")])).toHaveLength(1);
  });

  it("converts percentages as the disruption controller does", () => {
    expect(minAvailableFor("50%", 3)).toBe(2);
    expect(minAvailableFor(2, 10)).toBe(2);
    expect(minAvailableFor("x", 3)).toBeUndefined();
  });
});

describe("the policy pack and its configuration", () => {
  const names = policies.map((p) => p.name);

  it("has eight uniquely named policies with descriptions", () => {
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(Object.values(POLICY_NAMES).sort());
    for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
  });

  it("names the pack and defaults every policy to mandatory", () => {
    const source = readFileSync(join(POLICY_DIR, "index.ts"), "utf8");
    expect(source).toMatch(/new PolicyPack\("pingpong-production-bar",/);
    expect(source).toMatch(/enforcementLevel: "mandatory"/);
    expect(readFileSync(join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
  });

  it("has one config file per environment", () => {
    expect(readdirSync(join(POLICY_DIR, "config")).sort()).toEqual(
      ENVIRONMENTS.map((e) => `${e}.json`).sort(),
    );
  });

  it.each(ENVIRONMENTS)("%s.json configures exactly the pack's policies with valid settings", (env) => {
    const config = policyConfig(env);
    expect(Object.keys(config).sort()).toEqual([...names].sort());
    for (const [policyName, settings] of Object.entries(config)) {
      const level = settings.enforcementLevel as EnforcementLevel;
      expect(["advisory", "mandatory", "disabled"]).toContain(level);
      const declared = Object.keys(policy(policyName).configSchema?.properties ?? {});
      for (const key of Object.keys(settings).filter((k) => k !== "enforcementLevel")) {
        expect(declared).toContain(key);
      }
    }
  });

  it.each(["staging", "prod"])("%s.json makes every rule mandatory", (env) => {
    for (const settings of Object.values(policyConfig(env)))
      expect(settings.enforcementLevel).toBe("mandatory");
  });

  it("dev.json keeps most rules advisory but never disables STRICT mTLS", () => {
    const levels = Object.values(policyConfig("dev")).map((s) => s.enforcementLevel);
    expect(levels.filter((l) => l === "advisory").length).toBeGreaterThan(levels.length / 2);
    expect(policyConfig("dev")[POLICY_NAMES.mtls].enforcementLevel).toBe("mandatory");
  });
});

describe("the program meets its own bar", () => {
  let graph: Res[];
  const toChecked = (r: Recorded): Res => ({
    type: r.type,
    name: r.name,
    urn: urnOf(r.type, r.name),
    props: r.inputs,
  });
  const copy = () => JSON.parse(JSON.stringify(graph)) as Res[];

  beforeAll(async () => {
    graph = (await runProgram("prod", stackConfig("prod"))).resources.map(toChecked);
  });

  it("registers every kind of resource the rules read", () => {
    const types = new Set(graph.map((r) => r.type));
    for (const t of [TYPES.deployment, TYPES.job, TYPES.namespace, TYPES.hpa, TYPES.pdb, TYPES.helmRelease]) {
      expect(types).toContain(t);
    }
    expect(types).toContain("kubernetes:security.istio.io/v1:PeerAuthentication");
    expect(types).toContain("kubernetes:networking.istio.io/v1:Gateway");
  });

  it.each(Object.values(POLICY_NAMES))("prod: %s reports no violation", async (name) => {
    expect(await validateGraph(policy(name), graph, configOf("prod", name))).toEqual([]);
  });

  it("catches a Deployment image pinned by tag instead of digest", async () => {
    const broken = copy();
    const deployment = broken.find(
      (r) => r.type === TYPES.deployment && r.props.metadata.name === "pingpong-v1",
    );
    if (!deployment) throw new Error("no pingpong Deployment");
    const container = deployment.props.spec.template.spec.containers[0];
    container.image = String(container.image).replace(/@sha256:[0-9a-f]{64}$/, ":prod");
    const messages = await validateGraph(
      policy(POLICY_NAMES.images),
      broken,
      configOf("prod", POLICY_NAMES.images),
    );
    expect(messages).toEqual([expect.stringMatching(/:prod" is not pinned by digest/)]);
  });

  it("catches an injected namespace whose PeerAuthentication is weakened or removed", async () => {
    const injected = graph.filter(
      (r) => r.type === TYPES.namespace && r.props.metadata.labels?.["istio-injection"] === "enabled",
    );
    expect(injected.length).toBeGreaterThan(0);
    const config = configOf("prod", POLICY_NAMES.mtls);
    const victim: string = injected[0].props.metadata.name;
    const isPeerAuth = (r: Res) => r.type.endsWith(":PeerAuthentication");

    // PERMISSIVE in one namespace overrides even a mesh-wide STRICT policy.
    const weakened = copy();
    const own = weakened.find((r) => isPeerAuth(r) && r.props.metadata.namespace === victim);
    if (!own) throw new Error(`no PeerAuthentication in ${victim}`);
    own.props.spec.mtls.mode = "PERMISSIVE";
    expect(await validateStack(POLICY_NAMES.mtls, weakened, config)).toEqual([
      { message: expect.stringContaining(`namespace ${victim}`), urn: injected[0].urn },
    ]);

    // Without any PeerAuthentication, every injected namespace is reported.
    const removed = copy().filter((r) => !isPeerAuth(r));
    const violations = await validateStack(POLICY_NAMES.mtls, removed, config);
    expect(violations.map((v) => v.urn).sort()).toEqual(injected.map((r) => r.urn).sort());
  });

  it("catches a PodDisruptionBudget as large as the autoscaler's minimum", async () => {
    const broken = copy();
    const hpa = broken.find((r) => r.type === TYPES.hpa);
    const pdb = broken.find(
      (r) => r.type === TYPES.pdb && r.props.metadata.namespace === hpa?.props.metadata.namespace,
    );
    if (!hpa || !pdb) throw new Error("prod has no HPA with a PDB");
    pdb.props.spec.minAvailable = hpa.props.spec.minReplicas;
    expect(await validateStack(POLICY_NAMES.pdbHpa, broken)).toEqual([
      { message: expect.stringMatching(/minAvailable/), urn: pdb.urn },
    ]);
  });

  it("catches the gateway's TLS floor dropped and a LoadBalancer added", async () => {
    const broken = copy();
    const gateway = broken.find((r) => r.type === "kubernetes:networking.istio.io/v1:Gateway");
    if (!gateway) throw new Error("no Gateway");
    delete gateway.props.spec.servers[0].tls.minProtocolVersion;
    expect(await validateGraph(policy(POLICY_NAMES.gatewayTls), broken, {})).toHaveLength(1);
    const service = broken.find((r) => r.type === TYPES.service);
    if (!service) throw new Error("no Service");
    service.props.spec.type = "LoadBalancer";
    expect(
      await validateGraph(
        policy(POLICY_NAMES.loadBalancers),
        broken,
        configOf("prod", POLICY_NAMES.loadBalancers),
      ),
    ).toHaveLength(1);
  });
});
