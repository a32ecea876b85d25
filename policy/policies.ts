import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { pdbConsistentWithHpa } from "./availability";
import { gatewayTls, loadBalancers } from "./edge";
import { registryOnlyEgress } from "./egress";
import { strictMtls } from "./mesh";
import { imagesPinned, probes, resourceLimits, restrictedSecurityContext } from "./pods";

/**
 * The production bar of the pingpong program as policies, one module per group of rules. Every
 * rule is a pure function over plain resource data (`type` token and `props`), so unit tests call
 * it directly; the policy objects only wire those functions to the Policy SDK (sdk.ts) and report
 * what they return.
 */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  restrictedSecurityContext,
  probes,
  resourceLimits,
  imagesPinned,
  strictMtls,
  loadBalancers,
  gatewayTls,
  pdbConsistentWithHpa,
  registryOnlyEgress,
];
