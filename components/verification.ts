import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_PATHS } from "../app/src/contract";
import { LABEL_KEYS, componentLabels, standardLabels } from "./labels";
import { proxyConfigAnnotation } from "./mesh";
import { spiffeId, type Identity } from "./mesh-security";
import { pullSecret, type PullCredentials } from "./pull-secret";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";
import { RUN_AS, TLS_MOUNT } from "./workload";

const COMPONENT = "verification";

/** Labels of verification pods; NetworkPolicies let them call pingpong like the real peer. */
export const VERIFIER_LABELS: Record<string, string> = componentLabels(COMPONENT);

/**
 * The labels of one check's pods: the verifiers' and the check's name, so that a NetworkPolicy of
 * its own says what that check's pod may reach (the egress checks' only the egress gateway).
 */
export function checkPodLabels(check: string): Record<string, string> {
  return { ...VERIFIER_LABELS, [LABEL_KEYS.instance]: check };
}

/** One expectation as the plan states it: from where, to which instance, what must happen. */
export interface CheckSpec<K extends string = string> {
  /** DNS-safe name, e.g. a-to-b. */
  name: string;
  /** Where the probe runs: as an instance's identity, or in the out-of-mesh namespace. */
  from: { instance: K } | { outside: string };
  /** An instance, or a URL outside the mesh (egress checks). */
  to: K | { url: string };
  /** success: 2xx; failure: anything else; reached: any HTTP answer; rate-limited: a burst meets 429s. */
  expect: Expectation;
  /** For failures: the outcome expected, alternatives separated by `|` (e.g. "HTTP 502|ECONNRESET"). */
  expectError?: string;
  /** The instance whose SPIFFE ID the callee must report as its caller. */
  expectCallerOf?: K;
  /** Whether the probe needs the app's CA (the app terminates TLS). */
  tls: boolean;
  /** With rate-limited: how many requests the burst sends, and how many at once. */
  burst?: { requests: number; concurrency: number };
}

export type Expectation = "success" | "failure" | "reached" | "rate-limited";

/** What a check needs of an instance: its identity, its /ping URL, the app's TLS Secret if any. */
export interface CheckEndpoint {
  identity: Identity;
  url: pulumi.Input<string>;
  tlsSecretName?: pulumi.Input<string>;
}

/** One expectation, resolved to the namespaces, identities and URLs the cluster has. */
export interface Check {
  /** Short DNS-safe name, e.g. a-to-b. */
  name: string;
  /** Namespace the probe runs in: its identity in the mesh (or its absence). */
  namespace: pulumi.Input<string>;
  /** ServiceAccount the probe runs as; its principal is what the mesh checks. */
  serviceAccount?: pulumi.Input<string>;
  /** Whether the probe pod gets a sidecar (namespaces outside the mesh must not inject it). */
  inMesh: boolean;
  url: pulumi.Input<string>;
  expect: Expectation;
  /** For failures: the outcome expected, e.g. ECONNRESET. */
  expectError?: string;
  /** For successes: the caller SPIFFE ID the peer must report. */
  expectCaller?: pulumi.Input<string>;
  /** CA bundle file inside the pod, for https URLs. */
  caFile?: string;
  /** Secret mounted at TLS_MOUNT.path, where the app reads it (the app's certificate Secret, for caFile). */
  tlsSecretName?: pulumi.Input<string>;
  burst?: { requests: number; concurrency: number };
}

/**
 * How each probe holds its expectation. The Jobs start once the policy objects exist, which is a few
 * seconds before every sidecar has received them: a single request could still see the old policy.
 */
export const PROBE_HOLD = { timeoutMs: 10_000, attempts: 5, intervalMs: 1000, deadlineMs: 120_000 } as const;

/** A burst is repeated until this many in a row meet the expectation: each is thousands of requests. */
export const BURST_ATTEMPTS = 2;

/** Scheduling, image pull and sidecar start-up, on top of the probe's own deadline. */
const JOB_STARTUP_SECONDS = 60;

