import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { KubeObject } from "./kube";
import type { ReleaseStep } from "./plan-apply";
import { toolPath } from "./tools";

const yaml = createRequire(__filename)("js-yaml") as { loadAll: (text: string) => unknown[] };

/** The real Helm (v4, built from the module proxy) against the tier's API server. */
export class Helm {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly dir: string,
    private readonly kubeconfig: string,
  ) {
    mkdirSync(dir, { recursive: true });
    // Helm's own state stays in the run's directory: no repository index, no plugin, nothing in $HOME.
    this.env = {
      PATH: process.env.PATH,
      HOME: dir,
      HELM_CACHE_HOME: path.join(dir, "cache"),
      HELM_CONFIG_HOME: path.join(dir, "config"),
      HELM_DATA_HOME: path.join(dir, "data"),
      KUBECONFIG: kubeconfig,
    };
  }

  run(args: string[], timeoutMs = 15 * 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        toolPath("helm"),
        [...args, `--kubeconfig=${this.kubeconfig}`],
        { env: this.env, maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`helm ${args.slice(0, 2).join(" ")}: ${stderr.trim() || err.message}`));
          else resolve(stdout);
        },
      );
    });
  }

  /**
   * Installs or upgrades a release as the program declares it: its chart directory, namespace and
   * values, waiting for its workloads as the Release resource does, rolled back on failure (atomic).
   */
  async install(step: ReleaseStep, chartDir: string): Promise<void> {
    const values = path.join(this.dir, `${step.namespace}.${step.release}.values.json`);
    writeFileSync(values, JSON.stringify(step.values));
    await this.run([
      "upgrade",
      "--install",
      step.release,
      chartDir,
      `--namespace=${step.namespace}`,
      `--values=${values}`,
      "--wait=watcher",
      "--wait-for-jobs",
      "--rollback-on-failure",
      `--timeout=${step.timeoutSeconds}s`,
      ...(step.skipCrds ? ["--skip-crds"] : []),
    ]);
  }

  /** The values a release was installed with (what the Release resource diffs against). */
  async values(release: string, namespace: string): Promise<unknown> {
    return (
      JSON.parse(await this.run(["get", "values", release, `--namespace=${namespace}`, "--output=json"])) ??
      {}
    );
  }

  /** The objects a release installed. */
  async objects(release: string, namespace: string): Promise<KubeObject[]> {
    const manifest = await this.run(["get", "manifest", release, `--namespace=${namespace}`]);
    return (yaml.loadAll(manifest) as Array<KubeObject | null>)
      .filter((o): o is KubeObject => o !== null && typeof o === "object" && "kind" in o)
      .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } }));
  }

  async version(): Promise<string> {
    return (await this.run(["version", "--short"])).trim();
  }
}
