import { kubernetesKind, ofType, runProgram, type ProgramRun, type Recorded } from "../support/program";
import {
  invalidObjects,
  isKubernetesObject,
  isValidatedElsewhere,
  manifestOf,
  modelFor,
  modelModule,
  validateManifest,
  type Manifest,
} from "../support/k8s-validate";
import { stackConfig } from "../support/stack-files";

/** The stacks, and dev with each other TLS termination (Ingress objects, app TLS Secrets). */
const ENVS = ["dev", "prod", "dev-ingress", "dev-app"] as const;
type Env = (typeof ENVS)[number];
const runs = {} as Record<Env, ProgramRun>;

beforeAll(async () => {
  for (const env of ["dev", "prod"] as const) runs[env] = await runProgram(env, stackConfig(env));
  runs["dev-ingress"] = await runProgram("dev", { ...stackConfig("dev"), tlsTermination: "ingress" });
  runs["dev-app"] = await runProgram("dev", { ...stackConfig("dev"), tlsTermination: "app" });
}, 60_000);

const kinds = (run: ProgramRun) =>
  [...new Set(run.resources.filter(isKubernetesObject).map((r) => r.type))].sort();

/** A deep copy of the manifest of the first object of `type` (in `namespace` if given), to break on purpose. */
function manifestCopy(run: ProgramRun, type: string, namespace?: string): Manifest {
  const [first] = ofType(run, type).filter(
    (r) =>
      namespace === undefined ||
      (r.inputs as { metadata?: { namespace?: unknown } }).metadata?.namespace === namespace,
  );
  if (!first) throw new Error(`no ${type} in the graph`);
  return structuredClone(manifestOf(first));
}

/** Kinds validated against CRD schemas (crd-schemas.test.ts) or not API objects (Helm releases). */
const ISTIO_AND_HELM = [
  "kubernetes:helm.sh/v3:Release",
  "kubernetes:security.istio.io/v1:AuthorizationPolicy",
  "kubernetes:security.istio.io/v1:PeerAuthentication",
  // Traffic: per instance a DestinationRule and a mesh VirtualService, in every TLS mode.
  "kubernetes:networking.istio.io/v1:DestinationRule",
  "kubernetes:networking.istio.io/v1:VirtualService",
  "kubernetes:telemetry.istio.io/v1:Telemetry",
  // monitoring podmonitors (prod) and install (dev): PodMonitors for the Prometheus Operator.
  "kubernetes:monitoring.coreos.com/v1:PodMonitor",
];
const ISTIO_INGRESS = ["kubernetes:networking.istio.io/v1:Gateway"];

describe.each(ENVS)("every Kubernetes object of the %s graph", (env) => {
  test("is valid against the upstream schema of its kind", () => {
    const run = runs[env];
    const objects = run.resources.filter(isKubernetesObject);
    expect(objects.length).toBeGreaterThan(10);
    expect(invalidObjects(run.resources)).toEqual([]);
  });

  test("has a validator: no kind is skipped", () => {
    const all = kinds(runs[env]);
    const types = all.filter((t) => !ISTIO_AND_HELM.includes(t) && !ISTIO_INGRESS.includes(t));
    // Only the Istio custom resources and the Helm releases are left to other validators.
    const elsewhere = all.filter((t) =>
      isValidatedElsewhere({ type: t, name: "x", id: "x-id", inputs: {}, secretPaths: [] }),
    );
    expect(elsewhere).toEqual(
      [...ISTIO_AND_HELM, ...(env === "dev-ingress" || env === "dev-app" ? [] : ISTIO_INGRESS)].sort(),
    );
    const expected = [
      "kubernetes:apps/v1:Deployment",
      "kubernetes:batch/v1:Job",
      // The Grafana dashboard.
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Secret",
      "kubernetes:core/v1:Service",
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "kubernetes:rbac.authorization.k8s.io/v1:Role",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    ];
    if (env === "dev-ingress") expected.push("kubernetes:networking.k8s.io/v1:Ingress");
    if (env === "prod") {
      expected.push(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "kubernetes:policy/v1:PodDisruptionBudget",
      );
    }
    expect(types).toEqual(expected.sort());
    for (const type of types) {
      const gvk = kubernetesKind(type);
      expect({ type, gvk: gvk !== undefined }).toEqual({ type, gvk: true });
      if (gvk) expect(() => modelFor(gvk.apiVersion, gvk.kind)).not.toThrow();
    }
  });
});

