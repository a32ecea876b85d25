import { isAbsolute } from "node:path";
import { PINNED_IMAGE, pinnedImageDefect } from "../components/image-ref";
import { DNS_LABEL } from "./formats";
import { ENVIRONMENTS, matches, oneOf, str } from "./key";

/** Rows of the settings table: the environment, the cluster, the image and the namespaces. */

const namespace = <const D extends string>(description: string, def: D) =>
  str({ description, default: def, valid: matches(DNS_LABEL), expected: "a DNS label" });

export const PLATFORM_KEYS = {
  environment: oneOf(ENVIRONMENTS, {
    description:
      "Environment whose defaults apply: dev, staging or prod. Defaults to the stack name when it is one of them.",
    optional: true,
  }),
  kubeconfig: str({
    description:
      "Path to a kubeconfig file (or its contents). Default: the KUBECONFIG environment variable or ~/.kube/config.",
    secret: true,
    optional: true,
    // Empty, the provider would fall back to KUBECONFIG or ~/.kube/config: unset says that plainly.
    valid: (v: string) => v.trim() !== "",
    expected: "the path of a kubeconfig file or its contents (unset: KUBECONFIG or ~/.kube/config)",
  }),
  kubeContext: str({
    description: "kubeconfig context of the target cluster.",
    // A local kind cluster (see stacks/kind/). Outside dev, never fall back to whatever context
    // happens to be current on the deploying machine; nor in dev, through an empty value.
    default: { dev: "kind-pingpong" },
    valid: (v: string) => v.trim() !== "",
    expected: (environment) => `the kubeconfig context of the ${environment} cluster`,
  }),
  image: str({
    description:
      "Prebuilt app image pinned by digest, <registry>/<repository>[:tag]@sha256:<hex>: nothing is built or pushed; workloads and Jobs run it. Unset: the stack builds and pushes app/.",
    // No default anywhere: a digest is one build's, chosen when promoting it.
    optional: true,
    valid: matches(PINNED_IMAGE),
    expected: "a reference pinned by digest, <registry>/<repository>[:tag]@sha256:<64 hex>",
    detail: pinnedImageDefect,
  }),
  registry: str({
    description:
      "Registry (host[:port][/path]) the app image is pushed to and pulled from, e.g. localhost:5001. Not used when image is set.",
    // The kind cluster's registry (stacks/kind/up.sh).
    default: { dev: "localhost:5001" },
    // A prebuilt image names its registry itself.
    requiredUnless: "image",
    valid: matches(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/),
    expected: "a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme",
  }),
  imageRepository: str({
    description: "Repository name of the app image inside the registry.",
    default: "pingpong",
    valid: matches(/^[a-z0-9]+([._/-][a-z0-9]+)*$/),
    expected: "a lowercase repository name",
  }),
  imagePlatform: str({
    description: "Platform the image is built for, e.g. linux/amd64 or linux/arm64 (must match the nodes).",
    // dev: the platform of the machine that builds, which is the kind nodes' too.
    default: { staging: "linux/amd64", prod: "linux/amd64" },
    optional: true,
    valid: matches(/^linux\/(amd64|arm64|arm\/v7|ppc64le|s390x)$/),
    expected: "linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le or linux/s390x",
  }),
  registryUsername: str({
    description:
      "User of the image's registry, to push the build and pull in the cluster; with registryPassword.",
    optional: true,
  }),
  registryPassword: str({
    description: "Password or token of the image's registry, to push and pull (set with --secret).",
    secret: true,
    optional: true,
  }),
  chartSource: str({
    description:
      "Directory of unpacked Helm charts as <chart>/<version>/ (e.g. /srv/charts/istiod/1.31.1/), for air-gapped clusters: every release installs from it. Unset: the charts' repositories.",
    // No default anywhere: a path is the deploying machine's, and the repositories serve every stack.
    optional: true,
    valid: (v: string) => isAbsolute(v),
    expected: "an absolute path to a directory of unpacked Helm charts laid out as <chart>/<version>/",
  }),
  namespaceA: namespace("Namespace of the first pingpong instance (sidecar-injected).", "pingpong-a"),
  namespaceB: namespace("Namespace of the second pingpong instance (sidecar-injected).", "pingpong-b"),
  namespaceC: namespace("Namespace of the test pod outside the mesh (never injected).", "pingpong-c"),
  monitoringNamespace: namespace(
    "Namespace of the Prometheus allowed to scrape pingpong through the NetworkPolicies.",
    "monitoring",
  ),
} as const;