/** The Jobs' activeDeadlineSeconds: the probe ends by its deadline, so this only bounds start-up. */
export const JOB_DEADLINE_SECONDS = Math.ceil(PROBE_HOLD.deadlineMs / 1000) + JOB_STARTUP_SECONDS;

/** The probe's arguments for a check. */
export function probeArgs(check: {
  url: string;
  expect: string;
  expectError?: string;
  expectCaller?: string;
  caFile?: string;
  burst?: { requests: number; concurrency: number };
}): string[] {
  const attempts = check.burst ? BURST_ATTEMPTS : PROBE_HOLD.attempts;
  const args = [
    IMAGE_PATHS.probe,
    ...["--url", check.url, "--expect", check.expect],
    ...["--timeout", String(PROBE_HOLD.timeoutMs), "--attempts", String(attempts)],
    ...["--interval", String(PROBE_HOLD.intervalMs), "--deadline", String(PROBE_HOLD.deadlineMs)],
  ];
  if (check.burst) {
    args.push("--burst", String(check.burst.requests), "--concurrency", String(check.burst.concurrency));
  }
  if (check.expectError) args.push("--expect-error", check.expectError);
  if (check.expectCaller) args.push("--expect-caller", check.expectCaller);
  if (check.caFile) args.push("--cacert", check.caFile);
  return args;
}

/** What a check expects, as the stack output `verificationResults` says it. */
export function describeExpectation(
  check: Pick<Check, "expect" | "expectError" | "expectCaller" | "burst">,
): string {
  switch (check.expect) {
    case "success":
      return `success${check.expectCaller ? " naming the caller" : ""}`;
    case "failure":
      return `failure (${check.expectError ?? "any"})`;
    case "reached":
      return "an HTTP answer";
    case "rate-limited":
      return `HTTP 429 within a burst of ${check.burst?.requests ?? 0}, nothing else failing`;
  }
}

/** Eight hex digits that change whenever anything the verification depends on changes. */
export function fingerprint(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 8);
}

/** A check with the real namespaces, ServiceAccounts and URLs of the instances it names. */
export function resolveCheck<K extends string>(
  c: CheckSpec<K>,
  endpoints: Record<K, CheckEndpoint>,
  outsideNamespace: pulumi.Input<string>,
  trustDomain: string,
): Check {
  const from = "instance" in c.from ? endpoints[c.from.instance] : undefined;
  const caller = c.expectCallerOf && endpoints[c.expectCallerOf].identity;
  const tlsSecretName = c.tls ? from?.tlsSecretName : undefined;
  return {
    name: c.name,
    namespace: from ? from.identity.namespace : outsideNamespace,
    serviceAccount: from?.identity.serviceAccount,
    inMesh: from !== undefined,
    url: typeof c.to === "object" ? c.to.url : endpoints[c.to].url,
    expect: c.expect,
    expectError: c.expectError,
    burst: c.burst,
    expectCaller:
      caller &&
      pulumi.all([caller.namespace, caller.serviceAccount]).apply(([n, sa]) => spiffeId(trustDomain, n, sa)),
    ...(tlsSecretName ? { tlsSecretName, caFile: `${TLS_MOUNT.path}/ca.crt` } : {}),
  };
}

export interface VerificationArgs<K extends string = string> {
  image: pulumi.Input<string>;
  checks: CheckSpec<K>[];
  /** The instances the checks name. */
  endpoints: Record<K, CheckEndpoint>;
  /** The namespace outside the mesh (checks `from: { outside }` run there). */
  outsideNamespace: pulumi.Input<string>;
  trustDomain: string;
  /**
   * Everything whose change must re-run the checks: mesh policy, the image, the certificates.
   * It names the Jobs, so a change replaces them and `pulumi up` runs them again.
   */
  triggers: pulumi.Input<unknown>[];
  /** The workloads and policies under test: Jobs start only once they exist. */
  dependsOn: pulumi.Resource[];
  /** For a private registry: a pull Secret in the outside namespace (the instances' have their own). */
  pullCredentials?: PullCredentials;
}