describe("the validator", () => {
  test.each([
    ["v1", "kubernetes-models/v1"],
    ["apps/v1", "kubernetes-models/apps/v1"],
    ["autoscaling/v2", "kubernetes-models/autoscaling/v2"],
    ["policy/v1", "kubernetes-models/policy/v1"],
    ["networking.k8s.io/v1", "kubernetes-models/networking.k8s.io/v1"],
    ["rbac.authorization.k8s.io/v1", "kubernetes-models/rbac.authorization.k8s.io/v1"],
  ])("finds the models of %s in %s", (apiVersion, module) => {
    expect(modelModule(apiVersion)).toBe(module);
  });

  test.each(["../v1", "apps/", "", "apps/v1/Deployment", "Apps/v1"])(
    "refuses the apiVersion %j",
    (apiVersion) => {
      expect(() => modelModule(apiVersion)).toThrow(/no validator/);
    },
  );

  test.each([
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:core/v1:Pingpong",
    "kubernetes:batch/v1:Jobs",
    "kubernetes:networking.k8s.io/v1:Gateway",
    "kubernetes:notistio.io/v1:Gateway",
    "kubernetes:istio.io.example.com/v1:Gateway",
    "kubernetes:helm.sh.example.com/v1:Release",
    "kubernetes:coreos.com/v1:PodMonitor",
    "kubernetes:monitoring.coreos.com.example.com/v1:PodMonitor",
    "kubernetes:core/v1:PodMonitor",
    "kubernetes:apps/v1:deployment",
    "kubernetes:apps/v1:Deployment2",
  ])("reports %s as having no validator instead of skipping it", (type) => {
    const r: Recorded = {
      type,
      name: "x",
      id: "x-id",
      inputs: { metadata: { name: "x" }, spec: {} },
      secretPaths: [],
    };
    const failures = invalidObjects([r]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(`${type} x: no validator`);
  });

  test.each([
    "kubernetes:networking.istio.io/v1:PeerAuthentication",
    "kubernetes:security.istio.io/v1:AuthorizationPolicy",
    "kubernetes:telemetry.istio.io/v1:Telemetry",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor",
    "kubernetes:helm.sh/v3:Release",
  ])("leaves %s to the CRD schema tests (no kubernetes-models validator required)", (type) => {
    const r: Recorded = {
      type,
      name: "x",
      id: "x-id",
      inputs: { metadata: { name: "x" }, spec: { anything: true } },
      secretPaths: [],
    };
    expect(isValidatedElsewhere(r)).toBe(true);
    expect(invalidObjects([r])).toEqual([]);
  });

  test.each([
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:Secret",
    "kubernetes:networking.k8s.io/v1:Ingress",
  ])("validates the core kind %s with kubernetes-models", (type) => {
    expect(isValidatedElsewhere({ type, name: "x", id: "x-id", inputs: {}, secretPaths: [] })).toBe(false);
    const gvk = kubernetesKind(type);
    expect(gvk).toBeDefined();
    if (gvk) expect(() => modelFor(gvk.apiVersion, gvk.kind)).not.toThrow();
  });

  test("catches a Job without a pod template", () => {
    const job = manifestCopy(runs.dev, "kubernetes:batch/v1:Job");
    expect(() => validateManifest(job)).not.toThrow();
    delete (job.spec as { template?: unknown }).template;
    expect(() => validateManifest(job)).toThrow(/must have required property template/);
  });

  test("catches a Secret whose type is not a string", () => {
    const secret = manifestCopy(runs.dev, "kubernetes:core/v1:Secret");
    expect(() => validateManifest(secret)).not.toThrow();
    secret.type = ["kubernetes.io/tls"];
    expect(() => validateManifest(secret)).toThrow(/type must be string/);
  });

  test("catches an Ingress whose tls is not a list", () => {
    const ingress = manifestCopy(runs["dev-ingress"], "kubernetes:networking.k8s.io/v1:Ingress");
    expect(() => validateManifest(ingress)).not.toThrow();
    const spec = ingress.spec as { tls: unknown };
    spec.tls = { secretName: "pingpong-tls" };
    expect(() => validateManifest(ingress)).toThrow(/tls must be array/);
  });

  test("refuses inputs that name another kind than their type", () => {
    const r: Recorded = {
      type: "kubernetes:apps/v1:Deployment",
      name: "x",
      id: "x-id",
      secretPaths: [],
      inputs: { apiVersion: "v1", kind: "Service", metadata: { name: "x" } },
    };
    expect(() => manifestOf(r)).toThrow(/inputs say apiVersion "v1"/);
  });

  test("catches a container port given as a string", () => {
    const deployment = manifestCopy(runs.prod, "kubernetes:apps/v1:Deployment", "pingpong-a");
    expect(() => validateManifest(deployment)).not.toThrow();
    const spec = deployment.spec as {
      template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } };
    };
    spec.template.spec.containers[0].ports[0].containerPort = "8080";
    expect(() => validateManifest(deployment)).toThrow(/containerPort must be integer/);
  });

  test("catches a Service port without its port number", () => {
    const service = manifestCopy(runs.prod, "kubernetes:core/v1:Service");
    expect(() => validateManifest(service)).not.toThrow();
    const spec = service.spec as { ports: Array<{ port?: unknown }> };
    delete spec.ports[0].port;
    expect(() => validateManifest(service)).toThrow(/ports\/0 must have required property port/);
  });

  test("catches an autoscaler without maxReplicas", () => {
    const hpa = manifestCopy(runs.prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    expect(() => validateManifest(hpa)).not.toThrow();
    delete (hpa.spec as { maxReplicas?: unknown }).maxReplicas;
    expect(() => validateManifest(hpa)).toThrow(/must have required property maxReplicas/);
  });

  test("catches an invalid enum value", () => {
    const policy = manifestCopy(runs.dev, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(() => validateManifest(policy)).not.toThrow();
    (policy.spec as { podSelector: unknown }).podSelector = "app=pingpong";
    expect(() => validateManifest(policy)).toThrow(/podSelector must be object/);
  });

  test("reports an invalid object of a graph with its type and name", () => {
    const [deployment] = ofType(runs.dev, "kubernetes:apps/v1:Deployment").filter(
      (r) => (r.inputs as { metadata: { namespace?: unknown } }).metadata.namespace === "pingpong-a",
    );
    const broken: Recorded = structuredClone(deployment);
    delete (broken.inputs as { spec: { selector?: unknown } }).spec.selector;
    expect(invalidObjects([broken])).toEqual([
      `kubernetes:apps/v1:Deployment ${deployment.name}: data/spec must have required property selector`,
    ]);
  });
});
