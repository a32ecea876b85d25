import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../support/process";
import { stackConfig } from "../support/stack-files";
import { untilSeen } from "./cluster";
import { installPrerequisites, prepare } from "./deploy";
import type { EngineAnswer, PendingOp } from "./engine-stack-run";
import { selfSignedCa, signWith } from "./pki";
import { record, recordPhases } from "./report";
import { startTier, stopTier, timed, type Tier } from "./session";
import { toolPath, toolsCache } from "./tools";

/**
 * The real Pulumi engine on a stack of the project: what the tier gives it (a kubeconfig, local
 * chart sources, istiod's webhooks, a prebuilt image, certificates and Kiali's key), and the
 * programs that answer what the engine creates, as a cluster's own would: istiod once its chart has
 * installed the ConfigMaps it reads, the Argo Rollouts controller once its CRDs exist, and a
 * load balancer's address for every Service of type LoadBalancer (what a cloud's controller does;
 * kwok has none, and Helm's wait for the gateway's Service would never end).
 */

export type ConfigValue = { value: string; secret?: boolean };

/** An image that exists nowhere: kwok never pulls it, and the stack builds nothing with `image` set. */
export const TIER_IMAGE =
  "registry.tier.invalid/pingpong@sha256:0000000000000000000000000000000000000000000000000000000000000001";
export const NEXT_IMAGE =
  "registry.tier.invalid/pingpong@sha256:0000000000000000000000000000000000000000000000000000000000000002";
export const THIRD_IMAGE =
  "registry.tier.invalid/pingpong@sha256:0000000000000000000000000000000000000000000000000000000000000003";

/**
 * A root CA, a server certificate for `hosts` and (with `meshCa`, when the stack's pluginCa is on) an
 * intermediate CA for istiod, made with openssl:
 * the stack's `serverCertificate`, `serverPrivateKey`, `caCertificate`, `meshCaCertificate` and
 * `meshCaPrivateKey`, as an organisation's PKI would hand them over.
 */
export function providedPki(dir: string, hosts: string[], meshCa: boolean): Record<string, ConfigValue> {
  mkdirSync(dir, { recursive: true });
  selfSignedCa(dir, "root", "/O=pingpong tier/CN=pingpong tier root CA", 30);
  const sign = (base: string, subject: string, ext: string[]) =>
    signWith(dir, "root", base, subject, ext, 10);
  sign("server", `/O=pingpong tier/CN=${hosts[0]}`, [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
  ]);
  sign("mesh", "/O=pingpong tier/CN=pingpong tier mesh intermediate CA", [
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  // istiod reads a PKCS#8 key from cacerts as well as SEC1; the tls provider's is PKCS#8 too.
  const read = (f: string) => readFileSync(path.join(dir, f), "utf8");
  return {
    "pingpong:caCertificate": { value: read("root.crt") },
    "pingpong:serverCertificate": { value: read("server.crt") },
    "pingpong:serverPrivateKey": { value: read("server.key"), secret: true },
    ...(meshCa
      ? {
          "pingpong:meshCaCertificate": { value: read("mesh.crt") },
          "pingpong:meshCaPrivateKey": { value: read("mesh.key"), secret: true },
        }
      : {}),
  };
}

/** The stack's own file, then what the tier sets, every key in the `pingpong` namespace. */
export function engineConfig(
  stack: string,
  tierSettings: Record<string, string>,
  secrets: Record<string, ConfigValue>,
  drop: string[] = [],
): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const [k, v] of Object.entries(stackConfig(stack))) {
    if (!drop.includes(k)) out[k] = { value: v };
  }
  for (const [k, v] of Object.entries(tierSettings)) out[`pingpong:${k}`] = { value: v };
  return { ...out, ...secrets };
}

/** Runs the programs a cluster would while the engine works; `stop()` ends the watching. */
export class Companions {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private lbPatched = new Set<string>();
  readonly log: string[] = [];

