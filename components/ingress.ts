import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../app/src/contract";
import type { GatewaySpec, HttpRoute, VirtualServiceSpec } from "./crds";
import { standardLabels } from "./labels";
import { PORTS, serviceHost } from "./workload";

export const TLS_SECRET_NAME = "pingpong-tls";
export const GATEWAY_NAME = "pingpong";

/** The Service HTTPS traffic ends up at. */
export interface Backend {
  namespace: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
}

/** Gateway spec: HTTPS on 443 for exactly `hosts`, TLS 1.2 or later; HTTP on 80 only redirects. */
export function gatewaySpec(
  hosts: string[],
  selector: Record<string, string>,
  credentialName: string,
): GatewaySpec {
  return {
    selector,
    servers: [
      {
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts,
        tls: { mode: "SIMPLE", credentialName, minProtocolVersion: "TLSV1_2" },
      },
      { port: { number: 80, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
    ],
  };
}

/** Builds the HTTP routes to the backend host (its Service's cluster DNS name). */
export type RouteBuilder = (backendHost: string) => HttpRoute[];

export function virtualServiceSpec(
  hosts: string[],
  gateway: string,
  backendHost: string,
  routes: RouteBuilder,
): VirtualServiceSpec {
  return { hosts, gateways: [gateway], http: routes(backendHost) };
}

export interface IstioIngressArgs {
  hosts: string[];
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
  /** Namespace of the gateway deployment: credentialName resolves there only. */
  gatewayNamespace: pulumi.Input<string>;
  /** Labels of the gateway pods (see gatewayPodLabels). */
  gatewaySelector: Record<string, string>;
  backend: Backend;
  /** Routes to the backend, e.g. the same version split and resilience as inside the mesh. */
  routes: RouteBuilder;
  /** The control plane and the gateway release: the custom resources wait for them. */
  dependsOn: pulumi.Resource[];
}

/** A TLS Secret in `namespace`, as Istio gateways and Ingress controllers read it. */
function tlsSecret(
  name: string,
  namespace: pulumi.Input<string>,
  cert: pulumi.Input<string>,
  key: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: { name: TLS_SECRET_NAME, namespace, labels: standardLabels("pingpong", "tls") },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": cert, "tls.key": pulumi.secret(key) },
    },
    opts,
  );
}

const urlsOf = (hosts: string[]) => hosts.map((h) => `https://${h}${PATHS.ping}`);

/** TLS terminated at the Istio ingress gateway: Secret, Gateway and VirtualService. */
export class IstioIngress extends pulumi.ComponentResource {
  public readonly urls: string[];

