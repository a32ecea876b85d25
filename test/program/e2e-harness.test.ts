// The pure parts of the end-to-end suite (test/e2e/): no network, no cluster, no pulumi process.
import { kialiUrl } from "../../components/kiali";
import { JAEGER_PORTS, jaegerServiceName } from "../../components/tracing";
import {
  CHECKS,
  DOCKER_DAEMON,
  EXIT,
  exitCodeFor,
  firstIngress,
  formatResult,
  judgeExit,
  judgeVerification,
  missingPrerequisites,
  missingReport,
  notRunResults,
  onPathLookup,
  parseOutputs,
  prometheusValue,
  serviceEndpoint,
  summaryLine,
  type CheckResult,
} from "../e2e/harness";

const onPathExcept =
  (...absent: string[]) =>
  (command: string) =>
    !absent.includes(command);
const daemonUp = () => true;
const daemonDown = () => false;

describe("prerequisites", () => {
  it("finds nothing missing when every tool is there and docker answers", () => {
    expect(missingPrerequisites(onPathExcept(), daemonUp)).toEqual([]);
  });

  it("names each missing tool and what to install, then the not-run line, with exit code 2", () => {
    const report = missingReport(missingPrerequisites(onPathExcept("pulumi", "kind"), daemonUp));
    expect(report.lines).toEqual([
      "missing prerequisite: pulumi (install Pulumi CLI 3.x: https://www.pulumi.com/docs/install/)",
      "missing prerequisite: kind (install kind, the release stacks/kind/cluster.yaml names (kind-release) or later: https://kind.sigs.k8s.io/docs/user/quick-start/#installation)",
      "e2e: not run (missing: pulumi, kind)",
    ]);
    expect(report.exitCode).toBe(2);
    expect(report.exitCode).toBe(EXIT.notRun);
  });

  it("reports every tool when the PATH is empty, and does not ask a missing docker for its daemon", () => {
    const daemon = jest.fn(() => true);
    const report = missingReport(
      missingPrerequisites(
        onPathLookup("", () => true),
        daemon,
      ),
    );
    expect(daemon).not.toHaveBeenCalled();
    expect(report.lines).toEqual([
      "missing prerequisite: pulumi (install Pulumi CLI 3.x: https://www.pulumi.com/docs/install/)",
      "missing prerequisite: docker (install Docker with BuildKit: https://docs.docker.com/engine/install/)",
      "missing prerequisite: kind (install kind, the release stacks/kind/cluster.yaml names (kind-release) or later: https://kind.sigs.k8s.io/docs/user/quick-start/#installation)",
      "missing prerequisite: kubectl (install kubectl: https://kubernetes.io/docs/tasks/tools/)",
      "e2e: not run (missing: pulumi, docker, kind, kubectl)",
    ]);
    expect(report.exitCode).toBe(2);
  });

  it("reports a docker CLI whose engine does not answer", () => {
    const missing = missingPrerequisites(onPathExcept(), daemonDown);
    expect(missing).toEqual([DOCKER_DAEMON]);
    const report = missingReport(missing);
    expect(report.lines.at(-1)).toBe("e2e: not run (missing: docker daemon)");
    expect(report.lines[0]).toMatch(/^missing prerequisite: docker daemon \(install a running Docker engine/);
    expect(report.exitCode).toBe(2);
  });

  it("looks commands up in every PATH directory", () => {
    const files = new Set(["/usr/local/bin/pulumi", "/opt/bin/kind"]);
    const lookup = onPathLookup("/usr/local/bin/:/opt/bin::/usr/bin", (f) => files.has(f));
    expect(["pulumi", "kind", "kubectl"].map(lookup)).toEqual([true, true, false]);
    expect(onPathLookup(undefined, () => true)("pulumi")).toBe(false);
  });

  it("refuses to build a missing-prerequisites report with nothing missing", () => {
    expect(() => missingReport([])).toThrow();
  });
});

describe("report", () => {
  const pass = (name: string): CheckResult => ({ name, status: "pass", detail: "ok" });
  const fail = (name: string): CheckResult => ({ name, status: "fail", detail: "boom" });

  it("formats PASS, FAIL and NOT RUN lines", () => {
    expect(formatResult(pass("x"))).toBe("PASS x: ok");
    expect(formatResult(fail("x"))).toBe("FAIL x: boom");
    expect(formatResult({ name: "x", status: "not-run", detail: "" })).toBe("NOT RUN x");
  });

  it("counts passes and failures", () => {
    const results = [pass("a"), pass("b"), fail("c")];
    expect(summaryLine(results)).toBe("e2e: 2 passed, 1 failed");
    expect(exitCodeFor(results)).toBe(1);
    expect(summaryLine([pass("a"), pass("b")])).toBe("e2e: 2 passed, 0 failed");
    expect(exitCodeFor([pass("a"), pass("b")])).toBe(0);
  });

  it("never counts checks that did not run as passed", () => {
    const ran = [pass(CHECKS[0].title)];
    const results = [...ran, ...notRunResults(ran, "not run: up failed")];
    expect(results).toHaveLength(CHECKS.length);
    expect(results.slice(1).every((r) => r.status === "not-run")).toBe(true);
    expect(summaryLine(results, CHECKS.length)).toBe(
      `e2e: 1 passed, ${CHECKS.length - 1} failed (${CHECKS.length - 1} not run)`,
    );
    expect(exitCodeFor(results, CHECKS.length)).toBe(1);
  });

  it("counts expected checks missing from the results as failed, not run", () => {
    expect(summaryLine([pass("a")], 5)).toBe("e2e: 1 passed, 4 failed (4 not run)");
    expect(exitCodeFor([pass("a")], 5)).toBe(1);
    expect(summaryLine([], 5)).toBe("e2e: 0 passed, 5 failed (5 not run)");
    expect(exitCodeFor([], 5)).toBe(1);
  });

  it("never exits 0 when nothing ran", () => {
    expect(summaryLine([])).toBe("e2e: 0 passed, 0 failed");
    expect(exitCodeFor([])).toBe(1);
  });
});

describe("stack outputs", () => {
  const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const outputs = {
    verificationResults: {
      value: {
        "a-to-b": { expected: "success", passed: true },
        "c-to-a": { expected: "failure", passed: true },
      },
    },
    pingUrls: {
      value: {
        a: "http://pingpong.pingpong-a.svc.cluster.local:8080/ping",
        b: "http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
      },
    },
    ingress: { value: { urls: ["https://pingpong.localtest.me/ping"], gatewayNamespace: "istio-ingress" } },
    caCertificatePem: { value: CA, secret: false },
    namespaces: { value: { a: "pingpong-a", b: "pingpong-b", c: "pingpong-c" } },
    // The values stacks/outputs.ts takes from the Jaeger and Kiali components in dev.
    jaeger: {
      value: {
        url: `http://${jaegerServiceName()}.tracing:${JAEGER_PORTS.httpQuery}`,
        portForward: "kubectl -n tracing port-forward svc/jaeger 16686:16686",
      },
    },
    kiali: {
      value: {
        url: kialiUrl("monitoring"),
        portForward: "kubectl -n monitoring port-forward svc/kiali 20001:20001",
      },
    },
  };

  it("parses what the checks need", () => {
    const facts = parseOutputs(outputs);
    expect(facts.pingUrls.b).toBe("http://pingpong.pingpong-b.svc.cluster.local:8080/ping");
    expect(facts.namespaces).toEqual({ a: "pingpong-a", b: "pingpong-b", c: "pingpong-c" });
    expect(facts.ingressUrls).toEqual(["https://pingpong.localtest.me/ping"]);
    expect(facts.caCertificatePem).toBe(CA);
    expect(facts.jaeger).toEqual({ service: "jaeger", namespace: "tracing", port: 16686, path: "" });
    expect(facts.kiali).toEqual({ service: "kiali", namespace: "monitoring", port: 20001, path: "/kiali" });
    expect(judgeVerification(facts.verificationResults)).toEqual({
      pass: true,
      detail: "a-to-b, c-to-a passed",
    });
  });

  it("names every missing or malformed output", () => {
    expect(() => parseOutputs({})).toThrow(
      /verificationResults.*pingUrls.*namespaces.*jaeger.*kiali.*ingress\.urls.*caCertificatePem/,
    );
    expect(() => parseOutputs({ ...outputs, pingUrls: { value: { a: "x" } } })).toThrow(/pingUrls/);
    expect(() => parseOutputs({ ...outputs, namespaces: { value: { a: "pingpong-a" } } })).toThrow(
      /namespaces/,
    );
    expect(() => parseOutputs({ ...outputs, kiali: { value: { url: "http://kiali:20001/kiali" } } })).toThrow(
      /kiali\.url: .*<service>\.<namespace>/,
    );
  });

  it("takes a null jaeger or kiali output as not installed", () => {
    const facts = parseOutputs({ ...outputs, jaeger: { value: null }, kiali: { value: null } });
    expect(facts.jaeger).toBeNull();
    expect(facts.kiali).toBeNull();
  });

  it("reads the Service, namespace, port and path of an in-cluster URL", () => {
    expect(serviceEndpoint("http://jaeger.tracing.svc.cluster.local:16686/")).toEqual({
      service: "jaeger",
      namespace: "tracing",
      port: 16686,
      path: "",
    });
    expect(() => serviceEndpoint("http://kiali.monitoring/kiali")).toThrow(/<port>/);
  });

  it("fails verification when a Job failed or none ran", () => {
    expect(judgeVerification({ "a-to-b": { expected: "success", passed: false } })).toEqual({
      pass: false,
      detail: "failed: a-to-b",
    });
    expect(judgeVerification({}).pass).toBe(false);
  });

  it("takes the host of the first ingress URL", () => {
    expect(firstIngress(["https://pingpong.localtest.me/ping", "https://x.example/ping"])).toEqual({
      host: "pingpong.localtest.me",
      path: "/ping",
    });
    expect(() => firstIngress([])).toThrow(/empty/);
  });
});

describe("verdicts", () => {
  it("sums a Prometheus instant query and rejects empty or malformed answers", () => {
    const answer = (result: unknown) => ({ status: "success", data: { resultType: "vector", result } });
    expect(prometheusValue(answer([{ metric: {}, value: [1700000000.1, "42"] }]))).toBe(42);
    expect(prometheusValue(answer([]))).toBeNull();
    expect(prometheusValue({ status: "error" })).toBeNull();
    expect(prometheusValue(answer([{ value: [1, "NaN"] }]))).toBeNull();
    expect(prometheusValue("nope")).toBeNull();
  });

  it("compares exit codes, treating a timeout as a failure", () => {
    expect(judgeExit(56, 56, "curl: (56) Recv failure: Connection reset by peer\n").pass).toBe(true);
    expect(judgeExit(0, 56, "").detail).toBe("expected exit 56, got exit 0");
    expect(judgeExit(null, 0, "").detail).toBe("expected exit 0, got a timeout or signal");
  });
});

describe("test/e2e/e2e.ts", () => {
  it("does not run the suite when imported", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const mod = await import("../e2e/e2e");
      expect(typeof mod.main).toBe("function");
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });
});
