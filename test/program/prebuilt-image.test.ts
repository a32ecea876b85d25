import { ofType, runProgram, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { T } from "../support/tokens";

/**
 * pingpong:image across the whole program: nothing built or pushed (no docker resource, no docker
 * provider), and every place that ran the stack's build runs exactly the reference instead.
 */

const DIGEST = `sha256:${"c0ffee00".repeat(8)}`;
const REF = `registry.acme.example/team/pingpong:1.4.2@${DIGEST}`;
const CREDENTIALS = { registryUsername: "ci-bot", registryPassword: "s3cret-token" };

/** A stack file's config without its registry: the reference names its own. */
function withoutRegistry(stack: string): Record<string, string> {
  const { "pingpong:registry": _registry, ...rest } = stackConfig(stack);
  return rest;
}

/** Every `type path` (names drop their hash suffixes) whose input value is exactly `value`. */
function usesOf(run: ProgramRun, value: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (node === value) found.push(where);
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${where}[${i}]`));
    else if (node !== null && typeof node === "object")
      for (const [key, item] of Object.entries(node)) walk(item, `${where}.${key}`);
  };
  for (const r of run.resources) walk(r.inputs, `${r.type} ${r.name.replace(/-[0-9a-f]{8}$/, "")}`);
  return found.sort();
}

const isDocker = (type: string) => type.startsWith("docker:") || type === "pulumi:providers:docker";

/** Containers of every pod template: Deployments, Rollouts, Jobs. */
function podContainers(run: ProgramRun): Array<{ owner: string; image: string }> {
  const owners = [...ofType(run, T.deployment), ...ofType(run, T.rollout), ...ofType(run, T.job)];
  return owners.flatMap((o) =>
    [
      ...(o.inputs.spec.template.spec.containers ?? []),
      ...(o.inputs.spec.template.spec.initContainers ?? []),
    ].map((c: { image: string }) => ({ owner: `${o.type} ${o.name}`, image: c.image })),
  );
}

describe.each(["dev", "prod"])("%s with pingpong:image", (stack) => {
  let built: ProgramRun;
  let prebuilt: ProgramRun;
  beforeAll(async () => {
    built = await runProgram(stack, stackConfig(stack));
    prebuilt = await runProgram(stack, { ...withoutRegistry(stack), image: REF });
  });

  test("nothing is built or pushed: no docker resource and no docker provider", () => {
    expect(prebuilt.resources.filter((r) => isDocker(r.type))).toEqual([]);
    expect(built.resources.filter((r) => r.type === T.image)).toHaveLength(1);
  });

  test("every place that ran the build runs exactly the reference, and only those", () => {
    const builtRef = String(built.outputs.imageRef);
    const before = usesOf(built, builtRef);
    expect(before.length).toBeGreaterThan(0);
    // Verification Jobs are named after what they check, the image included: compare by type and path.
    const shape = (uses: string[]) => uses.map((u) => u.replace(/ \S+?(?=\.)/, " *")).sort();
    expect(shape(usesOf(prebuilt, REF))).toEqual(shape(before));
    expect(JSON.stringify(prebuilt.resources)).not.toContain(builtRef);
  });

  test("every pod template of pingpong's image (Deployments, Rollout, Jobs) names the reference", () => {
    const app = podContainers(prebuilt).filter((c) => c.image.includes("pingpong"));
    expect(app.length).toBeGreaterThan(0);
    for (const c of app) expect(c).toEqual({ owner: c.owner, image: REF });
    const kinds = new Set(app.map((c) => c.owner.split(" ")[0]));
    expect(kinds).toContain(T.deployment);
    expect(kinds).toContain(T.job);
    if (stack === "dev") expect(kinds).toContain(T.rollout);
  });

  test("the outputs name the reference and its digest", () => {
    expect(prebuilt.outputs.imageRef).toBe(REF);
    expect(prebuilt.outputs.summary).toMatchObject({ image: { ref: REF, digest: DIGEST } });
  });

  test("everything else is what the build renders: only the image changes", () => {
    const names = (run: ProgramRun) =>
      run.resources
        // The build's component and its docker Image are the only difference.
        .filter((r) => !isDocker(r.type) && r.type !== "pingpong:image:PingpongImage")
        .map((r) => `${r.type} ${r.name.replace(/-[0-9a-f]{8}$/, "")}`)
        .sort();
    expect(names(prebuilt)).toEqual(names(built));
  });
});

describe("pull credentials with pingpong:image", () => {
  test("the pull Secrets authenticate to the reference's registry host", async () => {
    const run = await runProgram("prod", { ...withoutRegistry("prod"), image: REF, ...CREDENTIALS });
    const secrets = ofType(run, T.secret).filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson");
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      const config = JSON.parse(secret.inputs.stringData[".dockerconfigjson"]) as {
        auths: Record<string, { username: string; password: string }>;
      };
      expect(Object.keys(config.auths)).toEqual(["registry.acme.example"]);
      expect(config.auths["registry.acme.example"]).toMatchObject({
        username: "ci-bot",
        password: "s3cret-token",
      });
      expect(secret.secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    }
    expect(run.resources.filter((r) => isDocker(r.type))).toEqual([]);
  });
});
