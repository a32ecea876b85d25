// Rules 1–4 (policy/pods.ts) on single Deployments and Jobs: the restricted security context, probes,
// bounded resources and digest-pinned images.
import { PATHS } from "../../app/src/contract";
import { DEFAULT_FORBIDDEN_PROBE_PATHS, checkProbes, pathTargets } from "../../policy/pods";
import { TYPES } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { validate, type Props } from "./support";

const DIGEST = `ghcr.io/acme/pingpong@sha256:${"a".repeat(64)}`;
const TOOLBOX_IMAGE = "curlimages/curl:8.11.1";

function goodContainer(): Props {
  return {
    name: "app",
    image: DIGEST,
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    readinessProbe: { httpGet: { path: PATHS.readyz, port: "http" } },
    livenessProbe: { httpGet: { path: PATHS.healthz, port: "http" } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
  };
}

/** A Deployment that meets every pod rule; `mutate` edits its one container and pod spec. */
function goodDeployment(mutate: (container: Props, pod: Props) => void = () => {}): Props {
  const container = goodContainer();
  const pod: Props = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container],
  };
  mutate(container, pod);
  return {
    metadata: { name: "app", namespace: "ns" },
    spec: { replicas: 3, template: { metadata: { labels: { app: "app" } }, spec: pod } },
  };
}

/** A Job that meets every pod rule: the Deployment's pod without probes, never restarted. */
function goodJob(mutate: (container: Props, pod: Props) => void = () => {}): Props {
  const props = goodDeployment((c, p) => {
    delete c.readinessProbe;
    delete c.livenessProbe;
    p.restartPolicy = "Never";
    mutate(c, p);
  });
  delete props.spec.replicas;
  return props;
}

const PROBES_REQUIRED = [
  expect.stringMatching(/readinessProbe is required/),
  expect.stringMatching(/livenessProbe is required/),
];

describe("restricted-security-context", () => {
  const name = POLICY_NAMES.securityContext;

  it("passes a restricted Deployment and Job (pod-level runAsNonRoot and seccomp)", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment())).toEqual([]);
    expect(await validate(name, TYPES.job, goodJob())).toEqual([]);
  });

  it("ignores other types", async () => {
    expect(await validate(name, TYPES.service, { spec: { type: "ClusterIP" } })).toEqual([]);
  });

  it.each<[string, (c: Props, p: Props) => void, RegExp]>([
    ["runAsNonRoot missing", (_c, p) => delete p.securityContext.runAsNonRoot, /runAsNonRoot/],
    ["container runAsNonRoot false", (c) => (c.securityContext.runAsNonRoot = false), /runAsNonRoot/],
    [
      "allowPrivilegeEscalation",
      (c) => delete c.securityContext.allowPrivilegeEscalation,
      /allowPrivilegeEscalation/,
    ],
    ["capabilities", (c) => (c.securityContext.capabilities = { drop: ["NET_RAW"] }), /capabilities/],
    ["seccomp", (_c, p) => delete p.securityContext.seccompProfile, /seccompProfile/],
    ["seccomp Unconfined", (c) => (c.securityContext.seccompProfile = { type: "Unconfined" }), /seccomp/],
    ["readOnlyRootFilesystem", (c) => (c.securityContext.readOnlyRootFilesystem = false), /readOnlyRoot/],
    ["privileged", (c) => (c.securityContext.privileged = true), /privileged/],
    [
      "an init container without a security context",
      (_c, p) => (p.initContainers = [{ name: "init", image: DIGEST }]),
      /container init \(initContainers\[0\]\)/,
    ],
  ])("fails a Deployment with %s", async (_label, mutate, expected) => {
    const messages = await validate(name, TYPES.deployment, goodDeployment(mutate));
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it("fails a Job too, for each setting only the container's securityContext can make", async () => {
    const messages = await validate(
      name,
      TYPES.job,
      goodJob((c) => delete c.securityContext),
    );
    // runAsNonRoot and seccompProfile still come from the pod's securityContext.
    const containerOnly = [
      expect.stringMatching(/allowPrivilegeEscalation/),
      expect.stringMatching(/capabilities/),
      expect.stringMatching(/readOnlyRootFilesystem/),
    ];
    expect(messages).toEqual(expect.arrayContaining(containerOnly));
    expect(messages).toHaveLength(containerOnly.length);
  });
});

