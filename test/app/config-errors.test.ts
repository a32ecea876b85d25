import { LOG_LEVELS, loadConfig } from "../../app/src/config";
import { DEFAULT_PORTS } from "../../app/src/contract";
import { configError, expectRefused, quoted, type BadCase } from "../support/config-errors";

/** What loadConfig makes of an empty environment. */
const DEFAULTS = loadConfig({});

const BAD: BadCase[] = [
  {
    name: "PORT not a number",
    env: () => ({ PORT: "abc" }),
    variable: "PORT",
    shown: quoted("abc"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "PORT above 65535",
    env: () => ({ PORT: "70000" }),
    variable: "PORT",
    shown: quoted("70000"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "PORT negative",
    env: () => ({ PORT: "-1" }),
    variable: "PORT",
    shown: quoted("-1"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "METRICS_PORT not a number",
    env: () => ({ METRICS_PORT: "9090x" }),
    variable: "METRICS_PORT",
    shown: quoted("9090x"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "METRICS_PORT equal to PORT",
    env: () => ({ PORT: "8080", METRICS_PORT: "8080" }),
    variable: "METRICS_PORT",
    shown: quoted("8080"),
    expected: "a port different from PORT (8080)",
  },
  {
    name: "METRICS_PORT equal to the default PORT",
    env: () => ({ METRICS_PORT: String(DEFAULT_PORTS.http) }),
    variable: "METRICS_PORT",
    shown: quoted(String(DEFAULT_PORTS.http)),
    expected: `a port different from PORT (${DEFAULT_PORTS.http})`,
  },
  {
    name: "TICK_MS zero",
    env: () => ({ TICK_MS: "0" }),
    variable: "TICK_MS",
    shown: quoted("0"),
    expected: "the ping interval in milliseconds (an integer from 1 to ",
  },
  {
    name: "TICK_MS fractional",
    env: () => ({ TICK_MS: "1.5" }),
    variable: "TICK_MS",
    shown: quoted("1.5"),
    expected: "the ping interval in milliseconds (an integer from 1 to ",
  },

  {
    name: "PING_TIMEOUT_MS zero",
    env: () => ({ PING_TIMEOUT_MS: "0" }),
    variable: "PING_TIMEOUT_MS",
    shown: quoted("0"),
    expected: "the ping timeout in milliseconds (an integer from 1 to ",
  },
  {
    name: "SHUTDOWN_TIMEOUT_MS not a number",
    env: () => ({ SHUTDOWN_TIMEOUT_MS: "x" }),
    variable: "SHUTDOWN_TIMEOUT_MS",
    shown: quoted("x"),
    expected: "the shutdown deadline in milliseconds (an integer from 1 to ",
  },
  {
    name: "DRAIN_DELAY_MS equal to SHUTDOWN_TIMEOUT_MS",
    env: () => ({ DRAIN_DELAY_MS: "5000", SHUTDOWN_TIMEOUT_MS: "5000" }),
    variable: "DRAIN_DELAY_MS",
    shown: quoted("5000"),
    expected: "less than SHUTDOWN_TIMEOUT_MS (5000)",
  },
  {
    name: "DRAIN_DELAY_MS above the default SHUTDOWN_TIMEOUT_MS",
    env: () => ({ DRAIN_DELAY_MS: String(DEFAULTS.shutdownTimeoutMs + 1) }),
    variable: "DRAIN_DELAY_MS",
    shown: quoted(String(DEFAULTS.shutdownTimeoutMs + 1)),
    expected: `less than SHUTDOWN_TIMEOUT_MS (${DEFAULTS.shutdownTimeoutMs})`,
  },
  {
    name: "DRAIN_DELAY_MS negative",
    env: () => ({ DRAIN_DELAY_MS: "-5" }),
    variable: "DRAIN_DELAY_MS",
    shown: quoted("-5"),
    expected: "the drain delay in milliseconds (an integer from 0 to ",
  },
  {
    name: "LOG_LEVEL unknown",
    env: () => ({ LOG_LEVEL: "loud" }),
    variable: "LOG_LEVEL",
    shown: quoted("loud"),
    expected: `one of ${LOG_LEVELS.join(", ")}`,
  },
  {
    name: "TARGET with another scheme",
    env: () => ({ TARGET: "ftp://x" }),
    variable: "TARGET",
    shown: quoted("ftp://x"),
    expected: "an absolute http:// or https:// URL with a host",
  },
  {
    name: "TARGET not a URL",
    env: () => ({ TARGET: "not a url" }),
    variable: "TARGET",
    shown: quoted("not a url"),
    expected: "an absolute http:// or https:// URL, e.g. ",
  },
  {
    name: "TARGET relative",
    env: () => ({ TARGET: "/ping" }),
    variable: "TARGET",
    shown: quoted("/ping"),
    expected: "an absolute http:// or https:// URL",
  },
  {
    name: "TARGET with credentials",
    env: () => ({ TARGET: "http://user:secret@pingpong-b:8080/ping" }),
    variable: "TARGET",
    shown: quoted("http://user:secret@pingpong-b:8080/ping"),
    expected: "a URL without credentials",
  },
  {
    name: "TARGET with a user name only",
    env: () => ({ TARGET: "http://user@pingpong-b:8080/ping" }),
    variable: "TARGET",
    shown: quoted("http://user@pingpong-b:8080/ping"),
    expected: "a URL without credentials",
  },
  {
    name: "SERVICE_NAME with capitals and underscore",
    env: () => ({ SERVICE_NAME: "Bad_Name" }),
    variable: "SERVICE_NAME",
    shown: quoted("Bad_Name"),
    expected: "a DNS label (lowercase letters, digits and '-')",
  },
  {
    name: "SERVICE_NAME ending with '-'",
    env: () => ({ SERVICE_NAME: "pingpong-" }),
    variable: "SERVICE_NAME",
    shown: quoted("pingpong-"),
    expected: "a DNS label",
  },
  {
    name: "SERVICE_VERSION with a character no HTTP header may carry",
    env: () => ({ SERVICE_VERSION: "v1\u2014beta" }),
    variable: "SERVICE_VERSION",
    shown: quoted("v1\u2014beta"),
    expected: "a version label such as v1",
  },
  {
    name: "POD_NAMESPACE with capitals",
    env: () => ({ POD_NAMESPACE: "Pingpong" }),
    variable: "POD_NAMESPACE",
    shown: quoted("Pingpong"),
    expected: "a Kubernetes namespace name",
  },
  {
    name: "POD_NAME with a space",
    env: () => ({ POD_NAME: "pod 1" }),
    variable: "POD_NAME",
    shown: quoted("pod 1"),
    expected: "a pod name",
  },
  ...["0.0.0.0:8080", "[::1]", "not a host", "300.1.1.1", "-pingpong", "host_name", "a..b"].map(
    (host): BadCase => ({
      name: `HOST ${JSON.stringify(host)}: neither an IP address nor a host name`,
      env: () => ({ HOST: host }),
      variable: "HOST",
      shown: quoted(host),
      expected: "an IP address or host name to listen on, e.g. 0.0.0.0, :: or 127.0.0.1",
    }),
  ),
];

describe("loadConfig rejects bad values", () => {
  it.each(BAD)("$name", (bad) => expectRefused(bad));

  it("reports the first bad variable in a fixed order", () => {
    expect(configError({ PORT: "abc", TICK_MS: "0", LOG_LEVEL: "loud" }).variable).toBe("PORT");
    expect(configError({ TICK_MS: "0", LOG_LEVEL: "loud" }).variable).toBe("TICK_MS");
  });

  it("shows the raw value, not the trimmed one", () => {
    expect(configError({ PORT: " abc " }).message).toBe(
      'invalid configuration: PORT=" abc ": expected a TCP port (an integer from 0 to 65535)',
    );
  });

  it.each(["0.0.0.0", "::", "127.0.0.1", "::1", "fe80::1", "localhost", "pingpong-0.pingpong.svc"])(
    "takes HOST %j, an IP address or host name",
    (host) => {
      expect(loadConfig({ HOST: host }).host).toBe(host);
    },
  );

  it("gives an example of a TARGET it accepts", () => {
    const example = /, e\.g\. (\S+)$/.exec(configError({ TARGET: "not a url" }).expected)?.[1];
    expect(example).toBeDefined();
    expect(loadConfig({ TARGET: example }).target?.href).toBe(example);
  });
});
