// Rules 6 and 7 (policy/edge.ts): LoadBalancer Services only for the ingress gateway chart, and TLS 1.2
// or later with explicit hosts on Istio Gateways.
import { chartName } from "../../policy/edge";
import { TYPES } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { validate, type Props } from "./support";

describe("loadbalancer-only-for-ingress-gateway", () => {
  const name = POLICY_NAMES.loadBalancers;
  const release = (chart: string, values: Props) => ({ name: chart, chart, values });

  it("passes ClusterIP Services and the gateway chart's LoadBalancer", async () => {
    expect(await validate(name, TYPES.service, { spec: { type: "ClusterIP" } })).toEqual([]);
    expect(
      await validate(name, TYPES.helmRelease, release("gateway", { service: { type: "LoadBalancer" } })),
    ).toEqual([]);
    expect(
      await validate(name, TYPES.helmRelease, release("istiod", { service: { type: "ClusterIP" } })),
    ).toEqual([]);
  });

  it("fails a LoadBalancer Service and any other chart exposing one, at any depth", async () => {
    expect(await validate(name, TYPES.service, { spec: { type: "LoadBalancer" } })).toHaveLength(1);
    expect(
      await validate(
        name,
        TYPES.helmRelease,
        release("kube-prometheus-stack", { grafana: { service: { type: "LoadBalancer" } } }),
      ),
    ).toEqual([expect.stringMatching(/grafana\.service\.type=LoadBalancer/)]);
  });

  it("reads chart names from repository references and local chart directories", () => {
    expect(chartName("gateway")).toBe("gateway");
    expect(chartName("istio/gateway")).toBe("gateway");
    expect(chartName("oci://registry.example/charts/gateway")).toBe("gateway");
    // A local chart directory as the program's chartSource lays them out: <dir>/<chart>/<version>.
    expect(chartName("/srv/charts/gateway/1.31.1")).toBe("gateway");
    expect(chartName("/srv/charts/istiod/1.31.0-rc.0/")).toBe("istiod");
    expect(chartName("/srv/charts/gateway")).toBe("gateway");
  });
});

describe("istio-gateway-tls", () => {
  const name = POLICY_NAMES.gatewayTls;
  const type = "kubernetes:networking.istio.io/v1:Gateway";
  /** An HTTPS server with the given TLS floor and an HTTP redirect, both listing `hosts`. */
  const gateway = (minProtocolVersion: string | undefined, hosts: string[]) => ({
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    spec: {
      servers: [
        {
          port: { number: 443, name: "https", protocol: "HTTPS" },
          hosts,
          tls: { mode: "SIMPLE", credentialName: "tls", minProtocolVersion },
        },
        { port: { number: 80, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
      ],
    },
  });

  it("passes TLS 1.2+ with explicit hosts", async () => {
    expect(await validate(name, type, gateway("TLSV1_2", ["pingpong.example.com"]))).toEqual([]);
    expect(await validate(name, type, gateway("TLSV1_3", ["istio-ingress/pingpong.example.com"]))).toEqual(
      [],
    );
  });

  it("fails an HTTPS server without TLS 1.2+, and wildcard hosts in any server", async () => {
    expect(await validate(name, type, gateway(undefined, ["pingpong.example.com"]))).toEqual([
      expect.stringMatching(/minProtocolVersion/),
    ]);
    expect(await validate(name, type, gateway("TLSV1_1", ["pingpong.example.com"]))).toHaveLength(1);
    for (const wildcard of ["*.example.com", "*", "ns/*"]) {
      const props = gateway("TLSV1_2", [wildcard]);
      // One violation per server: the HTTPS and the HTTP server both list the wildcard.
      const messages = await validate(name, type, props);
      expect(messages).toHaveLength(props.spec.servers.length);
      for (const m of messages) expect(m).toContain(`wildcard host ${JSON.stringify(wildcard)}`);
    }
  });
});
