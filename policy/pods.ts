/**
 * Rules on the pod templates of the program's Deployments and Jobs: the restricted security
 * context, probes, bounded resources and digest-pinned images.
 */
import { POLICY_NAMES, resourcePolicy, stringList } from "./sdk";
import { TYPES, arr, containersOf, isObj, obj, podSpecOf, str, type Obj } from "./resources";

// 1. Restricted security context

export function checkRestrictedSecurityContext(type: string, props: Obj): string[] {
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const pod = obj(podSpec.securityContext);
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec)) {
    const sc = obj(container.securityContext);
    const at = `container ${name} (${where})`;
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true)
      out.push(`${at}: runAsNonRoot must be true (pod or container securityContext)`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation must be false`);
    const drop = arr(obj(sc.capabilities).drop);
    if (!drop.includes("ALL")) out.push(`${at}: capabilities.drop must include ALL`);
    const seccomp = str(obj(sc.seccompProfile ?? pod.seccompProfile).type);
    if (seccomp !== "RuntimeDefault") {
      out.push(
        `${at}: seccompProfile.type must be RuntimeDefault (pod or container), got ${String(seccomp)}`,
      );
    }
    if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: readOnlyRootFilesystem must be true`);
    if (sc.privileged === true) out.push(`${at}: privileged containers are not allowed`);
  }
  return out;
}

// 2. Probes

export interface ProbeConfig {
  /** HTTP paths no probe may target: the counted endpoint. */
  forbiddenPaths?: string[];
  /**
   * Image prefixes of containers that need no readiness and liveness probes: third-party tooling
   * that serves nothing, such as the toolbox (`sleep`). Their probes, if any, still may not hit /ping.
   */
  exemptImagePrefixes?: string[];
}
/** The app's counted endpoint (app/src/contract.ts PATHS.ping); a probe there inflates the count. */
export const DEFAULT_FORBIDDEN_PROBE_PATHS = ["/ping"];

const PROBES = ["startupProbe", "readinessProbe", "livenessProbe"] as const;

/** Whether `path` is `forbidden` itself, ignoring a trailing slash, query or fragment. */
export function pathTargets(path: string, forbidden: string): boolean {
  const base = forbidden.replace(/\/+$/, "");
  if (!path.startsWith(base)) return false;
  const rest = path.slice(base.length);
  return rest === "" || /^[/?#]/.test(rest);
}

export function checkProbes(type: string, props: Obj, config: ProbeConfig = {}): string[] {
  if (type !== TYPES.deployment) return [];
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const forbidden = config.forbiddenPaths ?? DEFAULT_FORBIDDEN_PROBE_PATHS;
  const exempt = config.exemptImagePrefixes ?? [];
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec, false)) {
    const at = `container ${name} (${where})`;
    const image = str(container.image) ?? "";
    const needsProbes = !exempt.some((prefix) => prefix !== "" && image.startsWith(prefix));
    if (needsProbes && !isObj(container.readinessProbe)) out.push(`${at}: readinessProbe is required`);
    if (needsProbes && !isObj(container.livenessProbe)) out.push(`${at}: livenessProbe is required`);
    for (const probe of PROBES) {
      const path = str(obj(obj(container[probe]).httpGet).path);
      const hit = path !== undefined ? forbidden.find((f) => pathTargets(path, f)) : undefined;
      if (hit !== undefined) out.push(`${at}: ${probe} targets ${path}, the counted endpoint ${hit}`);
    }
  }
  return out;
}

// 3. Resource requests and limits

export function checkResourceLimits(type: string, props: Obj): string[] {
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec)) {
    const resources = obj(container.resources);
    const missing = (["requests", "limits"] as const).flatMap((kind) =>
      (["cpu", "memory"] as const)
        .filter((r) => {
          const v = obj(resources[kind])[r];
          return v === undefined || v === null || v === "";
        })
        .map((r) => `${kind}.${r}`),
    );
    if (missing.length > 0) out.push(`container ${name} (${where}): missing resources ${missing.join(", ")}`);
  }
  return out;
}

// 4. Images pinned by digest

export interface ImageConfig {
  /** Image prefixes exempt from pinning: third-party tooling such as the toolbox. */
  allowedImagePrefixes?: string[];
}
export const DIGEST_PATTERN = /@sha256:[0-9a-f]{64}$/;

export function checkImagesPinned(type: string, props: Obj, config: ImageConfig = {}): string[] {
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const allowed = config.allowedImagePrefixes ?? [];
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec)) {
    const image = str(container.image) ?? "";
    if (DIGEST_PATTERN.test(image)) continue;
    if (allowed.some((prefix) => prefix !== "" && image.startsWith(prefix))) continue;
    out.push(
      `container ${name} (${where}): image ${JSON.stringify(image)} is not pinned by digest (@sha256:<64 hex>)`,
    );
  }
  return out;
}

// Policies

export const restrictedSecurityContext = resourcePolicy(
  {
    name: POLICY_NAMES.securityContext,
    description:
      "Deployment and Job pods run under the restricted profile: runAsNonRoot, no privilege escalation, " +
      "all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem, never privileged.",
    severity: "high",
  },
  (type, props) => checkRestrictedSecurityContext(type, props),
);

export const probes = resourcePolicy<ProbeConfig>(
  {
    name: POLICY_NAMES.probes,
    description:
      "Every Deployment container has readiness and liveness probes (tooling images may be exempted " +
      "by config), and no probe calls /ping (the endpoint whose calls are counted).",
    severity: "medium",
    configSchema: {
      properties: {
        forbiddenPaths: stringList("HTTP paths no probe may target."),
        exemptImagePrefixes: stringList("Image prefixes of tooling containers that need no probes."),
      },
    },
  },
  checkProbes,
);

export const resourceLimits = resourcePolicy(
  {
    name: POLICY_NAMES.resources,
    description: "Every Deployment and Job container requests and limits both cpu and memory.",
    severity: "medium",
  },
  (type, props) => checkResourceLimits(type, props),
);

export const imagesPinned = resourcePolicy<ImageConfig>(
  {
    name: POLICY_NAMES.images,
    description:
      "Deployment and Job container images are pinned by digest (@sha256:<64 hex>), except images " +
      "starting with an allowed prefix (third-party tooling such as the toolbox).",
    severity: "high",
    configSchema: {
      properties: {
        allowedImagePrefixes: stringList("Image reference prefixes exempt from digest pinning."),
      },
    },
  },
  checkImagesPinned,
);
