import { mkdirSync } from "node:fs";
import path from "node:path";
import { Kube, type KubeObject } from "./kube";
import { LocalProcess } from "./local-process";
import { makePki, writeKubeconfig, type Pki } from "./pki";
import { toolPath } from "./tools";

/**
 * A cluster in a box: etcd, kube-apiserver (admission on, Pod Security included),
 * kube-controller-manager, kube-scheduler and kwok with three fake nodes, every one the real program
 * built from the module proxy, listening on loopback of the tier's own network namespace. The ports
 * are fixed: nothing else lives in that namespace.
 */

export const PORTS = {
  etcd: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  kcm: 10257,
  scheduler: 10259,
  kwok: 10247,
};
export const NODE_COUNT = 3;
export const NODE_NAMES = Array.from({ length: NODE_COUNT }, (_, i) => `kwok-node-${i}`);

type Component = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kwok";

export class Cluster {
  readonly pki: Pki;
  readonly kubeconfig: string;
  readonly server = `https://127.0.0.1:${PORTS.apiserver}`;
  readonly kube: Kube;
  private readonly procs = new Map<Component, LocalProcess>();

  constructor(readonly dir: string) {
    mkdirSync(path.join(dir, "pki"), { recursive: true });
    mkdirSync(path.join(dir, "logs"), { recursive: true });
    this.pki = makePki(path.join(dir, "pki"));
    this.kubeconfig = path.join(dir, "admin.kubeconfig");
    writeKubeconfig(this.kubeconfig, this.server, this.pki);
    this.kube = new Kube(this.server, this.pki.caCert, this.pki.adminCert, this.pki.adminKey);
  }

  log(component: string): string {
    return path.join(this.dir, "logs", `${component}.log`);
  }

  private start(component: Component, args: string[]): void {
    const proc = new LocalProcess(this.log(component));
    proc.start(toolPath(component), args, { cwd: this.dir });
    this.procs.set(component, proc);
  }

  private async stopOne(component: Component, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.procs.get(component)?.stop(signal);
    this.procs.delete(component);
  }

  private startEtcd(): void {
    const peer = `http://127.0.0.1:${PORTS.etcdPeer}`;
    this.start("etcd", [
      `--data-dir=${path.join(this.dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${PORTS.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${PORTS.etcd}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // A throwaway store: durability across a power cut is not under test.
      "--unsafe-no-fsync",
    ]);
  }

  startApiserver(): void {
    const p = this.pki;
    this.start("kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${PORTS.etcd}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${PORTS.apiserver}`,
      `--tls-cert-file=${p.serverCert}`,
      `--tls-private-key-file=${p.serverKey}`,
      `--client-ca-file=${p.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${p.saPub}`,
      `--service-account-signing-key-file=${p.saKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=Node,RBAC",
      // istio-cni's DaemonSet is privileged, as on every cluster that runs it.
      "--allow-privileged=true",
      // The default plugins (PodSecurity, ServiceAccount, the admission webhooks, ValidatingAdmissionPolicy,
      // ResourceQuota, LimitRanger, ...) stay on; NodeRestriction is the one a kubeadm cluster adds.
      "--enable-admission-plugins=NodeRestriction",
      "--profiling=false",
      `--cert-dir=${path.join(this.dir, "apiserver-certs")}`,
    ]);
  }

  private startControllers(): void {
    const kc = this.kubeconfig;
    this.start("kube-controller-manager", [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${PORTS.kcm}`,
      `--cert-dir=${path.join(this.dir, "kcm-certs")}`,
      `--service-account-private-key-file=${this.pki.saKey}`,
      `--root-ca-file=${this.pki.caCert}`,
      "--use-service-account-credentials=true",
      `--cluster-signing-cert-file=${this.pki.caCert}`,
      `--cluster-signing-key-file=${this.pki.caKey}`,
      "--leader-elect=false",
    ]);
    this.start("kube-scheduler", [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${PORTS.scheduler}`,
      `--cert-dir=${path.join(this.dir, "scheduler-certs")}`,
      "--leader-elect=false",
    ]);
    this.start("kwok", [
      `--kubeconfig=${kc}`,
      `--config=${toolPath("kwok-stages.yaml")}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      `--server-address=127.0.0.1:${PORTS.kwok}`,
      "--node-lease-duration-seconds=40",
    ]);
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    await until(
      "kube-apiserver /readyz",
      timeoutMs,
      async () => {
        const a = await this.kube.request("GET", "/readyz").catch(() => undefined);
        return a?.status === 200;
      },
      () => this.tail("kube-apiserver"),
    );
  }

  async up(): Promise<void> {
    this.startEtcd();
    await until(
      "etcd /health",
      30_000,
      async () => {
        const r = await fetch(`http://127.0.0.1:${PORTS.etcd}/health`).catch(() => undefined);
        return r?.ok === true;
      },
      () => this.tail("etcd"),
    );
    this.startApiserver();
    await this.waitReady();
    this.startControllers();
    for (const name of NODE_NAMES) await this.kube.apply(fakeNode(name));
    await until(
      `${NODE_COUNT} nodes Ready`,
      60_000,
      async () => {
        const nodes = await this.kube.list("v1", "Node");
        return nodes.filter((n) => isReady(n)).length === NODE_COUNT;
      },
      () => this.tail("kwok"),
    );
    // Pods need their namespace's default ServiceAccount: the controller manager makes it.
    await until(
      "default ServiceAccount",
      60_000,
      async () => {
        return (await this.kube.get("v1", "ServiceAccount", "default", "default")) !== undefined;
      },
      () => this.tail("kube-controller-manager"),
    );
  }

  /** Kills the API server (SIGKILL: no graceful drain) and leaves the rest running. */
  async killApiserver(): Promise<void> {
    await this.stopOne("kube-apiserver", "SIGKILL");
  }

  async restartApiserver(): Promise<void> {
    this.startApiserver();
    await this.waitReady();
  }

  async down(): Promise<void> {
    this.kube.close();
    for (const c of [
      "kwok",
      "kube-scheduler",
      "kube-controller-manager",
      "kube-apiserver",
      "etcd",
    ] as const) {
      await this.stopOne(c);
    }
  }

  tail(component: string, lines = 15): string {
    return (this.procs.get(component as Component) ?? new LocalProcess(this.log(component))).tail(lines);
  }
}

function fakeNode(name: string) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      // kwok manages only nodes with this annotation (--manage-nodes-with-annotation-selector).
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/worker": "",
        type: "kwok",
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: "16", memory: "64Gi", pods: "110" },
      capacity: { cpu: "16", memory: "64Gi", pods: "110" },
    },
  };
}

function isReady(node: KubeObject): boolean {
  const conditions =
    (node.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? [];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** Polls `check` every 250 ms until it holds; fails after `timeoutMs` with `context()` in the message. */
export async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  context: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Looks (with `look`) until what it sees passes `ok`, and returns that; a timeout's error shows the
 * last thing seen.
 */
export async function untilSeen<T>(
  what: string,
  timeoutMs: number,
  look: () => Promise<T>,
  ok: (seen: T) => boolean,
): Promise<T> {
  let seen: T | undefined;
  await until(
    what,
    timeoutMs,
    async () => ok((seen = await look())),
    () => JSON.stringify(seen),
  );
  return seen as T;
}
