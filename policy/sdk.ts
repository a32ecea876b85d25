/**
 * The wiring of the pure checks to the Policy SDK: a policy object calls its check on the
 * resource (or the stack's resources) and reports each message it returns.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { CheckedResource, Obj, StackViolation } from "./resources";

export const POLICY_NAMES = {
  securityContext: "restricted-security-context",
  probes: "probes-required-not-on-ping",
  resources: "container-resources-bounded",
  images: "images-pinned-by-digest",
  mtls: "strict-mtls-in-injected-namespaces",
  loadBalancers: "loadbalancer-only-for-ingress-gateway",
  gatewayTls: "istio-gateway-tls",
  pdbHpa: "pdb-consistent-with-hpa",
  registryOnly: "egress-registry-only",
} as const;

const label = (type: string, name: string | undefined) =>
  `${type.split(":").pop() ?? type}${name ? ` ${name}` : ""}`;

export type ResourceCheck<C> = (type: string, props: Obj, config: C) => string[];

export function resourcePolicy<C extends object>(
  policy: Omit<ResourceValidationPolicy, "validateResource">,
  check: ResourceCheck<C>,
): ResourceValidationPolicy {
  return {
    ...policy,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      for (const message of check(args.type, args.props, args.getConfig<C>())) {
        report(`${label(args.type, args.name)}: ${message}`);
      }
    },
  };
}

const asChecked = (resources: PolicyResource[]): CheckedResource[] =>
  resources.map((r) => ({ type: r.type, props: r.props, name: r.name, urn: r.urn }));

export function stackPolicy<C extends object>(
  policy: Omit<StackValidationPolicy, "validateStack">,
  check: (resources: CheckedResource[], config: C) => StackViolation[],
): StackValidationPolicy {
  return {
    ...policy,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const v of check(asChecked(args.resources), args.getConfig<C>())) report(v.message, v.urn);
    },
  };
}

/** The config schema of a list of strings. */
export const stringList = (description: string) => ({
  type: "array" as const,
  items: { type: "string" as const },
  description,
});