  constructor(private readonly tier: Tier) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.tick()
        .catch(() => undefined) // the API server may be down on purpose
        .finally(() => (this.busy = false));
    }, 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const { kube } = this.tier.cluster;
    const { istiod, rollouts } = this.tier;
    if (!istiod.running) {
      const [mesh, injector] = await Promise.all([
        kube.get("v1", "ConfigMap", "istio-system", "istio"),
        kube.get("v1", "ConfigMap", "istio-system", "istio-sidecar-injector"),
      ]);
      if (mesh && injector) {
        this.log.push("istiod started: its chart installed the mesh config and the injection template");
        await istiod.start();
      }
    }
    if (!rollouts.running) {
      const config = (
        await kube.request("GET", "/api/v1/configmaps?fieldSelector=metadata.name%3Dargo-rollouts-config")
      ).body as { items?: Array<{ metadata: { namespace: string } }> } | undefined;
      const crd = await kube.get(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        undefined,
        "rollouts.argoproj.io",
      );
      const ns = config?.items?.[0]?.metadata.namespace;
      if (crd && ns) {
        kube.rediscover();
        this.log.push(`rollouts-controller started for namespace ${ns}`);
        await rollouts.start(ns);
      }
    }
    const services = (await kube.request("GET", "/api/v1/services")).body as {
      items?: Array<{
        metadata: { namespace: string; name: string };
        spec: { type: string };
        status?: { loadBalancer?: { ingress?: unknown[] } };
      }>;
    };
    for (const s of services?.items ?? []) {
      if (s.spec.type !== "LoadBalancer" || (s.status?.loadBalancer?.ingress ?? []).length > 0) continue;
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      await kube.ok(
        "PATCH",
        `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status?fieldManager=tier-load-balancer`,
        { status: { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } } },
        "application/merge-patch+json",
      );
      if (!this.lbPatched.has(key)) this.log.push(`load balancer address 127.0.0.1 given to Service ${key}`);
      this.lbPatched.add(key);
    }
  }
}

/** One stack under the real engine: its work folder (state, Pulumi home) and its configuration. */
export class EngineStack {
  readonly work: string;
  private configFile: string;

  constructor(
    private readonly tier: Tier,
    readonly stack: string,
    config: Record<string, ConfigValue>,
  ) {
    this.work = path.join(tier.cluster.dir, `engine-${stack}`);
    mkdirSync(path.join(this.work, "state"), { recursive: true });
    this.configFile = path.join(this.work, "config.json");
    this.setConfig(config);
  }

  setConfig(config: Record<string, ConfigValue>): void {
    writeFileSync(this.configFile, JSON.stringify(config));
  }

  config(): Record<string, ConfigValue> {
    return JSON.parse(readFileSync(this.configFile, "utf8")) as Record<string, ConfigValue>;
  }

  /** Runs one operation; `onStart` gets the engine's process (to kill it, say). */
  run(op: string, env: Record<string, string> = {}, timeoutMs = 600_000): Promise<EngineAnswer> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [
          "-r",
          "ts-node/register/transpile-only",
          path.join(__dirname, "engine-stack-run.ts"),
          op,
          toolsCache(),
          this.work,
          this.stack,
          this.configFile,
        ],
        {
          cwd: ROOT,
          timeout: timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
          env: {
            PATH: [path.join(__dirname, "plugins"), path.dirname(toolPath("pulumi")), process.env.PATH].join(
              ":",
            ),
            HOME: this.work,
            PULUMI_HOME: path.join(this.work, "pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "tier",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            KUBECONFIG: this.tier.cluster.kubeconfig,
            TS_NODE_TRANSPILE_ONLY: "true",
            ...env,
          },
        },
        (err, stdout, stderr) => {
          const line = stdout.trim().split("\n").pop() ?? "";
          try {
            resolve(JSON.parse(line) as EngineAnswer);
          } catch {
            reject(
              new Error(
                `engine ${op} on ${this.stack}: ${stderr.trim().split("\n").slice(-30).join("\n") || err?.message}`,
              ),
            );
          }
        },
      );
    });
  }
}

/**
 * When the kubernetes provider crashed during an operation: the head of the crash the engine relays
 * from the provider's stderr (the panic or fatal error, and the frames under it), else undefined.
 */
export function providerCrash(r: Pick<EngineAnswer, "ok" | "error" | "diagnostics">): string | undefined {
  if (r.ok) return undefined;
  const text = [r.error ?? "", ...(r.diagnostics ?? [])].join("\n");
  if (!/pulumi-resource-kubernetes exited prematurely/.test(text)) return undefined;
  const lines = text.split("\n");
  const at = lines.findIndex((l) => /^\s*(error: )?(panic|fatal error): /.test(l));
  return at < 0
    ? "(the engine relayed no panic from the provider)"
    : lines
        .slice(at, at + 16)
        .map((l) => `  ${l.trim()}`)
        .join("\n");
}

/** What is on the cluster outside the stack's namespaces, and the namespaces: to find leftovers. */
export interface Inventory {
  namespaces: string[];
  clusterObjects: string[];
}

const CLUSTER_KINDS: Array<[string, string]> = [
  ["rbac.authorization.k8s.io/v1", "ClusterRole"],
  ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding"],
  ["admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"],
  ["admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"],
  ["apiextensions.k8s.io/v1", "CustomResourceDefinition"],
  ["scheduling.k8s.io/v1", "PriorityClass"],
  ["networking.k8s.io/v1", "IngressClass"],
];

