import { PingpongService, type PingpongServiceArgs } from "../../components/pingpong-service";
import {
  CANARY_HASH_ARG,
  DEFAULT_ROLLOUT_STEPS,
  ROLE_LABEL,
  ROLES,
  ROLLOUT_HASH_LABEL,
  canarySteps,
} from "../../components/rollout-spec";
import { rolloutTrafficRouting } from "../../components/traffic";
import { TLS_MOUNT, pingUrl, serviceHost } from "../../components/workload";
import { specErrors } from "../program/crd-schema";
import { plan } from "../../stacks/plan";
import { parseSettings } from "../../stacks/settings";
import {
  engineConfig,
  namespaceOf,
  nameOf,
  ofType,
  runComponent,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { describeWithReference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { T } from "../support/tokens";

/** One pingpong instance alone: how its objects refer to each other, for each shape of its arguments. */

// The shared part of the arguments as the plan gives it for prod (autoscaling and a budget).
const shared = plan(parseSettings(engineConfig(stackConfig("prod")), "prod")).workload;
const NAMESPACE = "team-a";
const BASE: PingpongServiceArgs = {
  ...shared,
  namespace: NAMESPACE,
  image: "registry.example/pingpong@sha256:" + "a".repeat(64),
  target: "http://pingpong.team-b.svc.cluster.local:8080/ping",
};
const NO_SCALING: PingpongServiceArgs = {
  ...BASE,
  autoscaling: undefined,
  pdbMinAvailable: undefined,
  replicas: 3,
};

const render = (args: PingpongServiceArgs): Promise<ProgramRun> =>
  runComponent(() => {
    const svc = new PingpongService("pingpong-a", args);
    return {
      url: svc.url,
      host: svc.host,
      identity: svc.identity,
      deployment: svc.deploymentName,
      rollout: svc.rolloutName,
      canaryUrl: svc.canaryUrl,
    };
  });
const one = (run: ProgramRun, type: string): Recorded => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const podLabelsOf = (d: Recorded): Record<string, string> => d.inputs.spec.template.metadata.labels;
const containerOf = (d: Recorded) => d.inputs.spec.template.spec.containers[0];

describe("with autoscaling, a budget and a canary of another image", () => {
  let run: ProgramRun;
  const canary = { version: "v2", image: "registry.example/pingpong:next", replicas: 1 };
  beforeAll(async () => (run = await render({ ...BASE, canary })));

  test("every object is in the namespace given", () => {
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
      expect(namespaceOf(r)).toBe(BASE.namespace);
    }
  });

  test("the Service selects the pods of both versions, and its target ports are container ports", () => {
    const service = one(run, T.service);
    const deployments = ofType(run, T.deployment);
    expect(deployments).toHaveLength(2);
    for (const d of deployments) {
      expect(labelsMatch(service.inputs.spec.selector, podLabelsOf(d))).toBe(true);
      const names = containerOf(d).ports.map((p: { name: string }) => p.name);
      for (const port of service.inputs.spec.ports) expect(names).toContain(port.targetPort);
    }
  });

  test("each Deployment's selector selects its own pods and not the other version's", () => {
    const [primary, second] = ofType(run, T.deployment);
    for (const [d, other] of [
      [primary, second],
      [second, primary],
    ]) {
      expect(labelsMatch(d.inputs.spec.selector.matchLabels, podLabelsOf(d))).toBe(true);
      expect(labelsMatch(d.inputs.spec.selector.matchLabels, podLabelsOf(other))).toBe(false);
    }
  });

  test("the canary runs its own image and replica count; the autoscaled primary declares no replicas", () => {
    const byVersion = (v: string) => ofType(run, T.deployment).find((d) => podLabelsOf(d).version === v)!;
    expect(containerOf(byVersion(canary.version)).image).toBe(canary.image);
    expect(byVersion(canary.version).inputs.spec.replicas).toBe(canary.replicas);
    expect(containerOf(byVersion(BASE.version)).image).toBe(BASE.image);
    expect(byVersion(BASE.version).inputs.spec.replicas).toBeUndefined();
  });

  test("the autoscaler scales the primary Deployment within the settings' bounds", () => {
    const hpa = one(run, T.hpa);
    const primary = ofType(run, T.deployment).find((d) => podLabelsOf(d).version === BASE.version)!;
    expect(hpa.inputs.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: nameOf(primary) });
    expect(hpa.inputs.spec.minReplicas).toBe(BASE.autoscaling!.minReplicas);
    expect(hpa.inputs.spec.maxReplicas).toBe(BASE.autoscaling!.maxReplicas);
  });

  test("the budget covers the primary's pods, below the autoscaler's floor", () => {
    const pdb = one(run, T.pdb);
    const primary = ofType(run, T.deployment).find((d) => podLabelsOf(d).version === BASE.version)!;
    expect(labelsMatch(pdb.inputs.spec.selector.matchLabels, podLabelsOf(primary))).toBe(true);
    expect(pdb.inputs.spec.minAvailable).toBe(BASE.pdbMinAvailable);
    expect(pdb.inputs.spec.minAvailable).toBeLessThan(BASE.autoscaling!.minReplicas);
  });

  test("pods run as the component's ServiceAccount, which is what its identity names", () => {
    const account = one(run, T.serviceAccount);
    for (const d of ofType(run, T.deployment)) {
      expect(d.inputs.spec.template.spec.serviceAccountName).toBe(nameOf(account));
    }
    expect(run.outputs.identity).toEqual({ namespace: BASE.namespace, serviceAccount: nameOf(account) });
  });

  test("its URL and host are the Service's cluster name", () => {
    const service = one(run, T.service);
    expect(run.outputs.host).toBe(serviceHost(namespaceOf(service), nameOf(service)));
    expect(new URL(String(run.outputs.url)).hostname).toBe(run.outputs.host);
  });
});

