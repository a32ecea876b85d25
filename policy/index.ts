import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

/**
 * The pingpong production bar. Every policy is mandatory unless the policy config of the
 * environment (policy/config/<env>.json) lowers it; see README.md.
 */
new PolicyPack("pingpong-production-bar", { policies, enforcementLevel: "mandatory" });
