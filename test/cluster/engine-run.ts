/**
 * One operation of the real Pulumi engine on the tier's cluster, through the Automation API with
 * an inline program: `up`, `preview` or `destroy`. Run as its own process (ts-node) by
 * engine.cluster.test.ts, which gives it the cluster's kubeconfig, a file backend and the tools'
 * bin folder on PATH (the CLI, and the kubernetes provider the engine finds there). Prints one JSON
 * line: the operation's summary of changes and the stack outputs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as auto from "@pulumi/pulumi/automation";
import { readFileSync } from "node:fs";
import path from "node:path";

const [op, root, workDir] = process.argv.slice(2);

function program() {
  const provider = new k8s.Provider("tier", { kubeconfig: readFileSync(process.env.KUBECONFIG!, "utf8") });
  const ns = new k8s.core.v1.Namespace(
    "engine",
    { metadata: { name: "engine-smoke", labels: { greeting: process.env.GREETING ?? "hello" } } },
    { provider },
  );
  const cm = new k8s.core.v1.ConfigMap(
    "settings",
    { metadata: { namespace: ns.metadata.name, name: "settings" }, data: { greeting: "hello" } },
    { provider },
  );
  return { namespace: ns.metadata.name, configMap: cm.metadata.name };
}

async function main(): Promise<void> {
  const pulumiCommand = await auto.PulumiCommand.get({ root });
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName: "tier", projectName: "engine-smoke", program: () => Promise.resolve(program()) },
    {
      pulumiCommand,
      workDir,
      projectSettings: {
        name: "engine-smoke",
        runtime: "nodejs",
        backend: { url: `file://${path.join(workDir, "state")}` },
      },
    },
  );
  if (op === "up") {
    const r = await stack.up();
    console.log(
      JSON.stringify({
        op,
        changes: r.summary.resourceChanges,
        outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value])),
      }),
    );
  } else if (op === "preview") {
    const r = await stack.preview();
    console.log(JSON.stringify({ op, changes: r.changeSummary }));
  } else if (op === "destroy") {
    const r = await stack.destroy();
    console.log(JSON.stringify({ op, changes: r.summary.resourceChanges }));
  } else {
    throw new Error(`unknown operation ${op}: expected up, preview or destroy`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
