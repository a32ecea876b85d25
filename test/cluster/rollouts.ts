import { mkdirSync } from "node:fs";
import path from "node:path";
import { until, type Cluster } from "./cluster";
import { LocalProcess } from "./local-process";
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
  private readonly proc: LocalProcess;

  constructor(private readonly cluster: Cluster) {
    this.proc = new LocalProcess(cluster.log("rollouts-controller"));
  }

  get running(): boolean {
    return this.proc.running;
  }

  async start(namespace: string): Promise<void> {
    const dir = path.join(this.cluster.dir, "rollouts");
    mkdirSync(dir, { recursive: true });
    this.proc.start(
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
        env: { PATH: process.env.PATH, POD_NAMESPACE: namespace },
      },
    );
    await until(
      "rollouts-controller /healthz",
      60_000,
      async () => {
        this.proc.assertAlive("rollouts-controller");
        const r = await fetch(`http://127.0.0.1:${ROLLOUTS_PORTS.healthz}/healthz`).catch(() => undefined);
        return r?.ok === true;
      },
      () => this.tail(),
    );
  }

  async stop(): Promise<void> {
    await this.proc.stop("SIGTERM", 10_000);
  }

  tail(lines = 20): string {
    return this.proc.tail(lines);
  }
}
