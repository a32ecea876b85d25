import { PRIMARY_VERSION } from "../components/workload";
import type { AddonsPlan } from "./plan-addons";
import { certificatesPlan } from "./plan-certificates";
import { imagePlan } from "./plan-image";
import type { ComponentPlan, EdgePlan } from "./plan-types";
import type { Settings } from "./settings-types";

/** The plain-data part of every component's arguments, from the settings and the plan's decisions. */

export function componentPlan(s: Settings, edge: EdgePlan, addons: AddonsPlan): ComponentPlan {
  const { mesh, observability: o, workload: w } = s;
  return {
    image: imagePlan(s),
    certificates: certificatesPlan(s, edge),
    istio: {
      version: mesh.istioVersion,
      chartSource: s.chartSource,
      externalIstiod: mesh.externalIstiod,
      trustDomain: mesh.trustDomain,
      istiodReplicas: mesh.istiodReplicas,
      accessLogs: mesh.accessLogs,
      gatewayNamespace: s.namespaces.gateway,
      gatewayServiceType: mesh.gateway.serviceType,
      gatewayReplicas: { min: mesh.gateway.minReplicas, max: mesh.gateway.maxReplicas },
      outboundTrafficPolicy: addons.outboundTrafficPolicy,
      // A Jaeger the stack installs is known once its component names its Service: index.ts adds it.
      tracing: addons.tracing?.collector,
      requests: {
        istiod: s.requests.istiod,
        proxy: s.requests.proxy,
        gateway: s.requests.gateway,
        cni: s.requests.cni,
      },
    },
    observability: {
      mode: o.monitoring,
      monitoringNamespace: s.namespaces.monitoring,
      prometheusStackVersion: o.prometheusStackVersion,
      chartSource: s.chartSource,
      accessLogs: mesh.accessLogs,
      monitorLabels: o.monitorLabels,
      dashboardNamespace: o.dashboardNamespace,
      tracing: addons.tracing && { samplingPercent: addons.tracing.samplingPercent },
      istioDashboards: addons.istioDashboards,
      requests: s.requests.monitoring,
    },
    security: {
      trustDomain: mesh.trustDomain,
      httpRules: edge.httpRules,
      scraperNamespaces: [s.namespaces.monitoring],
      meshWide: mesh.meshWideMtls,
    },
    workload: {
      version: PRIMARY_VERSION,
      replicas: w.replicas,
      autoscaling: w.autoscaling,
      pdbMinAvailable: w.pdbMinAvailable,
      // The pinger's sampling decision is the trace's: 0 when there is no backend.
      workload: { ...w, traceSamplingPercent: addons.tracing?.samplingPercent ?? 0 },
    },
  };
}
