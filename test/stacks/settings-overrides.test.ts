import { CLUSTER_SETTINGS } from "../support/variants";
import { parseLabels, parseSettings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig, stackConfigValues } from "../support/stack-files";

/** Stack values over the defaults: how they are typed, what they switch, what stays safe. */

/** What staging and prod have no default for. */
const CLUSTER = CLUSTER_SETTINGS;

describe("parseSettings: stack values over the defaults", () => {
  test("stack values override the defaults, typed from their strings", () => {
    const s = parseSettings(
      engineConfig({
        replicas: "3",
        autoscaling: "true",
        hpaMinReplicas: "2",
        hpaMaxReplicas: "5",
        pdbMinAvailable: "1",
        networkPolicy: "false",
        logLevel: "warn",
        registryUsername: "bot",
        registryPassword: "s3cret",
        imagePlatform: "linux/arm64",
        kubeconfig: "/tmp/kubeconfig",
      }),
      "dev",
    );
    expect(s.workload.replicas).toBe(3);
    expect(s.workload.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 5, cpuUtilization: 80 });
    expect(s.workload.pdbMinAvailable).toBe(1);
    expect(s.networkPolicy).toBe(false);
    expect(s.workload.logLevel).toBe("warn");
    expect(s.image.credentials).toEqual({ username: "bot", password: "s3cret" });
    expect(s.image.platform).toBe("linux/arm64");
    expect(s.cluster).toEqual({ kubeconfig: "/tmp/kubeconfig", context: "kind-pingpong" });
  });

  test("pdbMinAvailable 0 means no budget", () => {
    expect(
      parseSettings(engineConfig({ ...CLUSTER, pdbMinAvailable: 0 }), "prod").workload.pdbMinAvailable,
    ).toBeUndefined();
  });

  test("a request equal to its limit is accepted (Guaranteed QoS)", () => {
    const s = parseSettings(engineConfig({ cpuRequest: "250m", memoryRequest: "128Mi" }), "dev");
    expect(s.workload.resources).toEqual({
      cpuRequest: "250m",
      cpuLimit: "250m",
      memoryRequest: "128Mi",
      memoryLimit: "128Mi",
    });
  });

  test("keys of other namespaces are ignored", () => {
    const s = parseSettings(
      engineConfig({
        "kubernetes:context": "elsewhere",
        "docker:host": "tcp://127.0.0.1:2375",
        "pulumi:tags": "{}",
      }),
      "dev",
    );
    expect(s.cluster.context).toBe("kind-pingpong");
  });

  test("a stack named after no environment picks one with pingpong:environment", () => {
    const s = parseSettings(engineConfig({ ...CLUSTER, environment: "prod" }), "prod-eu");
    expect(s.environment).toBe("prod");
    expect(s.stack).toBe("prod-eu");
    expect(s.workload.autoscaling).toEqual({ minReplicas: 3, maxReplicas: 10, cpuUtilization: 60 });
    expect(s.workload.pdbMinAvailable).toBe(2);
    expect(s.workload.spreadPolicy).toBe("DoNotSchedule");
  });
});

describe("parseSettings: safety outside dev", () => {
  test("staging and prod never fall back to the current kubeconfig context", () => {
    for (const env of ["staging", "prod"] as const) {
      expect(() => parseSettings({ "pingpong:registry": "ghcr.io/acme" }, env)).toThrow(
        `pingpong:kubeContext=<unset>: expected the kubeconfig context of the ${env} cluster`,
      );
    }
    expect(parseSettings({}, "dev").cluster.context).toBe("kind-pingpong");
  });

  test.each(["staging", "prod"])(
    "%s serves only the hosts the stack names: no placeholder default for ingressHosts",
    (env) => {
      const { ingressHosts: _hosts, ...rest } = CLUSTER;
      expect(() => parseSettings(engineConfig(rest), env)).toThrow(
        "pingpong:ingressHosts=<unset>: expected comma-separated fully qualified host names, no wildcards, each once",
      );
      const hosts = String(stackConfigValues(env)["pingpong:ingressHosts"]);
      expect(parseSettings(stackConfig(env), env).tls.hosts).toEqual(hosts.split(","));
    },
  );

  test("a negative disruption budget is refused as negative, not as blocking evictions", () => {
    expect(() => parseSettings({ "pingpong:pdbMinAvailable": "-1" }, "dev")).toThrow(
      "pingpong:pdbMinAvailable=-1: expected 0 (no budget) or a positive count",
    );
  });

  test("a built-in system: group is refused with a message saying so", () => {
    expect(() => parseSettings({ "pingpong:operatorGroup": "system:masters" }, "dev")).toThrow(
      'pingpong:operatorGroup="system:masters": expected a group of your own (not empty, not a built-in system: group)',
    );
  });
});

describe("monitoring settings", () => {
  test("monitor labels parse into a label map; the dashboard follows monitoringNamespace unless set", () => {
    const s = parseSettings(
      engineConfig({
        ...CLUSTER,
        monitorLabels: "release=prom, team=platform",
        monitoringNamespace: "observability",
      }),
      "prod",
    );
    expect(s.observability.monitorLabels).toEqual({ release: "prom", team: "platform" });
    expect(s.observability.dashboardNamespace).toBe("observability");
    const grafana = parseSettings(engineConfig({ ...CLUSTER, grafanaDashboardNamespace: "grafana" }), "prod");
    expect(grafana.observability.dashboardNamespace).toBe("grafana");
  });

  test("an empty dashboard namespace, or monitoring=none, means no dashboard", () => {
    expect(
      parseSettings(engineConfig({ ...CLUSTER, grafanaDashboardNamespace: "" }), "prod").observability
        .dashboardNamespace,
    ).toBeUndefined();
    expect(
      parseSettings(engineConfig({ ...CLUSTER, monitoring: "none" }), "prod").observability
        .dashboardNamespace,
    ).toBeUndefined();
  });

  test.each(["a=b=c", "=x", "a=b,a=c", "bad key=x", `k=${"v".repeat(64)}`])(
    "%s is not a label list",
    (labels) => {
      expect(parseLabels(labels)).toBeUndefined();
    },
  );

  test("equal istiod bounds mean a fixed replica count", () => {
    const s = parseSettings(engineConfig({ ...CLUSTER, istiodReplicas: 3, istiodMaxReplicas: 3 }), "prod");
    expect(s.mesh.istiodReplicas).toEqual({ min: 3, max: 3 });
  });
});
