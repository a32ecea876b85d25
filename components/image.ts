import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { parsePinnedImage } from "./image-ref";
import type { PullCredentials } from "./pull-secret";

export interface PingpongImageArgs {
  /** Registry host[:port][/path], e.g. `localhost:5001` or `ghcr.io/acme`. */
  registry: pulumi.Input<string>;
  /** Repository name inside the registry, e.g. `pingpong`. */
  repository: pulumi.Input<string>;
  /** Tag pushed alongside the digest; also the build cache source of the next build. */
  tag: pulumi.Input<string>;
  /** Build context, relative to the project root. */
  context: string;
  /** Dockerfile path, relative to the project root. */
  dockerfile: string;
  /** Target platform, e.g. `linux/amd64`; the builder's own platform when omitted. */
  platform?: pulumi.Input<string>;
  /** Registry credentials, when the registry needs them. The password is kept secret. */
  credentials?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
}

/** The registry host that credentials apply to: everything before the first `/`. */
export function registryServer(registry: string): string {
  return registry.split("/")[0];
}

/** What workloads, Jobs and outputs need of the app image, whether the stack built it or not. */
export interface AppImage {
  /** `registry/repository[:tag]@sha256:...`, what workloads run. */
  readonly ref: pulumi.Output<string>;
  /** `sha256:...` */
  readonly digest: pulumi.Output<string>;
  /** What a pull Secret needs for the image's registry; absent when it needs no credentials. */
  readonly pullCredentials?: PullCredentials;
}

/**
 * An image built elsewhere and pinned by digest: nothing is built or pushed, no resource is
 * registered; workloads run exactly `ref` (a tag in it is kept, the digest decides).
 */
export function prebuiltImage(
  ref: string,
  credentials?: { username: pulumi.Input<string>; password: pulumi.Input<string> },
): AppImage {
  const pinned = parsePinnedImage(ref);
  if (!pinned) {
    throw new Error(
      `prebuilt image: expected <registry>/<repository>@sha256:<64 hex>, got ${JSON.stringify(ref)}`,
    );
  }
  return {
    ref: pulumi.output(ref),
    digest: pulumi.output(pinned.digest),
    pullCredentials: credentials && {
      server: registryServer(pinned.registry),
      username: credentials.username,
      password: pulumi.secret(credentials.password),
    },
  };
}

/**
 * Builds app/ with its multi-stage Dockerfile (BuildKit, cache from the previously pushed tag),
 * pushes it, and exposes the reference pinned by digest so Deployments roll exactly when the image
 * content changes.
 */
export class PingpongImage extends pulumi.ComponentResource implements AppImage {
  /** `registry/repository:tag`, moves on every push. */
  public readonly imageName: pulumi.Output<string>;
  /** `registry/repository@sha256:...`, what workloads run. */
  public readonly ref: pulumi.Output<string>;
  /** `sha256:...` */
  public readonly digest: pulumi.Output<string>;
  /** What a pull Secret needs for the same registry; absent when it needs no credentials. */
  public readonly pullCredentials?: PullCredentials;

  constructor(name: string, args: PingpongImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:image:PingpongImage", name, {}, opts);

    const imageName = pulumi.interpolate`${args.registry}/${args.repository}:${args.tag}`;
    const login = args.credentials && {
      server: pulumi.output(args.registry).apply(registryServer),
      username: args.credentials.username,
      password: pulumi.secret(args.credentials.password),
    };
    const image = new docker.Image(
      `${name}-build`,
      {
        imageName,
        build: {
          context: args.context,
          dockerfile: args.dockerfile,
          platform: args.platform,
          builderVersion: docker.BuilderVersion.BuilderBuildKit,
          // Inline cache metadata lets the next build reuse layers from the pushed tag.
          args: { BUILDKIT_INLINE_CACHE: "1" },
          cacheFrom: { images: [imageName] },
        },
        registry: login,
      },
      { parent: this },
    );

    this.imageName = image.imageName;
    this.pullCredentials = login;
    this.ref = image.repoDigest.apply((ref) => {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) {
        throw new Error(
          `image ${name}: expected a pushed image reference repo@sha256:<digest>, got ${JSON.stringify(ref)}`,
        );
      }
      return ref;
    });
    this.digest = this.ref.apply((ref) => ref.slice(ref.indexOf("@") + 1));
    this.registerOutputs({ imageName: this.imageName, ref: this.ref, digest: this.digest });
  }
}

/** Where the app image comes from: built from app/ and pushed by the stack, or prebuilt and pinned. */
export type ImageSource =
  { mode: "build"; build: Omit<PingpongImageArgs, "credentials"> } | { mode: "prebuilt"; ref: string };

/** The app image from its source (the plan decides which); a prebuilt one registers no resource. */
export function appImage(
  name: string,
  source: ImageSource,
  credentials?: PingpongImageArgs["credentials"],
  opts?: pulumi.ComponentResourceOptions,
): AppImage {
  switch (source.mode) {
    case "build":
      return new PingpongImage(name, { ...source.build, credentials }, opts);
    case "prebuilt":
      return prebuiltImage(source.ref, credentials);
  }
}
