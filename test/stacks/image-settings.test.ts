import { parsePinnedImage, pinnedImageDefect } from "../../components/image-ref";
import { plan } from "../../stacks/plan";
import { parseSettings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { CLUSTER_SETTINGS, settingsError } from "../support/variants";

/** pingpong:image: a prebuilt image pinned by digest, promoted as is; nothing built, nothing pushed. */

type Raw = Record<string, string | number | boolean>;
const DIGEST = `sha256:${"ab12".repeat(16)}`;
const REF = `registry.acme.example/team/pingpong@${DIGEST}`;
/** What staging and prod need besides the image: a cluster and a collector, but no registry. */
const { registry: _registry, ...CLUSTER } = CLUSTER_SETTINGS;
const settings = (values: Raw, stack: string) => parseSettings(engineConfig(values), stack);
const problems = (values: Raw, stack: string) => settingsError(values, stack).problems;
const EXPECTED = "expected a reference pinned by digest, <registry>/<repository>[:tag]@sha256:<64 hex>";

describe("pingpong:image: accepted references", () => {
  test.each(["dev", "staging", "prod"])("%s: the reference is taken as is, without a registry", (stack) => {
    const s = settings({ ...(stack === "dev" ? {} : CLUSTER), image: REF }, stack);
    expect(s.image.reference).toBe(REF);
    expect(plan(s).image).toEqual({ mode: "prebuilt", ref: REF });
  });

  test("a tag beside the digest is kept, as a label of intent", () => {
    const tagged = `localhost:5001/pingpong:v1.4.2@${DIGEST}`;
    expect(plan(settings({ image: tagged }, "dev")).image).toEqual({ mode: "prebuilt", ref: tagged });
    expect(parsePinnedImage(tagged)).toEqual({
      registry: "localhost:5001",
      repository: "pingpong",
      tag: "v1.4.2",
      digest: DIGEST,
    });
  });

  test("prod's default imagePlatform and dev's default registry are not the stack's choice: no problem", () => {
    expect(() => settings({ ...CLUSTER, image: REF }, "prod")).not.toThrow();
    expect(() => settings({ image: REF }, "dev")).not.toThrow();
  });

  test("registry credentials still make pull credentials, for the reference's registry host", () => {
    const s = settings(
      { ...CLUSTER, image: REF, registryUsername: "bot", registryPassword: "t0ken" },
      "prod",
    );
    expect(s.image.credentials).toEqual({ username: "bot", password: "t0ken" });
    expect(parsePinnedImage(REF)?.registry).toBe("registry.acme.example");
  });

  test("unset: the stack builds and pushes, as before", () => {
    const s = settings({ ...CLUSTER_SETTINGS }, "prod");
    expect(s.image.reference).toBeUndefined();
    expect(plan(s).image).toEqual({
      mode: "build",
      build: {
        registry: CLUSTER_SETTINGS.registry,
        repository: "pingpong",
        platform: "linux/amd64",
        tag: "prod",
        context: ".",
        dockerfile: "app/Dockerfile",
      },
    });
  });
});

describe("pingpong:image: one problem, one line naming key, value and expectation", () => {
  const cases: Array<[string, string, Raw, string]> = [
    [
      "a tag alone",
      "dev",
      { image: "ghcr.io/acme/pingpong:v1" },
      `pingpong:image="ghcr.io/acme/pingpong:v1": ${EXPECTED} (no digest: a tag alone may name other bytes in each environment)`,
    ],
    [
      "a digest too short",
      "dev",
      { image: "ghcr.io/acme/pingpong@sha256:abc" },
      `pingpong:image="ghcr.io/acme/pingpong@sha256:abc": ${EXPECTED} (no digest: a tag alone may name other bytes in each environment)`,
    ],
    [
      "no registry at all",
      "dev",
      { image: `pingpong@${DIGEST}` },
      `pingpong:image="pingpong@${DIGEST}": ${EXPECTED} (no registry host: expected <registry>/<repository>@sha256:<64 hex>)`,
    ],
    [
      "a Docker Hub namespace instead of a registry host",
      "dev",
      { image: `acme/pingpong@${DIGEST}` },
      `pingpong:image="acme/pingpong@${DIGEST}": ${EXPECTED} ("acme" is not a registry host: a domain name with a dot, localhost, or host:port)`,
    ],
    [
      "an uppercase repository",
      "dev",
      { image: `ghcr.io/Acme/PingPong@${DIGEST}` },
      `pingpong:image="ghcr.io/Acme/PingPong@${DIGEST}": ${EXPECTED} (not a lowercase repository[:tag] after the registry host)`,
    ],
    [
      "registry set with it (it would be ignored)",
      "dev",
      { image: REF, registry: "localhost:5002" },
      'pingpong:registry="localhost:5002": expected unset while pingpong:image is set: the reference names its registry, and nothing is pushed',
    ],
    [
      "imageRepository set with it",
      "prod",
      { ...CLUSTER, image: REF, imageRepository: "pingpong" },
      'pingpong:imageRepository="pingpong": expected unset while pingpong:image is set: the reference names its repository, and nothing is pushed',
    ],
    [
      "imagePlatform set with it",
      "staging",
      { ...CLUSTER, image: REF, imagePlatform: "linux/arm64" },
      `pingpong:imagePlatform="linux/arm64": expected unset while pingpong:image is set: nothing is built; the reference's digest fixes the platform`,
    ],
    [
      "neither image nor registry in staging",
      "staging",
      { ...CLUSTER },
      "pingpong:registry=<unset>: expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme (or pingpong:image set instead)",
    ],
    [
      "a bad image in prod without registry: the image's problem only, not a missing registry too",
      "prod",
      { ...CLUSTER, image: "ghcr.io/acme/pingpong:latest" },
      `pingpong:image="ghcr.io/acme/pingpong:latest": ${EXPECTED} (no digest: a tag alone may name other bytes in each environment)`,
    ],
  ];

  test.each(cases)("%s", (_what, stack, values, expected) => {
    expect(problems(values, stack)).toEqual([expected]);
  });

  test("every build setting set with it is refused at once, each on its own line", () => {
    const all = { image: REF, registry: "ghcr.io/acme", imageRepository: "pp", imagePlatform: "linux/amd64" };
    expect(problems({ ...CLUSTER, ...all }, "prod").map((p) => p.split("=")[0])).toEqual([
      "pingpong:registry",
      "pingpong:imageRepository",
      "pingpong:imagePlatform",
    ]);
  });

  test("pinnedImageDefect is empty for a pinned reference, and parsePinnedImage refuses a tag", () => {
    expect(pinnedImageDefect(REF)).toBe("");
    expect(parsePinnedImage("ghcr.io/acme/pingpong:v1")).toBeUndefined();
  });
});
