import { parseRequests } from "../../stacks/formats";
import { parseSettings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { settingsError } from "../support/variants";

/** The requests keys (stacks/keys-sizing.ts): `<cpu>/<memory>`, within the container's limits. */

const problems = (config: Record<string, string>) => settingsError(config, "dev").problems;

test.each([
  ["10m/64Mi", { cpu: "10m", memory: "64Mi" }],
  ["1/1.5Gi", { cpu: "1", memory: "1.5Gi" }],
  ["10m/64Mi/1", undefined],
  ["10m", undefined],
  ["64Mi/10m", undefined],
  ["", undefined],
  ["10m /64Mi", undefined],
])("parseRequests(%j)", (raw, parsed) => {
  expect(parseRequests(raw)).toEqual(parsed);
});

test("a stack's own requests reach the settings; empty keeps the chart's own where it may", () => {
  const s = parseSettings(
    engineConfig({ istiodRequests: "250m/1Gi", proxyRequests: "20m/64Mi", prometheusRequests: "" }),
    "dev",
  );
  expect(s.requests.istiod).toEqual({ cpu: "250m", memory: "1Gi" });
  expect(s.requests.proxy).toEqual({ cpu: "20m", memory: "64Mi" });
  expect(s.requests.monitoring.prometheus).toBeUndefined();
  expect(s.requests.monitoring.grafana).toEqual({ cpu: "10m", memory: "96Mi" });
});

test("a request above the container's limit is refused, naming the limit", () => {
  expect(problems({ proxyRequests: "3/64Mi", jaegerRequests: "10m/1Gi", kialiRequests: "10/2Gi" })).toEqual([
    'pingpong:proxyRequests="3/64Mi": expected CPU/memory requests such as 10m/64Mi, at most its limits (cpu 2000m, memory 1024Mi)',
    'pingpong:kialiRequests="10/2Gi": expected CPU/memory requests such as 10m/64Mi, at most its limits (memory 1Gi)',
    'pingpong:jaegerRequests="10m/1Gi": expected CPU/memory requests such as 10m/64Mi, at most its limits (cpu 500m, memory 512Mi)',
  ]);
});

test("istiod, the proxies and the add-ons always ask something; only kube-prometheus-stack's parts may be left to the chart", () => {
  expect(problems({ istiodRequests: "", cniRequests: "10m", grafanaRequests: "lots" })).toEqual([
    'pingpong:istiodRequests="": expected CPU/memory requests such as 10m/64Mi',
    'pingpong:cniRequests="10m": expected CPU/memory requests such as 10m/64Mi',
    `pingpong:grafanaRequests="lots": expected CPU/memory requests such as 10m/64Mi, or empty for the chart's own (none)`,
  ]);
});
