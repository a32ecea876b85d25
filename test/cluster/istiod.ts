import { mkdirSync, readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { until, type Cluster } from "./cluster";
import { LocalProcess } from "./local-process";
import { toolPath } from "./tools";

/**
 * istiod (pilot-discovery) as a local process against the tier's API server: the real sidecar
 * injector and config validator. It reads its mesh config and injection template from the ConfigMaps
 * the istiod chart installs (no files in its working directory, so pilot-discovery takes them from
 * the cluster: pilot/pkg/bootstrap/mesh.go and sidecarinjector.go), and serves its webhooks on
 * 127.0.0.1:15017 with a certificate from the tier's CA that names 127.0.0.1. The charts point their
 * webhooks there with their values for an istiod outside the cluster (istiodRemote.injectionURL,
 * base.validationURL and their CA bundles).
 */

export const ISTIOD_PORTS = { https: 15017, http: 15080, grpc: 15010, secureGrpc: 15012, monitoring: 15014 };
export const WEBHOOK_URL = `https://127.0.0.1:${ISTIOD_PORTS.https}`;

export class Istiod {
  private readonly proc: LocalProcess;

  constructor(private readonly cluster: Cluster) {
    this.proc = new LocalProcess(cluster.log("istiod"));
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** The settings that point the program's Istio charts at this istiod. */
  webhookSettings(): Record<string, string> {
    return {
      istioWebhookUrl: WEBHOOK_URL,
      istioWebhookCaBundle: readFileSync(this.cluster.pki.caCert, "utf8"),
    };
  }

  async start(): Promise<void> {
    const dir = path.join(this.cluster.dir, "istiod");
    mkdirSync(dir, { recursive: true });
    const p = this.cluster.pki;
    this.proc.start(
      toolPath("pilot-discovery"),
      [
        "discovery",
        `--kubeconfig=${this.cluster.kubeconfig}`,
        `--httpsAddr=127.0.0.1:${ISTIOD_PORTS.https}`,
        `--httpAddr=127.0.0.1:${ISTIOD_PORTS.http}`,
        `--grpcAddr=127.0.0.1:${ISTIOD_PORTS.grpc}`,
        `--secureGRPCAddr=127.0.0.1:${ISTIOD_PORTS.secureGrpc}`,
        `--monitoringAddr=127.0.0.1:${ISTIOD_PORTS.monitoring}`,
        `--tlsCertFile=${p.istiodCert}`,
        `--tlsKeyFile=${p.istiodKey}`,
        `--caCertFile=${p.caCert}`,
        "--log_output_level=default:info",
      ],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          POD_NAMESPACE: "istio-system",
          POD_NAME: "istiod-tier",
          REVISION: "default",
          CLUSTER_ID: "Kubernetes",
        },
      },
    );
    await until(
      "istiod's injection webhook on 127.0.0.1",
      90_000,
      async () => {
        this.proc.assertAlive("istiod");
        // The injector answers once its template is loaded; /ready on the HTTP port says the rest is.
        const ready = await fetch(`http://127.0.0.1:${ISTIOD_PORTS.http}/ready`).catch(() => undefined);
        return ready?.ok === true && (await this.webhookServes());
      },
      () => this.tail(),
    );
  }

  private webhookServes(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: ISTIOD_PORTS.https,
          path: "/inject",
          method: "POST",
          ca: readFileSync(this.cluster.pki.caCert),
          headers: { "content-type": "application/json" },
          timeout: 2000,
        },
        (res) => {
          res.resume();
          // An empty review is refused with 400: the handler is there.
          resolve((res.statusCode ?? 0) > 0 && res.statusCode !== 404);
        },
      );
      req.on("error", () => resolve(false));
      req.on("timeout", () => req.destroy());
      req.end("{}");
    });
  }

  async stop(): Promise<void> {
    await this.proc.stop("SIGTERM", 15_000);
  }

  tail(lines = 20): string {
    return this.proc.tail(lines);
  }
}
