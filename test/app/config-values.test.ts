import { hostname } from "node:os";
import { LOG_LEVELS, loadConfig, type Config } from "../../app/src/config";
import { DEFAULT_PORTS } from "../../app/src/contract";

describe("loadConfig defaults", () => {
  it("starts from documented defaults with an empty environment", () => {
    const expected: Config = {
      host: "0.0.0.0",
      port: DEFAULT_PORTS.http,
      metricsPort: DEFAULT_PORTS.metrics,
      target: undefined,
      tickMs: 1000,
      pingTimeoutMs: 2000,
      shutdownTimeoutMs: 10000,
      drainDelayMs: 0,
      logLevel: "info",
      serviceName: "pingpong",
      namespace: "default",
      podName: hostname(),
      version: "v1",
      tls: undefined,
      targetTls: undefined,
      traceSamplingPercent: 0,
    };
    expect(loadConfig({})).toEqual(expected);
  });

  it("treats empty and blank values as unset", () => {
    expect(
      loadConfig({
        PORT: "",
        METRICS_PORT: "   ",
        TARGET: " ",
        LOG_LEVEL: "",
        TLS_CERT_FILE: "",
        TRACE_SAMPLING_PERCENT: " ",
      }),
    ).toEqual(loadConfig({}));
  });

  it("reads every variable", () => {
    const config = loadConfig({
      HOST: "127.0.0.1",
      PORT: " 8081 ",
      METRICS_PORT: "9091",
      TARGET: "http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
      TICK_MS: "250",
      PING_TIMEOUT_MS: "500",
      SHUTDOWN_TIMEOUT_MS: "3000",
      DRAIN_DELAY_MS: "2999",
      LOG_LEVEL: "DEBUG",
      SERVICE_NAME: "pingpong-2",
      POD_NAMESPACE: "pingpong-a",
      POD_NAME: "pingpong-abc",
      SERVICE_VERSION: "v2",
      TRACE_SAMPLING_PERCENT: "12.5",
    });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8081,
      metricsPort: 9091,
      tickMs: 250,
      pingTimeoutMs: 500,
      shutdownTimeoutMs: 3000,
      drainDelayMs: 2999,
      logLevel: "debug",
      serviceName: "pingpong-2",
      namespace: "pingpong-a",
      podName: "pingpong-abc",
      version: "v2",
      traceSamplingPercent: 12.5,
    });
    expect(config.target?.href).toBe("http://pingpong.pingpong-b.svc.cluster.local:8080/ping");
  });

  it("allows PORT and METRICS_PORT both 0 (OS-chosen ports)", () => {
    expect(loadConfig({ PORT: "0", METRICS_PORT: "0" })).toMatchObject({ port: 0, metricsPort: 0 });
  });

  it("accepts the port bounds 0 and 65535", () => {
    expect(loadConfig({ PORT: "65535", METRICS_PORT: "0" })).toMatchObject({ port: 65535, metricsPort: 0 });
  });

  it.each(LOG_LEVELS)("accepts LOG_LEVEL %s, in any case", (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    expect(loadConfig({ LOG_LEVEL: level.toUpperCase() }).logLevel).toBe(level);
  });
});
