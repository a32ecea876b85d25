import { existsSync } from "node:fs";
import { join } from "node:path";
import { CANARY_VERSION, PRIMARY_VERSION } from "../../components/workload";
import { INSTANCE_KEYS } from "../../stacks/plan";
import { kubernetesKind, namespaceOf, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference } from "../support/reference";
import {
  CANARY,
  CRD_DIR,
  KINDS,
  NOT_V1,
  RENDERINGS,
  customResources,
  invalidSpecs,
  schemaFile,
  specErrors,
} from "./crd-schema";
import type { Json } from "./lookup";

describeWithReference("custom resources against the strict CRD schemas", () => {
  const runs = new Map<string, ProgramRun>();

  beforeAll(async () => {
    for (const r of RENDERINGS) runs.set(r.label, await r.render());
  }, 120_000);

  const runOf = (label: string): ProgramRun => {
    const run = runs.get(label);
    if (!run) throw new Error(`no run ${label}`);
    return run;
  };
  const kindOf = (r: Recorded): string => kubernetesKind(r.type)?.kind ?? r.type;
  const specOfRecorded = (r: Recorded): Record<string, unknown> =>
    (r.inputs as { spec: Record<string, unknown> }).spec;

  describe("the CRD schema directory", () => {
    test("exists, with the groups the program uses", () => {
      expect({ dir: CRD_DIR, exists: existsSync(CRD_DIR) }).toEqual({ dir: CRD_DIR, exists: true });
      for (const group of [
        "networking.istio.io",
        "security.istio.io",
        "telemetry.istio.io",
        "monitoring.coreos.com",
        "argoproj.io",
      ])
        expect({ group, exists: existsSync(join(CRD_DIR, group)) }).toEqual({ group, exists: true });
      for (const type of Object.values(KINDS)) {
        const { apiVersion, kind } = kubernetesKind(type)!;
        expect({ kind, exists: existsSync(schemaFile(apiVersion, kind)) }).toEqual({ kind, exists: true });
      }
    });

    test("every custom resource kind the program can create is validated by some rendering", () => {
      const validated = new Set(RENDERINGS.flatMap((r) => r.types));
      expect([...validated].sort()).toEqual(Object.values(KINDS).sort());
    });
  });

  describe.each(RENDERINGS)("custom resources of $label", (r) => {
    test("every spec is valid against the strict CRD schema of its kind", () => {
      const run = runOf(r.label);
      const resources = customResources(run);
      // In the whole program: PeerAuthentication and AuthorizationPolicies at least, in every mode.
      expect(resources.length).toBeGreaterThanOrEqual(r.program ? 8 : r.types.length);
      expect(invalidSpecs(run)).toEqual([]);
    });

    test("every kind has a schema file, and is v1 wherever the schemas hold a v1 of it", () => {
      const types = [...new Set(customResources(runOf(r.label)).map((x) => x.type))].sort();
      expect(types).toEqual([...r.types].sort());
      for (const type of types) {
        const gvk = kubernetesKind(type);
        expect(gvk).toBeDefined();
        if (!gvk) continue;
        expect(existsSync(schemaFile(gvk.apiVersion, gvk.kind))).toBe(true);
        const [group, version] = gvk.apiVersion.split("/");
        if (version !== "v1")
          expect({ type, v1: existsSync(schemaFile(`${group}/v1`, gvk.kind)) }).toEqual({ type, v1: false });
      }
    });

    test("each resource, one by one, has no schema error", () => {
      const run = runOf(r.label);
      if (r.program) {
        // pingpong's own; the egress gateway's and the rate limits' are counted in their components' tests.
        const count = (kind: string) =>
          customResources(run).filter(
            (x) => kindOf(x) === kind && r.pingpongNamespaces.includes(namespaceOf(x)),
          ).length;
        const gateway = customResources(run).some(
          (x) =>
            kindOf(x) === "Gateway" && (x.inputs.spec.servers as Json[]).some((s) => s.tls?.credentialName),
        );
        expect({
          DestinationRule: count("DestinationRule"),
          VirtualService: count("VirtualService"),
          Rollout: count("Rollout"),
          AnalysisTemplate: count("AnalysisTemplate"),
          PodMonitor: count("PodMonitor"),
        }).toEqual({
          DestinationRule: INSTANCE_KEYS.length,
          // One per instance, plus the ingress's at the Istio gateway.
          VirtualService: INSTANCE_KEYS.length + (gateway ? 1 : 0),
          Rollout: r.analysedNamespace ? 1 : 0,
          AnalysisTemplate: r.analysedNamespace ? 1 : 0,
          PodMonitor: INSTANCE_KEYS.length,
        });
        expect(customResources(run).filter((x) => kindOf(x) === "Telemetry")).toHaveLength(1);
      }
      for (const x of customResources(run)) {
        expect({
          resource: x.name,
          errors: specErrors(`${String(x.inputs.apiVersion)}`, kindOf(x), x.inputs.spec),
        }).toEqual({ resource: x.name, errors: [] });
      }
    });

    test("the validated specs carry the canary's subsets, split, mirror and faults when configured", () => {
      const run = runOf(r.label);
      const pingpong = (kind: string) =>
        customResources(run).filter(
          (x) => kindOf(x) === kind && (!r.program || r.pingpongNamespaces.includes(namespaceOf(x))),
        );
      const virtualServices = pingpong("VirtualService");
      const rules = pingpong("DestinationRule");
      const json = JSON.stringify([...virtualServices, ...rules].map(specOfRecorded));
      expect(json.includes('"mirrorPercentage"')).toBe(r.canary);
      expect(json.includes('"fault"')).toBe(r.canary);
      expect(json.includes(`"weight":${CANARY.trafficPercentV2}`)).toBe(r.canary);
      expect(rules.length > 0).toBe(r.types.includes(KINDS.destinationRule));
      for (const rule of rules) {
        const subsets = (specOfRecorded(rule).subsets as Array<{ name: string }>).map((x) => x.name);
        if (namespaceOf(rule) === r.analysedNamespace) {
          // The Rollout's stable and canary subsets, validated as the Rollout names them.
          const [rollout] = pingpong("Rollout").filter((x) => namespaceOf(x) === r.analysedNamespace);
          const names = rollout.inputs.spec.strategy.canary.trafficRouting.istio.destinationRule;
          expect(subsets).toEqual([names.stableSubsetName, names.canarySubsetName]);
        } else expect(subsets).toEqual(r.canary ? [PRIMARY_VERSION, CANARY_VERSION] : [PRIMARY_VERSION]);
      }
      if (r.canary) expect(virtualServices.filter((vs) => specOfRecorded(vs).gateways)).toHaveLength(1);
    });
  });

  describe("the schemas catch mistakes", () => {
    const specOf = (kind: string, name: string, label = "dev"): Record<string, unknown> => {
      const r = customResources(runOf(label)).find(
        (x) =>
          kubernetesKind(x.type)?.kind === kind &&
          (x.inputs as { metadata: { name: string } }).metadata.name === name,
      );
      if (!r) throw new Error(`no ${kind} ${name}`);
      return structuredClone((r.inputs as { spec: Record<string, unknown> }).spec);
    };

    test("a Gateway with a misspelt field (selectr) fails", () => {
      const spec = specOf("Gateway", "pingpong");
      expect(specErrors("networking.istio.io/v1", "Gateway", spec)).toEqual([]);
      spec.selectr = spec.selector;
      delete spec.selector;
      const errors = specErrors("networking.istio.io/v1", "Gateway", spec);
      expect(errors.join("\n")).toMatch(/additionalProperty":"selectr"/);
    });

    test("a kind without a schema file is reported, not skipped", () => {
      expect(() => specErrors("networking.istio.io/v1", "Pingpong", {})).toThrow(/no CRD schema/);
      const fake: Recorded = {
        type: "kubernetes:networking.istio.io/v1alpha3:Gateway",
        name: "x",
        id: "x-id",
        inputs: { apiVersion: "networking.istio.io/v1alpha3", kind: "Gateway", spec: {} },
        secretPaths: [],
      };
      const podMonitor: Recorded = {
        type: "kubernetes:monitoring.coreos.com/v1alpha1:PodMonitor",
        name: "y",
        id: "y-id",
        inputs: { apiVersion: "monitoring.coreos.com/v1alpha1", kind: "PodMonitor", spec: {} },
        secretPaths: [],
      };
      expect(invalidSpecs({ resources: [fake, podMonitor], reads: [], outputs: {} })).toEqual([
        `kubernetes:networking.istio.io/v1alpha3:Gateway x: ${NOT_V1}`,
        `kubernetes:monitoring.coreos.com/v1alpha1:PodMonitor y: ${NOT_V1}`,
      ]);
    });
  });
});
