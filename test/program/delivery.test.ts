import { parseProbeArgs } from "../../app/src/probe";
import type { Settings } from "../../stacks/settings";
import {
  byName,
  inNamespace,
  nameOf,
  namespaceOf,
  ofType,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { describeWithReference } from "../support/reference";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, fqdn, namedPorts, containerOf, release, serviceOfUrl, type Json } from "./lookup";
import { serviceAtUrl } from "./links";
import { appPods, ingressAllowed } from "./netpol";
import { instanceService, podLabelSets, servedPort, workloadIn } from "./workloads";

/**
 * Progressive delivery of pingpong-b in dev as the whole program wires it: the Rollout in place of
 * the Deployment shifts the weights of the objects Traffic creates, runs the AnalysisTemplate the
 * canary analysis creates, whose acceptance probe reaches the canary's pods through the mesh's and
 * the network's policies. The components alone: test/components/pingpong-service.test.ts,
 * traffic.test.ts, canary-analysis.test.ts, rollouts.test.ts.
 */

const runs = {} as Record<"dev", ProgramRun>;
const settings = {} as Record<"dev", Settings>;
beforeAll(() => runVariants({ dev: SHARED_VARIANTS.dev }, runs, settings), 120_000);

const run = () => runs.dev;
const ns = () => {
  const instance = settings.dev.delivery?.instance;
  if (!instance) throw new Error("dev should analyse a canary");
  return settings.dev.namespaces[instance];
};
const rollout = (): Recorded => {
  const w = workloadIn(run(), ns());
  expect(w.type).toBe(T.rollout);
  return w;
};
const canaryOf = (): Json => rollout().inputs.spec.strategy.canary;
const template = (): Recorded => {
  const found = inNamespace(run(), T.analysisTemplate, ns());
  expect(found).toHaveLength(1);
  return found[0];
};
const metrics = (): Json[] => template().inputs.spec.metrics;
/** The acceptance probe's Job, as the controller creates it from the template. */
const acceptanceJob = (): Json => {
  const jobs = metrics().filter((m) => m.provider.job !== undefined);
  expect(jobs).toHaveLength(1);
  return jobs[0].provider.job;
};
const acceptanceArgs = (): string[] => acceptanceJob().spec.template.spec.containers[0].args;
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

test("the Rollout shifts the weights of the VirtualService route and DestinationRule subsets Traffic creates for its Service", () => {
  const { virtualService, destinationRule } = canaryOf().trafficRouting.istio;
  const host = fqdn(instanceService(run(), ns()));
  const vs = byName(run(), T.virtualService, ns(), virtualService.name);
  const rule = byName(run(), T.destinationRule, ns(), destinationRule.name);
  expect(vs.inputs.spec.hosts).toEqual([host]);
  expect(rule.inputs.spec.host).toBe(host);
  const subsets = [destinationRule.stableSubsetName, destinationRule.canarySubsetName];
  expect(rule.inputs.spec.subsets.map((x: Json) => x.name).sort()).toEqual([...subsets].sort());
  // Each named route holds exactly the stable and the canary destination, as the controller requires.
  expect(virtualService.routes.length).toBeGreaterThan(0);
  for (const name of virtualService.routes) {
    const route = (vs.inputs.spec.http as Json[]).find((r) => r.name === name);
    expect({ name, found: route !== undefined }).toEqual({ name, found: true });
    const destinations = (route!.route as Json[]).map((r) => r.destination);
    expect(destinations.map((d) => d.subset).sort()).toEqual([...subsets].sort());
    for (const d of destinations) expect(d.host).toBe(host);
  }
  // Every route of the VirtualService is one the controller moves: none keeps a fixed split.
  expect((vs.inputs.spec.http as Json[]).map((r) => r.name).sort()).toEqual(
    [...virtualService.routes].sort(),
  );
});

test("its analysis steps run the AnalysisTemplate beside it, with every argument the template declares", () => {
  const steps = (canaryOf().steps as Json[]).filter((s) => s.analysis !== undefined);
  expect(steps.length).toBeGreaterThan(0);
  const declared = (template().inputs.spec.args as Json[]).map((a) => a.name).sort();
  for (const { analysis } of steps) {
    expect(analysis.templates).toEqual([{ templateName: nameOf(template()) }]);
    expect((analysis.args as Json[]).map((a) => a.name).sort()).toEqual(declared);
  }
});