describe("with fixed replicas, no budget, no policy", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render({ ...NO_SCALING, canary: { version: "v2", replicas: 2 } })));

  test("the Deployment declares the replicas; no autoscaler, budget or NetworkPolicy exists", () => {
    const primary = ofType(run, T.deployment).find((d) => podLabelsOf(d).version === BASE.version)!;
    expect(primary.inputs.spec.replicas).toBe(NO_SCALING.replicas);
    for (const type of [T.hpa, T.pdb, T.networkPolicy]) expect(ofType(run, type)).toEqual([]);
  });

  test("a canary without an image of its own runs the primary's", () => {
    for (const d of ofType(run, T.deployment)) expect(containerOf(d).image).toBe(BASE.image);
  });
});

describe("terminating TLS, behind a private registry, under a NetworkPolicy", () => {
  let run: ProgramRun;
  const tls = { secretName: "pingpong-tls" };
  const pullCredentials = { server: "registry.example", username: "ci", password: "s3cret" };
  const networkPolicy = {
    callers: [{ namespace: "team-b" }],
    scrapers: [{ namespace: "monitoring" }],
    pingTargets: [{ namespace: "team-b" }],
  };
  beforeAll(async () => (run = await render({ ...NO_SCALING, tls, pullCredentials, networkPolicy })));

  test("the pods mount the certificate Secret where the app reads it", () => {
    const spec = one(run, T.deployment).inputs.spec.template.spec;
    const volume = spec.volumes.find(
      (v: { secret?: { secretName: string } }) => v.secret?.secretName === tls.secretName,
    );
    const mount = spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
    expect(mount.mountPath).toBe(TLS_MOUNT.path);
  });

  test("the Service and the URL speak HTTPS", () => {
    expect(new URL(String(run.outputs.url)).protocol).toBe("https:");
    expect(
      one(run, T.service).inputs.spec.ports.map((p: { appProtocol: string }) => p.appProtocol),
    ).toContain("https");
  });

  test("the ServiceAccount references the pull Secret, whose password is a secret", () => {
    const secret = one(run, T.secret);
    expect(secret.inputs.type).toBe("kubernetes.io/dockerconfigjson");
    expect(one(run, T.serviceAccount).inputs.imagePullSecrets).toEqual([{ name: nameOf(secret) }]);
    expect(secret.secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
  });

  test("the NetworkPolicy selects the pods and admits callers on the container's http port", () => {
    const netpol = one(run, T.networkPolicy);
    const d = one(run, T.deployment);
    const selector = netpol.inputs.spec.podSelector.matchLabels ?? {};
    expect(labelsMatch(selector, podLabelsOf(d))).toBe(true);
    const ports = containerOf(d).ports.map((p: { containerPort: number }) => p.containerPort);
    const rule = netpol.inputs.spec.ingress[0];
    for (const p of rule.ports) expect(ports).toContain(p.port);
  });
});

describe("under an Argo Rollout, autoscaled, with a budget", () => {
  const routing = rolloutTrafficRouting({ stableSubset: "stable", canarySubset: "canary" });
  const rolloutArgs = { analysisTemplate: "checks", trafficRouting: routing };
  const args: PingpongServiceArgs = { ...BASE, rollout: rolloutArgs };
  let run: ProgramRun;
  beforeAll(async () => (run = await render(args)));
  const rollout = () => one(run, T.rollout);
  const services = () => ofType(run, T.service);
  const canaryService = () => services().find((s) => nameOf(s) !== "pingpong")!;
  /** A pod of the template as the controller labels it: its ReplicaSet's hash and its role's ephemeral label. */
  const pod = (role: keyof typeof ROLES, hash: string) => ({
    ...podLabelsOf(rollout()),
    [ROLLOUT_HASH_LABEL]: hash,
    [ROLE_LABEL]: ROLES[role],
  });

  test("a Rollout replaces the Deployments; its selector selects its pods and pins no version", () => {
    expect(ofType(run, T.deployment)).toEqual([]);
    const { selector } = rollout().inputs.spec;
    expect(selects(selector, podLabelsOf(rollout()))).toBe(true);
    expect(selector.matchLabels).not.toHaveProperty("version");
    expect(containerOf(rollout()).image).toBe(BASE.image);
  });

  test("the Service selects canary and stable pods; the canary Service only the canary's, on the same ports", () => {
    const main = services().find((s) => nameOf(s) === "pingpong")!;
    const selectorOf = (s: Recorded) => ({ matchLabels: s.inputs.spec.selector });
    for (const role of ["canary", "stable"] as const) {
      expect(selects(selectorOf(main), pod(role, "h"))).toBe(true);
      expect(selects(selectorOf(canaryService()), pod(role, "h"))).toBe(role === "canary");
    }
    expect(canaryService().inputs.spec.ports).toEqual(main.inputs.spec.ports);
  });

  test("the autoscaler scales the Rollout by name; the Rollout declares no replicas", () => {
    expect(one(run, T.hpa).inputs.spec.scaleTargetRef).toEqual({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      name: nameOf(rollout()),
    });
    expect(rollout().inputs.spec).not.toHaveProperty("replicas");
  });

  test("the budget covers canary and stable pods alike", () => {
    const { selector } = one(run, T.pdb).inputs.spec;
    for (const role of ["canary", "stable"] as const) expect(selects(selector, pod(role, role))).toBe(true);
  });

  test("the canary shifts traffic where it is told and runs the template on the canary's hash", () => {
    const { canary } = rollout().inputs.spec.strategy;
    expect(canary.trafficRouting).toEqual({ istio: routing });
    const analyses = canary.steps.flatMap((s: Recorded["inputs"]) => (s.analysis ? [s.analysis] : []));
    expect(analyses).toHaveLength(DEFAULT_ROLLOUT_STEPS.filter((s) => s === "analysis").length);
    for (const a of analyses) {
      expect(a.templates).toEqual([{ templateName: "checks" }]);
      expect(a.args).toEqual([{ name: CANARY_HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } }]);
    }
  });

  test("pods spread per ReplicaSet by the hash label a Rollout's pods carry", () => {
    for (const c of rollout().inputs.spec.template.spec.topologySpreadConstraints)
      expect(c.matchLabelKeys).toEqual([ROLLOUT_HASH_LABEL]);
  });

  test("outputs name the Rollout and the canary Service's /ping; the identity is the pods' account", () => {
    expect(run.outputs).toMatchObject({ deployment: nameOf(rollout()), rollout: nameOf(rollout()) });
    expect(run.outputs.canaryUrl).toBe(pingUrl(NAMESPACE, nameOf(canaryService())));
    const serviceAccount = nameOf(one(run, T.serviceAccount));
    expect(run.outputs.identity).toEqual({ namespace: NAMESPACE, serviceAccount });
  });

  test("without an autoscaler the Rollout declares the replicas; refused: a Rollout beside a fixed canary", async () => {
    const fixed = await render({ ...NO_SCALING, rollout: rolloutArgs });
    expect(one(fixed, T.rollout).inputs.spec.replicas).toBe(NO_SCALING.replicas);
    await expect(render({ ...args, canary: { version: "v2", replicas: 1 } })).rejects.toThrow(/exclude/);
    expect(() => canarySteps([{ setWeight: 120 }], "checks")).toThrow(/setWeight 120/);
  });

  describeWithReference("against the Rollout CRD schema", () => {
    test("the Rollout's spec is valid, and the schema refuses an unknown field", () => {
      const errors = (spec: object) => specErrors("argoproj.io/v1alpha1", "Rollout", spec);
      expect(errors(rollout().inputs.spec)).toEqual([]);
      expect(errors({ ...rollout().inputs.spec, replica: 1 })).not.toEqual([]);
    });
  });
});
