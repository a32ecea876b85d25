import { parseSettings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { settingsError } from "../support/variants";

/**
 * Every namespace the stack creates is created by one component under one name: a namespace setting
 * that names another of the stack's namespaces (a setting's, or one the components fix: istio-system,
 * argo-rollouts) would register two Namespace resources of one name. Each is refused with one problem
 * naming the setting the stack chose.
 */

type Config = Record<string, string | number | boolean>;
const problems = (config: Config, stack = "dev"): string[] =>
  settingsError({ ...stackConfig(stack), ...config }, stack).problems;
const parses = (config: Config, stack = "dev") =>
  parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);

describe("a namespace setting naming another namespace of the stack is refused", () => {
  test.each<[string, Config, string]>([
    [
      "Jaeger in the installed Prometheus's namespace",
      { tracingNamespace: "monitoring" },
      'pingpong:tracingNamespace="monitoring": expected a namespace different from pingpong:monitoringNamespace',
    ],
    [
      "the egress gateway in the ingress gateway's namespace",
      { egressNamespace: "istio-ingress" },
      'pingpong:egressNamespace="istio-ingress": expected a namespace different from pingpong:gatewayNamespace',
    ],
    [
      "the ingress gateway in the monitoring namespace",
      { gatewayNamespace: "monitoring" },
      'pingpong:gatewayNamespace="monitoring": expected a namespace different from pingpong:monitoringNamespace',
    ],
    [
      "a pingpong instance in the ingress gateway's namespace: the setting the stack chose is named",
      { namespaceA: "istio-ingress" },
      'pingpong:namespaceA="istio-ingress": expected a namespace different from pingpong:gatewayNamespace',
    ],
    [
      "the out-of-mesh namespace in Jaeger's",
      { namespaceC: "tracing" },
      'pingpong:namespaceC="tracing": expected a namespace different from pingpong:tracingNamespace',
    ],
    [
      "the monitoring namespace named after an instance's",
      { monitoringNamespace: "pingpong-b" },
      'pingpong:monitoringNamespace="pingpong-b": expected a namespace different from pingpong:namespaceB',
    ],
    [
      "the ingress gateway in istio-system, which the stack creates for the control plane",
      { gatewayNamespace: "istio-system" },
      'pingpong:gatewayNamespace="istio-system": expected a namespace of its own, not istio-system: the stack installs Istio\'s control plane there',
    ],
    [
      "an instance in istio-system",
      { namespaceB: "istio-system" },
      'pingpong:namespaceB="istio-system": expected a namespace of its own, not istio-system: the stack installs Istio\'s control plane there',
    ],
    [
      "Jaeger in argo-rollouts while canary analysis installs Argo Rollouts there",
      { tracingNamespace: "argo-rollouts" },
      'pingpong:tracingNamespace="argo-rollouts": expected a namespace of its own, not argo-rollouts: the stack installs Argo Rollouts there while pingpong:canaryAnalysis is on',
    ],
    [
      "the egress gateway in kube-system",
      { egressNamespace: "kube-system" },
      'pingpong:egressNamespace="kube-system": expected a namespace of its own, not kube-system',
    ],
    [
      "the Ingress controller's namespace equal to an instance's, with tlsTermination ingress",
      { tlsTermination: "ingress", ingressControllerNamespace: "pingpong-a" },
      'pingpong:ingressControllerNamespace="pingpong-a": expected a namespace different from pingpong:namespaceA',
    ],
  ])("%s", (_what, config, expected) => {
    expect(problems(config)).toEqual([expected]);
  });

  test("two settings the stack chose alike: the later key of the table is named", () => {
    expect(problems({ monitoringNamespace: "shared", tracingNamespace: "shared" })).toEqual([
      'pingpong:tracingNamespace="shared": expected a namespace different from pingpong:monitoringNamespace',
    ]);
  });
});

describe("a namespace that nothing creates or uses with these settings may be named again", () => {
  test.each<[string, Config]>([
    [
      "tracingNamespace while tracing is not jaeger",
      { tracing: "none", traceSamplingPercent: 0, tracingNamespace: "monitoring" },
    ],
    [
      "egressNamespace without an egress gateway",
      { egressGateway: false, egressHosts: "", egressNamespace: "istio-ingress" },
    ],
    ["argo-rollouts without canary analysis", { canaryAnalysis: false, tracingNamespace: "argo-rollouts" }],
    [
      "ingressControllerNamespace while the gateway terminates TLS",
      { ingressControllerNamespace: "pingpong-a" },
    ],
  ])("%s", (_what, config) => {
    expect(() => parses(config)).not.toThrow();
  });

  test("an existing Prometheus and Ingress controller may share a namespace: the stack creates neither", () => {
    const s = parses(
      { tlsTermination: "ingress", ingressControllerNamespace: "platform", monitoringNamespace: "platform" },
      "prod",
    );
    expect(s.namespaces.monitoring).toBe("platform");
    expect(s.tls.ingressController.namespace).toBe("platform");
  });

  test("the stack files' namespaces are all distinct", () => {
    for (const stack of ["dev", "staging", "prod"]) expect(() => parses({}, stack)).not.toThrow();
  });
});