test("the Rollout and the template wait for the release that installs their CRDs", () => {
  const controller = release(run(), "argo-rollouts").name;
  expect(rollout().dependsOn).toContain(controller);
  expect(template().dependsOn).toContain(controller);
  // The template exists before the first analysis step would need it.
  expect(rollout().dependsOn).toContain(template().name);
});

test("the queries select the series of the Rollout's own workload, in its namespace", () => {
  const queries = metrics().flatMap((m) =>
    m.provider.prometheus ? [m.provider.prometheus.query as string] : [],
  );
  expect(queries.length).toBeGreaterThan(0);
  for (const q of queries) {
    // Istio names a Rollout's pods' workload after the Rollout.
    expect(q).toContain(`destination_workload_namespace="${ns()}"`);
    expect(q).toContain(`destination_workload="${nameOf(rollout())}"`);
  }
});

test("the acceptance probe calls a Service that selects the Rollout's canary pods, not its stable ones", () => {
  const { service, port } = serviceOfUrl(run(), argAfter(acceptanceArgs(), "--url"));
  expect(namespaceOf(service)).toBe(ns());
  expect(service).not.toBe(instanceService(run(), ns()));
  const [stable, canary] = podLabelSets(rollout());
  const selector = { matchLabels: service.inputs.spec.selector };
  expect(selects(selector, canary)).toBe(true);
  expect(selects(selector, stable)).toBe(false);
  // On the port calls to the instance arrive on, named like the container's.
  const forwarded = (service.inputs.spec.ports as Json[]).find((p) => p.port === port);
  expect(namedPorts(containerOf(rollout()))[forwarded.targetPort]).toBe(servedPort(run(), ns()));
});

test("the probe's arguments are a command line it accepts, ending before its Job's deadline", () => {
  const probe = parseProbeArgs(acceptanceArgs().slice(1));
  expect(probe.expect).toBe("success");
  expect(probe.attempts).toBeGreaterThan(1);
  expect(probe.deadlineMs).toBeGreaterThanOrEqual(probe.attempts * probe.timeoutMs);
  const jobMs = Number(acceptanceJob().spec.activeDeadlineSeconds) * 1000;
  expect(jobMs - probe.deadlineMs).toBeGreaterThanOrEqual(30_000);
  expect(acceptanceJob().spec.backoffLimit).toBe(0);
});

test("the mesh admits the acceptance probe's account, and the network its pods, on the port calls arrive on", () => {
  const pod = acceptanceJob().spec.template;
  const account = byName(run(), T.serviceAccount, ns(), pod.spec.serviceAccountName);
  expect(account.inputs.automountServiceAccountToken).toBe(false);
  // In the mesh, so that the callee's sidecar sees its identity.
  expect(pod.metadata.labels["sidecar.istio.io/inject"]).toBe("true");
  const policy = byName(run(), T.authorizationPolicy, ns(), "allow-pingpong-callers");
  const principals = (policy.inputs.spec.rules as Json[]).flatMap((r) =>
    (r.from as Json[]).flatMap((f) => f.source.principals as string[]),
  );
  expect(principals).toContain(`${settings.dev.mesh.trustDomain}/ns/${ns()}/sa/${nameOf(account)}`);
  const from = { namespace: ns(), labels: pod.metadata.labels };
  const debug = { namespace: ns(), labels: { run: "debug" } };
  for (const to of appPods(run(), ns())) {
    expect(ingressAllowed(run(), to, from, servedPort(run(), ns()))).toBe(true);
    // Only the probe's pods: another pod of the namespace is refused.
    expect(ingressAllowed(run(), to, debug, servedPort(run(), ns()))).toBe(false);
  }
});

test("only pingpong-b runs under a Rollout", () => {
  expect(ofType(run(), T.rollout).map(namespaceOf)).toEqual([ns()]);
});

describeWithReference("the analysis against the monitoring the stack installs", () => {
  test("it queries the Prometheus Service of the kube-prometheus-stack release", () => {
    const stack = release(run(), "kube-prometheus-stack").name;
    const addresses = metrics().flatMap((m) =>
      m.provider.prometheus ? [m.provider.prometheus.address] : [],
    );
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(serviceAtUrl(run(), address)?.createdBy).toBe(stack);
  });
});
