/**
 * Rules on what faces outside the cluster: LoadBalancer Services only for the ingress gateway,
 * and TLS 1.2 or later with explicit hosts on Istio Gateways.
 */
import { POLICY_NAMES, resourcePolicy, stringList } from "./sdk";
import { TYPES, arr, isHelm, isIstioGateway, isObj, obj, str, type Obj } from "./resources";

// 6. No LoadBalancer Service except the ingress gateway

export interface LoadBalancerConfig {
  /** Helm charts that may expose a LoadBalancer Service. */
  allowedCharts?: string[];
}
export const DEFAULT_LOADBALANCER_CHARTS = ["gateway"];

/** Paths (dotted) of every `service` mapping with type LoadBalancer in Helm values. */
export function loadBalancerPaths(values: unknown, path = ""): string[] {
  if (Array.isArray(values)) return values.flatMap((v, i) => loadBalancerPaths(v, `${path}[${i}]`));
  if (!isObj(values)) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    const own = key === "service" && isObj(value) && value.type === "LoadBalancer" ? [`${here}.type`] : [];
    return [...own, ...loadBalancerPaths(value, here)];
  });
}

/** The last segment of a local chart directory laid out as `<chart>/<version>/` (the program's chartSource). */
const VERSION_SEGMENT = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

/**
 * A chart reference's name: `gateway` for `gateway`, `istio/gateway`, `oci://…/gateway`, or a local
 * chart directory `/srv/charts/gateway/1.31.1` (`<chartSource>/<chart>/<version>`).
 */
export function chartName(chart: string): string {
  const segments = chart.replace(/\/+$/, "").split("/");
  const last = segments.pop() ?? chart;
  return VERSION_SEGMENT.test(last) && segments.length > 0 ? (segments.pop() ?? last) : last;
}

export function checkLoadBalancers(type: string, props: Obj, config: LoadBalancerConfig = {}): string[] {
  if (type === TYPES.service) {
    return obj(props.spec).type === "LoadBalancer"
      ? ["Service of type LoadBalancer: only the Istio ingress gateway may expose one"]
      : [];
  }
  if (!isHelm(type)) return [];
  const allowed = config.allowedCharts ?? DEFAULT_LOADBALANCER_CHARTS;
  const chart = chartName(str(props.chart) ?? "");
  if (allowed.includes(chart)) return [];
  return loadBalancerPaths(props.values).map(
    (p) => `Helm chart ${JSON.stringify(chart)} sets ${p}=LoadBalancer; only ${allowed.join(", ")} may`,
  );
}

// 7. Istio Gateway TLS

export const ALLOWED_TLS_VERSIONS = ["TLSV1_2", "TLSV1_3"];

export function checkGatewayTls(type: string, props: Obj): string[] {
  if (!isIstioGateway(type)) return [];
  const out: string[] = [];
  arr(obj(props.spec).servers).forEach((s, i) => {
    const server = obj(s);
    const port = obj(server.port);
    const at = `server ${str(port.name) ?? i} (servers[${i}])`;
    const protocol = (str(port.protocol) ?? "").toUpperCase();
    const tls = obj(server.tls);
    if (protocol === "HTTPS" || (protocol === "TLS" && tls.mode !== "PASSTHROUGH")) {
      const min = str(tls.minProtocolVersion);
      if (min === undefined || !ALLOWED_TLS_VERSIONS.includes(min)) {
        out.push(`${at}: tls.minProtocolVersion must be TLSV1_2 or TLSV1_3, got ${String(min)}`);
      }
    }
    for (const host of arr(server.hosts)) {
      const h = String(host);
      // `namespace/host`: the wildcard that matters is the host's.
      const dns = h.includes("/") ? h.slice(h.indexOf("/") + 1) : h;
      if (dns.includes("*")) out.push(`${at}: wildcard host ${JSON.stringify(h)}; list explicit hosts`);
    }
  });
  return out;
}

// Policies

export const loadBalancers = resourcePolicy<LoadBalancerConfig>(
  {
    name: POLICY_NAMES.loadBalancers,
    description:
      "No Service of type LoadBalancer; a Helm release may set service.type LoadBalancer only for " +
      "the Istio ingress gateway chart.",
    severity: "high",
    configSchema: {
      properties: { allowedCharts: stringList("Chart names allowed to expose a LoadBalancer Service.") },
    },
  },
  checkLoadBalancers,
);

export const gatewayTls = resourcePolicy(
  {
    name: POLICY_NAMES.gatewayTls,
    description:
      "Istio Gateways: every HTTPS server requires TLS 1.2 or later (minProtocolVersion TLSV1_2 or " +
      "TLSV1_3), and no server lists a wildcard host.",
    severity: "high",
  },
  (type, props) => checkGatewayTls(type, props),
);