export async function inventory(tier: Tier): Promise<Inventory> {
  const { kube } = tier.cluster;
  const namespaces = (await kube.list("v1", "Namespace")).map((n) => n.metadata.name!);
  const clusterObjects: string[] = [];
  for (const [apiVersion, kind] of CLUSTER_KINDS) {
    for (const o of await kube.list(apiVersion, kind)) clusterObjects.push(`${kind}/${o.metadata.name}`);
  }
  return { namespaces: namespaces.sort(), clusterObjects: clusterObjects.sort() };
}

/**
 * CRDs Helm leaves by design: those of a chart's crds/ folder (Helm never deletes them) and those
 * a chart marks `helm.sh/resource-policy: keep`.
 */
export async function keptCrds(tier: Tier): Promise<string[]> {
  const crds = await tier.cluster.kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  return crds
    .filter((c) => {
      const a = (c.metadata.annotations ?? {}) as Record<string, string>;
      return a["helm.sh/resource-policy"] === "keep" || a["meta.helm.sh/release-name"] === undefined;
    })
    .map((c) => `CustomResourceDefinition/${c.metadata.name}`);
}

/** Helm's record of each release: its name and the status of each stored revision. */
export async function helmReleases(tier: Tier): Promise<Record<string, string[]>> {
  const secrets = await tier.cluster.kube.list("v1", "Secret", undefined, "labelSelector=owner%3Dhelm");
  const out: Record<string, string[]> = {};
  for (const s of secrets) {
    const l = (s.metadata.labels ?? {}) as Record<string, string>;
    const key = `${s.metadata.namespace}/${l.name}`;
    (out[key] ??= []).push(l.status);
  }
  return out;
}