describe("probes-required-not-on-ping", () => {
  const name = POLICY_NAMES.probes;

  it("passes a Deployment with readiness and liveness probes off /ping", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment())).toEqual([]);
  });

  it("does not ask Jobs for probes", async () => {
    expect(await validate(name, TYPES.job, goodJob())).toEqual([]);
  });

  it("fails missing probes", async () => {
    const messages = await validate(
      name,
      TYPES.deployment,
      goodDeployment((c) => {
        delete c.readinessProbe;
        delete c.livenessProbe;
      }),
    );
    expect(messages).toEqual(PROBES_REQUIRED);
  });

  it.each(["readinessProbe", "livenessProbe", "startupProbe"])("fails a %s on /ping", async (probe) => {
    const path = `${PATHS.ping}?probe=1`;
    const messages = await validate(
      name,
      TYPES.deployment,
      goodDeployment((c) => (c[probe] = { httpGet: { path, port: "http" } })),
    );
    expect(messages).toEqual([expect.stringContaining(`${probe} targets ${path}`)]);
  });

  it("matches the path exactly, not by prefix", () => {
    expect(pathTargets("/ping", "/ping")).toBe(true);
    expect(pathTargets("/ping/", "/ping")).toBe(true);
    expect(pathTargets("/pingz", "/ping")).toBe(false);
    expect(pathTargets("/healthz", "/ping")).toBe(false);
  });

  it("exempts configured tooling images from the probe requirement only", async () => {
    const toolbox = goodDeployment((c) => {
      c.image = TOOLBOX_IMAGE;
      delete c.readinessProbe;
      delete c.livenessProbe;
    });
    const config = { exemptImagePrefixes: ["curlimages/curl:"] };
    expect(await validate(name, TYPES.deployment, toolbox, config)).toEqual([]);
    expect(await validate(name, TYPES.deployment, toolbox, {})).toEqual(PROBES_REQUIRED);
    toolbox.spec.template.spec.containers[0].startupProbe = { httpGet: { path: PATHS.ping } };
    expect(await validate(name, TYPES.deployment, toolbox, config)).toEqual([
      expect.stringContaining(`startupProbe targets ${PATHS.ping}`),
    ]);
  });

  it("forbids the app's counted endpoint by default, and honours configured paths", () => {
    expect(DEFAULT_FORBIDDEN_PROBE_PATHS).toEqual([PATHS.ping]);
    const props = goodDeployment();
    const readiness: string = props.spec.template.spec.containers[0].readinessProbe.httpGet.path;
    expect(checkProbes(TYPES.deployment, props, { forbiddenPaths: [readiness] })).toEqual([
      expect.stringContaining(`readinessProbe targets ${readiness}`),
    ]);
  });
});

describe("container-resources-bounded", () => {
  const name = POLICY_NAMES.resources;

  it("passes containers with cpu and memory requests and limits", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment())).toEqual([]);
    expect(await validate(name, TYPES.job, goodJob())).toEqual([]);
  });

  it("fails a Deployment container without a memory limit and a Job without resources", async () => {
    expect(
      await validate(
        name,
        TYPES.deployment,
        goodDeployment((c) => delete c.resources.limits.memory),
      ),
    ).toEqual([expect.stringMatching(/missing resources limits\.memory$/)]);
    expect(
      await validate(
        name,
        TYPES.job,
        goodJob((c) => delete c.resources),
      ),
    ).toEqual([expect.stringMatching(/requests\.cpu, requests\.memory, limits\.cpu, limits\.memory/)]);
  });
});

describe("images-pinned-by-digest", () => {
  const name = POLICY_NAMES.images;
  const config = { allowedImagePrefixes: ["curlimages/curl:"] };

  it("passes digests and allow-listed tooling", async () => {
    expect(await validate(name, TYPES.deployment, goodDeployment(), config)).toEqual([]);
    const toolbox = goodDeployment((c) => (c.image = TOOLBOX_IMAGE));
    expect(await validate(name, TYPES.deployment, toolbox, config)).toEqual([]);
  });

  it("fails tags, short digests and tooling that is not allow-listed", async () => {
    const tagged = goodDeployment((c) => (c.image = "ghcr.io/acme/pingpong:prod"));
    expect(await validate(name, TYPES.deployment, tagged, config)).toEqual([
      expect.stringMatching(/not pinned by digest/),
    ]);
    const short = goodJob((c) => (c.image = "ghcr.io/acme/pingpong@sha256:abc"));
    expect(await validate(name, TYPES.job, short, config)).toHaveLength(1);
    const toolbox = goodDeployment((c) => (c.image = TOOLBOX_IMAGE));
    expect(await validate(name, TYPES.deployment, toolbox, {})).toHaveLength(1);
  });
});
