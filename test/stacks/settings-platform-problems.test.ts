import { CLUSTER_SETTINGS, settingsError } from "../support/variants";

/**
 * One bad platform value (namespaces, image, mesh, observability), one problem naming key, value
 * and expectation; several problems are reported together.
 */

type Raw = Record<string, string | number | boolean>;
/** What staging and prod have no default for. */
const CLUSTER = CLUSTER_SETTINGS;
const problems = (values: Raw, stack: string): string[] => settingsError(values, stack).problems;

describe("parseSettings: one bad platform value, one problem naming key, value and expectation", () => {
  const cases: Array<[string, string, Raw, string]> = [
    [
      "two instances in one namespace",
      "dev",
      { namespaceB: "pingpong-a" },
      'pingpong:namespaceB="pingpong-a": expected a namespace different from pingpong:namespaceA',
    ],
    [
      "the out-of-mesh namespace equal to an instance's",
      "dev",
      { namespaceC: "pingpong-b" },
      'pingpong:namespaceC="pingpong-b": expected a namespace different from pingpong:namespaceB',
    ],
    [
      "a system namespace",
      "dev",
      { namespaceC: "kube-system" },
      'pingpong:namespaceC="kube-system": expected a namespace of its own, not kube-system',
    ],
    [
      "the default namespace",
      "dev",
      { namespaceA: "default" },
      'pingpong:namespaceA="default": expected a namespace of its own, not default',
    ],
    [
      "a namespace that is not a DNS label",
      "dev",
      { namespaceA: "Pingpong_A" },
      'pingpong:namespaceA="Pingpong_A": expected a DNS label',
    ],
    [
      "a namespace longer than 63 characters",
      "dev",
      { namespaceB: "b".repeat(64) },
      `pingpong:namespaceB="${"b".repeat(64)}": expected a DNS label`,
    ],
    [
      "a monitoring namespace that is not a DNS label",
      "dev",
      { monitoringNamespace: "-mon" },
      'pingpong:monitoringNamespace="-mon": expected a DNS label',
    ],
    [
      "a registry with a scheme",
      "dev",
      { registry: "https://ghcr.io" },
      'pingpong:registry="https://ghcr.io": expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme',
    ],
    [
      "an uppercase repository",
      "dev",
      { imageRepository: "PingPong" },
      'pingpong:imageRepository="PingPong": expected a lowercase repository name',
    ],
    [
      "a Windows image platform",
      "dev",
      { imagePlatform: "windows/amd64" },
      'pingpong:imagePlatform="windows/amd64": expected linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le or linux/s390x',
    ],
    [
      "registryUsername without registryPassword",
      "dev",
      { registryUsername: "bot" },
      "pingpong:registryPassword=<unset>: expected a value, because registryUsername is set",
    ],
    [
      "registryPassword without registryUsername",
      "dev",
      { registryPassword: "s3cret-token" },
      "pingpong:registryUsername=<unset>: expected a value, because registryPassword is set",
    ],
    [
      "an empty registry password while a user name is set",
      "dev",
      { registryUsername: "bot", registryPassword: "" },
      'pingpong:registryPassword="": expected a password or token, not empty, because registryUsername is set',
    ],
    [
      "an empty registry user name while a password is set",
      "dev",
      { registryUsername: "", registryPassword: "s3cret-token" },
      'pingpong:registryUsername="": expected a user name, not empty, because registryPassword is set',
    ],
    [
      "an empty kubeContext where the environment has none of its own (the current context would be used)",
      "prod",
      { ...CLUSTER, kubeContext: "" },
      'pingpong:kubeContext="": expected the kubeconfig context of the prod cluster',
    ],
    [
      "an empty kubeContext in staging",
      "staging",
      { ...CLUSTER, kubeContext: "" },
      'pingpong:kubeContext="": expected the kubeconfig context of the staging cluster',
    ],
    [
      "an empty kubeContext in dev, in place of the kind cluster's",
      "dev",
      { kubeContext: " " },
      'pingpong:kubeContext=" ": expected the kubeconfig context of the dev cluster',
    ],
    [
      "an empty kubeconfig (an empty secret is shown: there is nothing to hide)",
      "prod",
      { ...CLUSTER, kubeconfig: "" },
      'pingpong:kubeconfig="": expected the path of a kubeconfig file or its contents (unset: KUBECONFIG or ~/.kube/config)',
    ],
    [
      "a host listed twice in ingressHosts",
      "dev",
      { ingressHosts: "pingpong.localtest.me,api.localtest.me,pingpong.localtest.me" },
      'pingpong:ingressHosts="pingpong.localtest.me,api.localtest.me,pingpong.localtest.me": expected comma-separated fully qualified host names, no wildcards, each once; "pingpong.localtest.me" is listed twice',
    ],
    [
      "environment qa",
      "dev",
      { environment: "qa" },
      'pingpong:environment="qa": expected one of dev, staging, prod',
    ],
    [
      "a stack named after no environment, without pingpong:environment",
      "feature-x",
      {},
      'pingpong:environment (from the stack name)="feature-x": expected one of dev, staging, prod',
    ],
    [
      "an istiod minimum above its maximum (the chart would render an autoscaler the API refuses)",
      "prod",
      { ...CLUSTER, istiodReplicas: 6 },
      "pingpong:istiodReplicas=6: expected at most pingpong:istiodMaxReplicas (5)",
    ],
    [
      "trace sampling without a tracing backend",
      "dev",
      { tracing: "none", traceSamplingPercent: 10 },
      "pingpong:traceSamplingPercent=10: expected 0 while pingpong:tracing is none: sampled spans would go nowhere",
    ],
    [
      "PodMonitors without the labels an existing Prometheus selects them by",
      "prod",
      { ...CLUSTER, monitorLabels: "" },
      'pingpong:monitorLabels="": expected the labels your Prometheus selects PodMonitors by (e.g. release=kube-prometheus-stack) when pingpong:monitoring is podmonitors',
    ],
    [
      "monitor labels that are not key=value labels",
      "prod",
      { ...CLUSTER, monitorLabels: "release" },
      'pingpong:monitorLabels="release": expected comma-separated key=value Kubernetes labels, e.g. release=kube-prometheus-stack',
    ],
    [
      "a dashboard namespace that is not a DNS label",
      "prod",
      { ...CLUSTER, grafanaDashboardNamespace: "Grafana" },
      'pingpong:grafanaDashboardNamespace="Grafana": expected a DNS label, or empty for no dashboard',
    ],
  ];

  test.each(cases)("%s", (_what, stack, values, expected) => {
    const err = settingsError(values, stack);
    expect(err.problems).toEqual([expected]);
    expect(err.name).toBe("SettingsError");
    expect(err.message).toBe(`invalid stack configuration:\n  - ${expected}`);
  });

  test.each([
    ["replica", "replicas"],
    ["kubecontext", "kubeContext"],
    ["tracingColector", "tracingCollector"],
    ["registryPasword", "registryPassword"],
    ["namespaceD", "namespaceA"],
    ["ingresHost", "ingressHosts"],
  ])("an unknown key %s is named with the closest known key, %s, never with its value", (typo, closest) => {
    const secret = "s3cret-token";
    const [problem, ...others] = problems({ [typo]: secret }, "dev");
    expect(others).toEqual([]);
    expect(problem).toBe(`pingpong:${typo}: unknown key; did you mean pingpong:${closest}?`);
  });

  test("an unknown key close to no known key is not given a guess, nor the list of every key", () => {
    const [problem, ...others] = problems({ colour: "blue" }, "dev");
    expect(others).toEqual([]);
    expect(problem).toBe(
      "pingpong:colour: unknown key; expected a key of the settings table (docs/configuration.md)",
    );
    expect(problem.length).toBeLessThan(120);
  });

  test.each(["system:masters", "system:authenticated", "system:serviceaccounts"])(
    "operatorGroup %s: a built-in group is refused",
    (group) => {
      const [problem, ...others] = problems({ operatorGroup: group }, "dev");
      expect(others).toEqual([]);
      expect(problem).toMatch(new RegExp(`^pingpong:operatorGroup=${JSON.stringify(group)}: expected `));
    },
  );

  test("an empty operatorGroup is refused", () => {
    expect(problems({ operatorGroup: "  " }, "dev")).toEqual([
      'pingpong:operatorGroup="  ": expected a group of your own (not empty, not a built-in system: group)',
    ]);
  });

  test("the registry password never appears in a problem", () => {
    const err = settingsError({ registryPassword: "s3cret-token", replicas: 0 }, "dev");
    expect(err.problems).toHaveLength(2);
    expect(err.message).not.toContain("s3cret-token");
  });
});