  constructor(name: string, args: IstioIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:ingress:IstioIngress", name, {}, opts);
    const secret = tlsSecret(`${name}-tls`, args.gatewayNamespace, args.certPem, args.keyPem, {
      parent: this,
    });
    const labels = standardLabels("pingpong", "ingress");
    const gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: GATEWAY_NAME, namespace: args.gatewayNamespace, labels },
        spec: secret.metadata.name.apply((credential) =>
          gatewaySpec(args.hosts, args.gatewaySelector, credential),
        ),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-virtualservice`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "pingpong-ingress", namespace: args.backend.namespace, labels },
        spec: pulumi
          .all([
            gateway.metadata.namespace,
            gateway.metadata.name,
            args.backend.namespace,
            args.backend.serviceName,
          ])
          .apply(([gwNs, gwName, ns, svc]) =>
            virtualServiceSpec(args.hosts, `${gwNs}/${gwName}`, serviceHost(ns, svc), args.routes),
          ),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.urls = urlsOf(args.hosts);
    this.registerOutputs({ urls: this.urls });
  }
}

export interface KubernetesIngressArgs {
  hosts: string[];
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
  ingressClassName: string;
  backend: Backend;
}

/**
 * What ingress-nginx needs in front of a sidecar-injected backend (its annotations reference,
 * kubernetes/ingress-nginx docs/user-guide/nginx-configuration/annotations.md). By default it
 * balances over the endpoints' pod IPs and forwards the external Host header; the controller's
 * sidecar then finds no mesh route for that pair and passes the request through in plaintext,
 * which STRICT peers refuse. Dialling the Service's cluster IP with the Service's own host name
 * lets the sidecar route it as mesh traffic, over mTLS with the controller's identity.
 */
export function ingressNginxMeshAnnotations(backendHost: string): Record<string, string> {
  return {
    "nginx.ingress.kubernetes.io/service-upstream": "true",
    "nginx.ingress.kubernetes.io/upstream-vhost": backendHost,
  };
}

/**
 * TLS terminated by ingress-nginx (any IngressClass it serves). Under STRICT mTLS the controller
 * must itself run with a sidecar, and its identity is among the allowed callers.
 */
export class KubernetesIngress extends pulumi.ComponentResource {
  public readonly urls: string[];

  constructor(name: string, args: KubernetesIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:ingress:KubernetesIngress", name, {}, opts);
    const secret = tlsSecret(`${name}-tls`, args.backend.namespace, args.certPem, args.keyPem, {
      parent: this,
    });
    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: {
          name: "pingpong",
          namespace: args.backend.namespace,
          labels: standardLabels("pingpong", "ingress"),
          annotations: pulumi
            .all([args.backend.namespace, args.backend.serviceName])
            .apply(([ns, svc]) => ingressNginxMeshAnnotations(serviceHost(ns, svc))),
        },
        spec: {
          ingressClassName: args.ingressClassName,
          tls: [{ hosts: args.hosts, secretName: secret.metadata.name }],
          rules: args.hosts.map((host) => ({
            host,
            http: {
              paths: [
                {
                  path: PATHS.ping,
                  pathType: "Exact",
                  backend: { service: { name: args.backend.serviceName, port: { name: PORTS.http.name } } },
                },
              ],
            },
          })),
        },
      },
      { parent: this },
    );
    this.urls = urlsOf(args.hosts);
    this.registerOutputs({ urls: this.urls });
  }
}

export interface AppTlsSecretsArgs {
  namespaces: Record<string, pulumi.Input<string>>;
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
  caPem: pulumi.Input<string>;
}

/** TLS terminated by the app: the certificate, its key and the CA, in each namespace that runs pingpong. */
export class AppTlsSecrets extends pulumi.ComponentResource {
  /** The Secret's name per namespace key, as Outputs so pods wait for their Secret. */
  public readonly secretNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AppTlsSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:ingress:AppTlsSecrets", name, {}, opts);
    const secretNames: Record<string, pulumi.Output<string>> = {};
    for (const [key, namespace] of Object.entries(args.namespaces)) {
      secretNames[key] = new k8s.core.v1.Secret(
        `${name}-${key}`,
        {
          metadata: { name: TLS_SECRET_NAME, namespace, labels: standardLabels("pingpong", "tls") },
          type: "kubernetes.io/tls",
          stringData: {
            "tls.crt": args.certPem,
            "tls.key": pulumi.secret(args.keyPem),
            "ca.crt": args.caPem,
          },
        },
        { parent: this },
      ).metadata.name;
    }
    this.secretNames = secretNames;
    this.registerOutputs({ secretNames });
  }
}

export interface EdgeIngressArgs {
  /** Where HTTPS from outside ends (the plan's edge mode); the app terminating it needs no ingress. */
  mode: "istio" | "ingress" | "app";
  hosts: string[];
  certPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
  backend: Backend;
  /** For `ingress`: the IngressClass. */
  ingressClassName: string;
  /** For `istio`: the gateway and the routes it follows. */
  gateway: Pick<IstioIngressArgs, "gatewayNamespace" | "gatewaySelector" | "routes" | "dependsOn">;
}

/** The component that terminates HTTPS from outside for the mode: a Gateway, an Ingress, or none. */
export function edgeIngress(
  name: string,
  { mode, gateway, ingressClassName, ...edge }: EdgeIngressArgs,
  opts?: pulumi.ComponentResourceOptions,
): IstioIngress | KubernetesIngress | undefined {
  switch (mode) {
    case "istio":
      return new IstioIngress(name, { ...edge, ...gateway }, opts);
    case "ingress":
      return new KubernetesIngress(name, { ...edge, ingressClassName }, opts);
    case "app":
      return undefined;
  }
}
