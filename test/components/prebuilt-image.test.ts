import { appImage, prebuiltImage } from "../../components/image";
import { ofType, runComponent } from "../support/program";
import { T } from "../support/tokens";

/** The app image from its source: a prebuilt reference registers nothing, a build registers one Image. */

const DIGEST = `sha256:${"0f".repeat(32)}`;
const REF = `registry.acme.example:5000/team/pingpong:v2@${DIGEST}`;

describe("appImage", () => {
  test("prebuilt: no resource at all, the reference as is, its digest, no pull credentials", async () => {
    const run = await runComponent(() => {
      const image = appImage("image", { mode: "prebuilt", ref: REF });
      return { ref: image.ref, digest: image.digest, pull: image.pullCredentials };
    });
    expect(run.resources).toEqual([]);
    expect(run.outputs).toEqual({ ref: REF, digest: DIGEST });
  });

  test("prebuilt with credentials: pull credentials for the reference's registry host", async () => {
    const run = await runComponent(() => {
      const image = prebuiltImage(REF, { username: "bot", password: "t0ken" });
      return { pull: image.pullCredentials };
    });
    expect(run.resources).toEqual([]);
    expect(run.outputs.pull).toEqual({
      server: "registry.acme.example:5000",
      username: "bot",
      password: "t0ken",
    });
  });

  test("prebuilt refuses a reference that is not pinned by digest", () => {
    expect(() => prebuiltImage("ghcr.io/acme/pingpong:v2")).toThrow(
      'prebuilt image: expected <registry>/<repository>@sha256:<64 hex>, got "ghcr.io/acme/pingpong:v2"',
    );
  });

  test("build: one docker Image, pushed to the registry", async () => {
    const build = {
      registry: "ghcr.io/acme",
      repository: "pingpong",
      tag: "prod",
      context: ".",
      dockerfile: "app/Dockerfile",
    };
    const run = await runComponent(() => ({ ref: appImage("image", { mode: "build", build }).ref }));
    expect(ofType(run, T.image)).toHaveLength(1);
    expect(String(run.outputs.ref)).toMatch(/^ghcr\.io\/acme\/pingpong@sha256:[0-9a-f]{64}$/);
  });
});