describe("parseSettings: several problems are reported together", () => {
  test("every problem of the stack, each on its own line", () => {
    const err = settingsError(
      {
        replica: 2,
        replicas: 0,
        logLevel: "loud",
        registry: "https://ghcr.io",
        cpuRequest: "2",
        namespaceB: "pingpong-a",
      },
      "dev",
    );
    const expected = [
      "pingpong:replica: unknown key; did you mean pingpong:replicas?",
      'pingpong:registry="https://ghcr.io": expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme',
      'pingpong:namespaceB="pingpong-a": expected a namespace different from pingpong:namespaceA',
      "pingpong:replicas=0: expected a replica count from 1 to 100",
      'pingpong:cpuRequest="2": expected at most pingpong:cpuLimit (250m)',
      'pingpong:logLevel="loud": expected one of fatal, error, warn, info, debug, trace',
    ];
    expect([...err.problems].sort()).toEqual([...expected].sort());
    for (const p of expected) expect(err.message).toContain(`\n  - ${p}`);
  });

  test("type errors are reported with a bad environment", () => {
    expect(problems({ replicas: "three", autoscaling: "yes" }, "qa")).toEqual([
      'pingpong:replicas="three": expected an integer',
      'pingpong:autoscaling="yes": expected true or false',
      'pingpong:environment (from the stack name)="qa": expected one of dev, staging, prod',
    ]);
  });
});
