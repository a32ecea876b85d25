/**
 * Runs the pack's policies the way the Policy SDK does, without the engine: a resource policy on
 * one resource, a stack policy on a list of resources, any policy on a whole graph. Also reads the
 * per-environment config files and the rules table of policy/README.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { policies } from "../../policy/policies";
import type { CheckedResource } from "../../policy/resources";
import { PROJECT_ROOT } from "../support/stack-files";

// Resource properties are arbitrary JSON the tests edit in place.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;
export type Config = Record<string, unknown>;
export type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;
/** A recorded resource whose JSON properties the tests edit freely. */
export type Res = CheckedResource & { props: Props };
/** One violation a stack policy reported. */
export interface Reported {
  message: string;
  urn?: string;
}

export const POLICY_DIR = join(PROJECT_ROOT, "policy");

/** policy/config/<env>.json: per policy, its enforcement level and settings. */
export function policyConfig(env: string): Record<string, Config> {
  return JSON.parse(readFileSync(join(POLICY_DIR, "config", `${env}.json`), "utf8"));
}

/** A policy's config from a config file, without its enforcement level (as getConfig returns it). */
export function configOf(env: string, name: string): Config {
  const { enforcementLevel: _level, ...rest } = policyConfig(env)[name] ?? {};
  return rest;
}

/** The rules table of policy/README.md: each policy's name and kind as users read them. */
export function documentedRules(): { name: string; kind: string }[] {
  const readme = readFileSync(join(POLICY_DIR, "README.md"), "utf8");
  return [...readme.matchAll(/^\| `([a-z0-9-]+)` +\| (resource|stack) +\|/gm)].map(([, name, kind]) => ({
    name,
    kind,
  }));
}

export function policy(name: string): AnyPolicy {
  const found = policies.find((p) => p.name === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
}

export const urnOf = (type: string, name: string) => `urn:pulumi:test::pingpong::${type}::${name}`;

class NotApplicable extends Error {}

function resourceArgs(type: string, props: Props, config: Config, name = "subject"): ResourceValidationArgs {
  return {
    type,
    props,
    urn: urnOf(type, name),
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** Runs a resource policy on one resource; returns the reported messages. */
export async function validate(
  name: string,
  type: string,
  props: Props,
  config: Config = {},
  resourceName = "subject",
): Promise<string[]> {
  const p = policy(name);
  if (!("validateResource" in p) || !p.validateResource) throw new Error(`${name} is not a resource policy`);
  const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
  const messages: string[] = [];
  for (const v of validations)
    await v(resourceArgs(type, props, config, resourceName), (m) => messages.push(m));
  return messages;
}

function policyResource(r: CheckedResource): PolicyResource {
  const name = r.name ?? "subject";
  return {
    type: r.type,
    props: r.props,
    urn: r.urn ?? urnOf(r.type, name),
    name,
    opts: resourceArgs(r.type, r.props, {}).opts,
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

/** Runs a stack policy on resources; returns the reported messages and URNs. */
export async function validateStack(
  name: string,
  resources: CheckedResource[],
  config: Config = {},
): Promise<Reported[]> {
  const p = policy(name);
  if (!("validateStack" in p)) throw new Error(`${name} is not a stack policy`);
  const args: StackValidationArgs = {
    resources: resources.map(policyResource),
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
  const out: Reported[] = [];
  await p.validateStack(args, (message, urn) => out.push({ message, urn }));
  return out;
}

/** Runs any policy against a whole graph, resource by resource or as a stack. */
export async function validateGraph(
  p: AnyPolicy,
  resources: CheckedResource[],
  config: Config,
): Promise<string[]> {
  if ("validateStack" in p) return (await validateStack(p.name, resources, config)).map((v) => v.message);
  const messages: string[] = [];
  for (const r of resources) {
    for (const m of await validate(p.name, r.type, r.props, config, r.name)) messages.push(m);
  }
  return messages;
}