/** The processes of this PID namespace: pid, parent pid and arguments. */
function processes(): Array<{ pid: number; ppid: number; argv: string[] }> {
  const out: Array<{ pid: number; ppid: number; argv: string[] }> = [];
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.push({ pid: Number(d), ppid, argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * SIGKILLs the Pulumi CLI running `op`, and the plugins it started, as a crash or an OOM kill of the
 * machine running `pulumi up` would. Returns whether one was found.
 */
export function killCli(op: string): boolean {
  const all = processes();
  const cli = all.find((p) => p.argv[0]?.endsWith("/pulumi") && p.argv[1] === op);
  if (!cli) return false;
  for (const child of all.filter((p) => p.ppid === cli.pid)) process.kill(child.pid, "SIGKILL");
  process.kill(cli.pid, "SIGKILL");
  return true;
}

/** What to do with each pending create a killed engine left, decided by what the cluster has. */
export interface PendingPlan {
  /** [urn, id] of creates that went through: imported (`--import-pending-creates`). */
  imports: Array<[string, string]>;
  /** Helm releases whose install was cut off (`pending-install`): uninstalled, as Helm documents. */
  uninstall: Array<{ name: string; namespace: string }>;
  /** Everything else is cleared (`--clear-pending-creates`): it never reached the cluster. */
  cleared: string[];
}

export async function planPendingCreates(tier: Tier, pending: PendingOp[]): Promise<PendingPlan> {
  const releases = await helmReleases(tier);
  const plan: PendingPlan = { imports: [], uninstall: [], cleared: [] };
  for (const p of pending) {
    if (p.kind !== "creating" || !p.name) continue;
    const id = p.namespace ? `${p.namespace}/${p.name}` : p.name;
    if (p.type === "kubernetes:helm.sh/v3:Release") {
      const revisions = releases[`${p.namespace}/${p.name}`] ?? [];
      if (revisions.includes("deployed")) plan.imports.push([p.urn, id]);
      else if (revisions.length > 0) plan.uninstall.push({ name: p.name, namespace: p.namespace! });
      else plan.cleared.push(p.urn);
      continue;
    }
    const exists = await tier.cluster.kube
      .get(p.apiVersion!, p.objectKind!, p.namespace, p.name)
      .then((o) => o !== undefined)
      .catch(() => false);
    if (exists) plan.imports.push([p.urn, id]);
    else plan.cleared.push(p.urn);
  }
  return plan;
}

/**
 * One stack's session with the real engine, shared by the engine's test files: a cluster of its own,
 * the charts and prerequisites the stack expects, the organisation's PKI, and the cluster's own
 * programs (Companions); `run` times every operation into the figures.
 */
export class EngineSession {
  tier?: Tier;
  stack!: EngineStack;
  /** The cluster before the stack: what `destroy` must return it to. */
  before!: Inventory;
  pki!: Record<string, ConfigValue>;
  /** What the tier sets for the stack (kubeconfig, chart sources, istiod's webhooks, the image). */
  settings!: Record<string, string>;
  private companions?: Companions;
  private error?: Error;

  constructor(
    readonly name: string,
    readonly stackName: string,
  ) {}

  async start(opts: {
    hosts: string[];
    meshCa: boolean;
    /** Config of the mock render that finds the pinned charts and the prerequisites. */
    renderConfig?: Record<string, string>;
    settings: Record<string, string>;
    /** The stack's configuration from the tier's settings and the PKI. */
    config: (
      settings: Record<string, string>,
      pki: Record<string, ConfigValue>,
    ) => Record<string, ConfigValue>;
  }): Promise<void> {
    try {
      const t = (this.tier = await startTier(this.name));
      const d = await timed(t, "render", () =>
        prepare(t.cluster, t.istiod, this.stackName, opts.renderConfig),
      );
      await installPrerequisites(t, d);
      this.pki = providedPki(path.join(t.cluster.dir, "provided-pki"), opts.hosts, opts.meshCa);
      this.settings = {
        ...opts.settings,
        chartSource: d.chartDir,
        kubeconfig: t.cluster.kubeconfig,
        kubeContext: "tier",
        ...t.istiod.webhookSettings(),
      };
      this.stack = new EngineStack(t, this.stackName, opts.config(this.settings, this.pki));
      this.before = await inventory(t);
      this.companions = new Companions(t);
      this.companions.start();
    } catch (err) {
      this.error = err as Error;
    }
  }

  async stop(): Promise<void> {
    this.companions?.stop();
    if (this.tier) {
      for (const line of this.companions?.log ?? []) process.stdout.write(`tier: ${this.name}: ${line}\n`);
      recordPhases(this.name, this.tier.phases);
    }
    await stopTier(this.tier);
  }

  /**
   * One engine operation, timed into the figures; its answer printed when it failed. When the
   * kubernetes provider crashes (the engine says it "exited prematurely"), the crash is printed and
   * recorded and the operation runs once more, as a user reruns it: a crash that repeats fails the
   * test. Operations that inject a fault pass `retryProviderCrash: false`.
   */
  async run(
    op: string,
    phase: string,
    env: Record<string, string> = {},
    opts: { retryProviderCrash?: boolean } = {},
  ): Promise<EngineAnswer> {
    const r = await this.runOnce(op, phase, env);
    const crash = providerCrash(r);
    if (!crash || opts.retryProviderCrash === false) return r;
    process.stdout.write(
      `tier: ${this.name}: the kubernetes provider crashed during ${phase}; it runs once more, as a user reruns it (docs/cluster-tier.md, "A provider crash"):\n${crash}\n`,
    );
    record("provider crash", `${this.stackName} ${phase}`, { crash });
    return this.runOnce(op, `${phase} (after a provider crash)`, env);
  }

  private async runOnce(op: string, phase: string, env: Record<string, string>): Promise<EngineAnswer> {
    if (this.error) throw this.error;
    const r = await timed(this.tier!, phase, () => this.stack.run(op, env));
    // The figures (docs/benchmarks.md): each operation's time, the part of it in Helm, the resources.
    record("engine op", `${this.stackName} ${phase}`, {
      ms: r.ms,
      helmMs: r.helmMs,
      resources: r.resources,
      changes: r.changes,
    });
    if (!r.ok)
      process.stdout.write(`tier: engine ${op} failed:\n${r.error}\n${(r.diagnostics ?? []).join("\n")}\n`);
    return r;
  }

  /**
   * Waits for every namespace the stack made to be deleted (none left Terminating), then says what
   * else outlives it: cluster-scoped objects it made, but the CRDs Helm keeps by design.
   */
  async leftovers(): Promise<{ namespaces: string[]; objects: string[] }> {
    const tier = this.tier!;
    await untilSeen(
      "every namespace of the stack to be deleted",
      180_000,
      async () => (await inventory(tier)).namespaces,
      (namespaces) => namespaces.length === this.before.namespaces.length,
    );
    const now = await inventory(tier);
    const kept = new Set(await keptCrds(tier));
    const keptNew = [...kept].filter((o) => !this.before.clusterObjects.includes(o));
    process.stdout.write(`tier: ${this.name}: CRDs Helm keeps by design after destroy: ${keptNew.length}\n`);
    return {
      namespaces: now.namespaces,
      objects: now.clusterObjects.filter((o) => !this.before.clusterObjects.includes(o) && !kept.has(o)),
    };
  }
}

/**
 * Helm releases an interrupted `up` left half-done, which the engine's state does not have (their
 * create failed): an install cut off stays `pending-install` and the next install of the name says
 * "cannot re-use a name that is still in use". Helm's own recovery: uninstall it. Returns what was
 * uninstalled (`namespace/name`).
 */
export async function uninstallInterruptedInstalls(tier: Tier): Promise<string[]> {
  const done: string[] = [];
  for (const [key, revisions] of Object.entries(await helmReleases(tier))) {
    if (revisions.includes("deployed") || !revisions.includes("pending-install")) continue;
    const [namespace, name] = key.split("/");
    await tier.helm.run(["uninstall", name, `--namespace=${namespace}`, "--wait"]);
    done.push(key);
  }
  return done;
}
