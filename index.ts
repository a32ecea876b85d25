import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PingpongImage, registryServer } from "./components/image";
import { Namespaces } from "./components/namespaces";
import { PingpongService } from "./components/pingpong-service";
import { OperatorAccess } from "./components/rbac";
import { PRIMARY_VERSION, serviceSelector, type AllowedPeer } from "./components/workload";
import { loadSettings } from "./stacks";

const settings = loadSettings();

const provider = new k8s.Provider("kubernetes", {
  context: settings.cluster.context,
  kubeconfig: settings.cluster.kubeconfig,
});
const onCluster: pulumi.ComponentResourceOptions = { providers: [provider] };

const credentials = settings.image.credentials;
const image = new PingpongImage("pingpong-image", {
  registry: settings.image.registry,
  repository: settings.image.repository,
  tag: settings.stack,
  context: ".",
  dockerfile: "app/Dockerfile",
  platform: settings.image.platform,
  credentials: credentials && {
    username: credentials.username,
    password: pulumi.secret(credentials.password),
  },
});

const pullCredentials = credentials && {
  server: registryServer(settings.image.registry),
  username: credentials.username,
  password: pulumi.secret(credentials.password),
};

const ns = new Namespaces(
  "namespaces",
  {
    namespaces: {
      a: { name: settings.namespaces.a, sidecarInjection: true },
      b: { name: settings.namespaces.b, sidecarInjection: true },
      c: { name: settings.namespaces.c, sidecarInjection: false },
    },
  },
  onCluster,
);

const w = settings.workload;
/** Each side is called by its peer and by the out-of-mesh test namespace, which the mesh (not the network) must refuse. */
function trafficRules(peer: pulumi.Input<string>) {
  if (!settings.networkPolicy) return undefined;
  const peerPods: AllowedPeer = { namespace: peer, podLabels: serviceSelector() };
  return {
    callers: [peerPods, { namespace: ns.names.c }],
    scrapers: [{ namespace: settings.namespaces.monitoring }],
    pingTargets: [peerPods],
  };
}
const instance = (namespace: pulumi.Output<string>, peer: pulumi.Output<string>) => ({
  namespace,
  target: PingpongService.urlIn(peer),
  image: image.ref,
  pullCredentials,
  version: PRIMARY_VERSION,
  replicas: w.replicas,
  autoscaling: w.autoscaling,
  pdbMinAvailable: w.pdbMinAvailable,
  workload: w,
  networkPolicy: trafficRules(peer),
});
const pingpongA = new PingpongService("pingpong-a", instance(ns.names.a, ns.names.b), onCluster);
const pingpongB = new PingpongService("pingpong-b", instance(ns.names.b, ns.names.a), onCluster);

new OperatorAccess("operators", { namespaces: ns.names, group: settings.rbac.operatorGroup }, onCluster);

export const environment = settings.environment;
export const namespaces = ns.names;
export const serviceHosts = { a: pingpongA.host, b: pingpongB.host };
export const pingUrls = { a: pingpongA.url, b: pingpongB.url };
export const imageRef = image.ref;
