import type { MonitoringRequests } from "../components/prometheus-stack";
import type { Requests } from "../components/types";
import { parseRequests } from "./formats";
import type { Values } from "./table";

/** What the pods of Istio and of the add-ons ask of their nodes, from checked values. */
export interface RequestSettings {
  istiod: Requests;
  /** Every injected istio-proxy sidecar. */
  proxy: Requests;
  /** The ingress and the egress gateway's pods. */
  gateway: Requests;
  /** istio-cni's node agent. */
  cni: Requests;
  /** kube-prometheus-stack's parts; one absent keeps the chart's own. */
  monitoring: MonitoringRequests;
  kiali: Requests;
  jaeger: Requests;
  argoRollouts: Requests;
}

/** A value its row has checked: `<cpu>/<memory>`. */
const checked = (raw: string): Requests => parseRequests(raw)!;
/** A value its row has checked, where empty keeps the chart's own. */
const optional = (raw: string): Requests | undefined => (raw === "" ? undefined : checked(raw));

export function requestSettings(v: Values): RequestSettings {
  return {
    istiod: checked(v.istiodRequests),
    proxy: checked(v.proxyRequests),
    gateway: checked(v.gatewayRequests),
    cni: checked(v.cniRequests),
    monitoring: {
      prometheus: optional(v.prometheusRequests),
      alertmanager: optional(v.alertmanagerRequests),
      grafana: optional(v.grafanaRequests),
      kubeStateMetrics: optional(v.kubeStateMetricsRequests),
      nodeExporter: optional(v.nodeExporterRequests),
      operator: optional(v.prometheusOperatorRequests),
    },
    kiali: checked(v.kialiRequests),
    jaeger: checked(v.jaegerRequests),
    argoRollouts: checked(v.argoRolloutsRequests),
  };
}
