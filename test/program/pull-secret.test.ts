import { dockerConfigJson } from "../../components/pull-secret";
import { ofType, runProgram, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";

/** Image pull Secrets (the TLS Secrets of the ingress and the mesh CA are other types). */
const pullSecrets = (run: ProgramRun) =>
  ofType(run, "kubernetes:core/v1:Secret").filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson");

describe("registry credentials", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("staging", {
      ...stackConfig("staging"),
      registryUsername: "ci-bot",
      registryPassword: "s3cret-token",
    });
  });

  test("each instance gets a dockerconfigjson pull Secret that its ServiceAccount references", () => {
    const secrets = pullSecrets(run).filter((s) => s.inputs.metadata.namespace !== "pingpong-c");
    expect(secrets.map((s) => s.inputs.metadata.namespace).sort()).toEqual(["pingpong-a", "pingpong-b"]);
    for (const secret of secrets) {
      expect(secret.inputs.type).toBe("kubernetes.io/dockerconfigjson");
      expect(secret.secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
      const config = JSON.parse(secret.inputs.stringData[".dockerconfigjson"]) as {
        auths: Record<string, { username: string; password: string; auth: string }>;
      };
      // Credentials apply to the registry host, not to its path.
      expect(Object.keys(config.auths)).toEqual(["ghcr.io"]);
      expect(config.auths["ghcr.io"]).toMatchObject({ username: "ci-bot", password: "s3cret-token" });
      expect(Buffer.from(config.auths["ghcr.io"].auth, "base64").toString()).toBe("ci-bot:s3cret-token");
      const account = ofType(run, "kubernetes:core/v1:ServiceAccount").find(
        (sa) => sa.inputs.metadata.namespace === secret.inputs.metadata.namespace,
      );
      expect(account?.inputs.imagePullSecrets).toEqual([{ name: secret.inputs.metadata.name }]);
    }
  });

  test("the verification Jobs in pingpong-c pull with their own dockerconfigjson Secret there", () => {
    const inC = pullSecrets(run).filter((s) => s.inputs.metadata.namespace === "pingpong-c");
    expect(inC).toHaveLength(1);
    const config = JSON.parse(inC[0].inputs.stringData[".dockerconfigjson"]) as {
      auths: Record<string, { username: string; password: string }>;
    };
    expect(config.auths["ghcr.io"]).toMatchObject({ username: "ci-bot", password: "s3cret-token" });
    expect(inC[0].secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    const jobsInC = ofType(run, "kubernetes:batch/v1:Job").filter(
      (j) => j.inputs.metadata.namespace === "pingpong-c",
    );
    expect(jobsInC.length).toBeGreaterThan(0);
    for (const job of jobsInC)
      expect(job.inputs.spec.template.spec.imagePullSecrets).toEqual([{ name: inC[0].inputs.metadata.name }]);
  });

  test("the image is pushed with the same credentials to the registry host", () => {
    const [image] = ofType(run, "docker:index/image:Image");
    expect(image.inputs.registry).toMatchObject({
      server: "ghcr.io",
      username: "ci-bot",
      password: "s3cret-token",
    });
  });

  test("without credentials there is no pull Secret and no imagePullSecrets", async () => {
    const plain = await runProgram("staging", stackConfig("staging"));
    expect(pullSecrets(plain)).toHaveLength(0);
    for (const job of ofType(plain, "kubernetes:batch/v1:Job"))
      expect(job.inputs.spec.template.spec.imagePullSecrets).toBeUndefined();
    for (const sa of ofType(plain, "kubernetes:core/v1:ServiceAccount"))
      expect(sa.inputs.imagePullSecrets).toBeUndefined();
  });

  test("dockerConfigJson is the document kubelet reads", () => {
    expect(JSON.parse(dockerConfigJson("r.example", "u", "p"))).toEqual({
      auths: { "r.example": { username: "u", password: "p", auth: Buffer.from("u:p").toString("base64") } },
    });
  });
});
