import { APP_TLS } from "../support/variants";
import { kubernetesKind, ofType, runProgram, type ProgramRun, type Recorded } from "../support/program";
import { invalidObjects, isKubernetesObject, isValidatedElsewhere, modelFor } from "../support/k8s-validate";
import { stackConfig } from "../support/stack-files";
import { customResources } from "./crd-schema";
import { T } from "../support/tokens";

/** The stacks, and dev with each other TLS termination (Ingress objects, app TLS Secrets). */
const ENVS = ["dev", "prod", "dev-ingress", "dev-app"] as const;
type Env = (typeof ENVS)[number];
const runs = {} as Record<Env, ProgramRun>;

beforeAll(async () => {
  for (const env of ["dev", "prod"] as const) runs[env] = await runProgram(env, stackConfig(env));
  runs["dev-ingress"] = await runProgram("dev", { ...stackConfig("dev"), tlsTermination: "ingress" });
  runs["dev-app"] = await runProgram("dev", { ...stackConfig("dev"), ...APP_TLS });
}, 60_000);

const kinds = (run: ProgramRun) =>
  [...new Set(run.resources.filter(isKubernetesObject).map((r) => r.type))].sort();

/** Helm releases: no API object of their own, their values are checked against the charts (upstream.test.ts). */

describe.each(ENVS)("every Kubernetes object of the %s graph", (env) => {
  test("is valid against the upstream schema of its kind", () => {
    const run = runs[env];
    const objects = run.resources.filter(isKubernetesObject);
    expect(objects.length).toBeGreaterThan(10);
    expect(invalidObjects(run.resources)).toEqual([]);
  });

  test("has a validator: no kind is skipped", () => {
    const all = kinds(runs[env]);
    // Only the custom resources, which crd-schemas.test.ts validates, and the Helm releases are left
    // to other validators.
    const custom = [...new Set(customResources(runs[env]).map((r) => r.type))];
    const types = all.filter((t) => t !== T.release && !custom.includes(t));
    const elsewhere = all.filter((t) =>
      isValidatedElsewhere({ type: t, name: "x", id: "x-id", inputs: {}, secretPaths: [] }),
    );
    expect(elsewhere).toEqual([T.release, ...custom].sort());
    expect(custom.length).toBeGreaterThan(0);
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

describe("the validator can fail", () => {
  test("a kind without a validator is reported, not skipped", () => {
    const r: Recorded = {
      type: "kubernetes:apps/v1:Deployment2",
      name: "x",
      id: "x-id",
      inputs: { metadata: { name: "x" }, spec: {} },
      secretPaths: [],
    };
    expect(invalidObjects([r])).toEqual([
      expect.stringContaining("kubernetes:apps/v1:Deployment2 x: no validator"),
    ]);
  });

  test("an invalid object of a graph is reported with its type and name", () => {
    const [deployment] = ofType(runs.dev, "kubernetes:apps/v1:Deployment").filter(
      (r) => (r.inputs as { metadata: { namespace?: unknown } }).metadata.namespace === "pingpong-a",
    );
    const broken: Recorded = structuredClone(deployment);
    (
      broken.inputs as {
        spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
      }
    ).spec.template.spec.containers[0].ports[0].containerPort = "8080";
    expect(invalidObjects([broken])).toEqual([
      expect.stringMatching(
        new RegExp(`^kubernetes:apps/v1:Deployment ${deployment.name}: .*containerPort must be integer`),
      ),
    ]);
  });
});