/**
 * The mTLS proof, run by `pulumi up` itself: one Job per check, never retried, awaited by Pulumi,
 * so an unmet expectation fails the update. Within its Job the probe retries until the expectation
 * has held for PROBE_HOLD.attempts consecutive attempts, or its deadline passes.
 */
export class Verification extends pulumi.ComponentResource {
  /** Per check: what was expected and whether the Job succeeded. */
  public readonly results: pulumi.Output<Record<string, { expected: string; passed: boolean }>>;

  constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:verification:Verification", name, {}, opts);
    const hash = pulumi.all(args.triggers).apply(fingerprint);
    // The Secret is named like every namespace's pull Secret, so each Job's imagePullSecrets finds its own.
    const imagePullSecret =
      args.pullCredentials &&
      pullSecret(`${name}-pull-secret`, args.outsideNamespace, args.pullCredentials, {
        parent: this,
        // Formerly created at the top level of the stack.
        aliases: [{ parent: pulumi.rootStackResource }],
      }).metadata.name;
    const checks = args.checks.map((c) =>
      resolveCheck(c, args.endpoints, args.outsideNamespace, args.trustDomain),
    );
    const jobs = checks.map((check) => {
      const annotations: Record<string, string> = check.inMesh
        ? {
            // Native sidecar: the proxy stops when the probe exits, so the Job completes.
            "sidecar.istio.io/nativeSidecar": "true",
            ...proxyConfigAnnotation(),
          }
        : {};
      const job = new k8s.batch.v1.Job(
        `${name}-${check.name}`,
        {
          metadata: {
            name: pulumi.interpolate`verify-${check.name}-${hash}`,
            namespace: check.namespace,
            labels: standardLabels("pingpong", COMPONENT, check.name),
            // A failed check is run again by the next `pulumi up`, not left failed in place.
            annotations: { "pulumi.com/replaceUnready": "true" },
          },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: JOB_DEADLINE_SECONDS,
            template: {
              metadata: {
                labels: { ...checkPodLabels(check.name), "sidecar.istio.io/inject": String(check.inMesh) },
                annotations,
              },
              spec: {
                restartPolicy: "Never",
                serviceAccountName: check.serviceAccount,
                automountServiceAccountToken: false,
                imagePullSecrets: imagePullSecret ? [{ name: imagePullSecret }] : undefined,
                securityContext: restrictedPodSecurity(RUN_AS),
                containers: [
                  {
                    name: "probe",
                    image: args.image,
                    args: pulumi.all([check.url, check.expectCaller]).apply(([url, expectCaller]) =>
                      probeArgs({
                        url,
                        expect: check.expect,
                        expectError: check.expectError,
                        expectCaller,
                        caFile: check.caFile,
                        burst: check.burst,
                      }),
                    ),
                    resources: {
                      requests: { cpu: "10m", memory: "32Mi" },
                      limits: { cpu: "100m", memory: "64Mi" },
                    },
                    securityContext: restrictedContainerSecurity(),
                    volumeMounts: check.tlsSecretName
                      ? [{ name: TLS_MOUNT.volume, mountPath: TLS_MOUNT.path, readOnly: true }]
                      : undefined,
                  },
                ],
                volumes: check.tlsSecretName
                  ? [{ name: TLS_MOUNT.volume, secret: { secretName: check.tlsSecretName } }]
                  : undefined,
              },
            },
          },
        },
        { parent: this, dependsOn: args.dependsOn, customTimeouts: { create: "5m", update: "5m" } },
      );
      const expected = describeExpectation(check);
      return { check: check.name, expected, succeeded: job.status.succeeded };
    });
    this.results = pulumi
      .all(jobs.map((j) => j.succeeded))
      .apply((succeeded) =>
        Object.fromEntries(
          jobs.map((j, i) => [j.check, { expected: j.expected, passed: succeeded[i] === 1 }]),
        ),
      );
    this.registerOutputs({ results: this.results });
  }
}
