// Every policy against the resource graph the program registers for prod: no violation as it is,
// and each rule catches its own kind of regression edited into a copy of the graph.
import { ISTIOD_CHART } from "../../policy/egress";
import { DIGEST_PATTERN } from "../../policy/pods";
import { TYPES, isIstioGateway, isPeerAuthentication } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { runProgram, type Recorded } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { configOf, policy, policyConfig, urnOf, validateGraph, validateStack, type Res } from "./support";

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
    expect(graph.some((r) => isPeerAuthentication(r.type))).toBe(true);
    expect(graph.some((r) => isIstioGateway(r.type))).toBe(true);
  });

  it.each(Object.values(POLICY_NAMES))("prod: %s reports no violation", async (name) => {
    expect(await validateGraph(policy(name), graph, configOf("prod", name))).toEqual([]);
  });

  it("catches a Deployment image pinned by tag instead of digest", async () => {
    const broken = copy();
    const deployment = broken.find(
      (r) =>
        r.type === TYPES.deployment &&
        DIGEST_PATTERN.test(String(r.props.spec.template.spec.containers[0].image)),
    );
    if (!deployment) throw new Error("no Deployment with a digest-pinned image");
    const container = deployment.props.spec.template.spec.containers[0];
    container.image = String(container.image).replace(DIGEST_PATTERN, ":prod");
    const messages = await validateGraph(
      policy(POLICY_NAMES.images),
      broken,
      configOf("prod", POLICY_NAMES.images),
    );
    expect(messages).toEqual([expect.stringContaining(`${JSON.stringify(container.image)} is not pinned`)]);
  });

  it("catches an injected namespace whose PeerAuthentication is weakened or removed", async () => {
    const injected = graph.filter(
      (r) => r.type === TYPES.namespace && r.props.metadata.labels?.["istio-injection"] === "enabled",
    );
    expect(injected.length).toBeGreaterThan(0);
    const config = configOf("prod", POLICY_NAMES.mtls);
    const victim: string = injected[0].props.metadata.name;
    const isPeerAuth = (r: Res) => isPeerAuthentication(r.type);

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
    const gateway = broken.find((r) => isIstioGateway(r.type));
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

  it("catches istiod letting sidecars pass unknown hosts", async () => {
    const broken = copy();
    const istiod = broken.find((r) => r.type === TYPES.helmRelease && r.props.chart === ISTIOD_CHART);
    if (!istiod) throw new Error("no istiod release");
    istiod.props.values.meshConfig.outboundTrafficPolicy.mode = "ALLOW_ANY";
    const name = POLICY_NAMES.registryOnly;
    expect(await validateGraph(policy(name), broken, configOf("prod", name))).toHaveLength(1);
  });
});

// dev runs the pack too (npm run up), some rules advisory: as it is, it breaks none that is on.
describe("dev meets the bar it runs under", () => {
  let graph: Res[];
  beforeAll(async () => {
    graph = (await runProgram("dev", stackConfig("dev"))).resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: urnOf(r.type, r.name),
      props: r.inputs,
    }));
  });

  const enabledInDev = Object.values(POLICY_NAMES).filter(
    (name) => policyConfig("dev")[name]?.enforcementLevel !== "disabled",
  );
  it.each(enabledInDev)("dev: %s reports no violation", async (name) => {
    expect(await validateGraph(policy(name), graph, configOf("dev", name))).toEqual([]);
  });
});
