import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { until, type Cluster } from "./cluster";
import { toolPath } from "./tools";

/**
 * The Argo Rollouts controller (rollouts-controller, built from the module proxy at the version the
 * pinned chart deploys) as a local process against the tier's API server: it turns the program's
 * Rollouts into ReplicaSets and pods (which istiod injects and Pod Security judges) and writes the
 * Istio routes as it does on a real cluster. Its analysis runs query Prometheus, which does not run
 * under kwok, so no promotion is driven here.
 */

export const ROLLOUTS_PORTS = { healthz: 18080, metrics: 18090 };

export class Rollouts {
  private proc?: ChildProcess;
  readonly log: string;

  constructor(private readonly cluster: Cluster) {
    this.log = cluster.log("rollouts-controller");
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(namespace: string): Promise<void> {
    const dir = path.join(this.cluster.dir, "rollouts");
    mkdirSync(dir, { recursive: true });
    const out = createWriteStream(this.log, { flags: "a" });
    this.proc = spawn(
      toolPath("rollouts-controller"),
      [
        `--kubeconfig=${this.cluster.kubeconfig}`,
        "--leader-elect=false",
        `--healthzPort=${ROLLOUTS_PORTS.healthz}`,
        `--metricsPort=${ROLLOUTS_PORTS.metrics}`,
        "--loglevel=info",
      ],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH, POD_NAMESPACE: namespace },
      },
    );
    this.proc.stdout?.pipe(out);
    this.proc.stderr?.pipe(out);
    await until(
      "rollouts-controller /healthz",
      60_000,
      async () => {
        if (this.proc?.exitCode !== null && this.proc?.exitCode !== undefined) {
          throw new Error(`rollouts-controller exited with ${this.proc.exitCode}\n${this.tail()}`);
        }
        const r = await fetch(`http://127.0.0.1:${ROLLOUTS_PORTS.healthz}/healthz`).catch(() => undefined);
        return r?.ok === true;
      },
      () => this.tail(),
    );
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }

  tail(lines = 20): string {
    try {
      return readFileSync(this.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}
