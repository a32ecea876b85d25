// The pack (policy/index.ts, the list in policy/policies.ts) and its per-environment config files.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { POLICY_NAMES } from "../../policy/sdk";
import { stackNames } from "../support/stack-files";
import { POLICY_DIR, documentedRules, policy, policyConfig } from "./support";

/** One policy config file per stack of the project. */
const ENVIRONMENTS = stackNames();

describe("the policy pack and its configuration", () => {
  const names = policies.map((p) => p.name);

  it("has uniquely named policies with descriptions, the rules README.md documents", () => {
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.values(POLICY_NAMES).sort());
    expect([...names].sort()).toEqual(
      documentedRules()
        .map((r) => r.name)
        .sort(),
    );
    for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
  });

  it("implements each policy as the kind (resource or stack) README.md gives it", () => {
    for (const { name, kind } of documentedRules()) {
      expect({ name, kind: "validateStack" in policy(name) ? "stack" : "resource" }).toEqual({ name, kind });
    }
  });

  it("names the pack and defaults every policy to mandatory", () => {
    const source = readFileSync(join(POLICY_DIR, "index.ts"), "utf8");
    expect(source).toMatch(/new PolicyPack\("pingpong-production-bar",/);
    expect(source).toMatch(/enforcementLevel: "mandatory"/);
    expect(readFileSync(join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
  });

  it("has one config file per stack (Pulumi.<stack>.yaml)", () => {
    expect(readdirSync(join(POLICY_DIR, "config")).sort()).toEqual(
      ENVIRONMENTS.map((e) => `${e}.json`).sort(),
    );
  });

  it.each(ENVIRONMENTS)("%s.json configures exactly the pack's policies with valid settings", (env) => {
    const config = policyConfig(env);
    expect(Object.keys(config).sort()).toEqual([...names].sort());
    for (const [policyName, settings] of Object.entries(config)) {
      const level = settings.enforcementLevel as EnforcementLevel;
      expect(["advisory", "mandatory", "disabled"]).toContain(level);
      const declared = Object.keys(policy(policyName).configSchema?.properties ?? {});
      for (const key of Object.keys(settings).filter((k) => k !== "enforcementLevel")) {
        expect(declared).toContain(key);
      }
    }
  });

  it.each(["staging", "prod"])("%s.json makes every rule mandatory", (env) => {
    for (const settings of Object.values(policyConfig(env)))
      expect(settings.enforcementLevel).toBe("mandatory");
  });

  it("README.md's enforcement table gives each policy the level its environment's config file sets", () => {
    const readme = readFileSync(join(POLICY_DIR, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Enforcement per environment"));
    const rows = [...section.matchAll(/^\| (`[a-z0-9-]+`|every other policy) +\| (.+)\|$/gm)].map(
      ([, policy, levels]) => ({
        policy: policy.replace(/`/g, ""),
        levels: levels.split("|").map((l) => l.trim()),
      }),
    );
    const listed = rows.filter((r) => r.policy !== "every other policy");
    const others = rows.find((r) => r.policy === "every other policy")!;
    expect(others).toBeDefined();
    const columns = ["dev", "staging", "prod"];
    for (const name of names) {
      const row = listed.find((r) => r.policy === name) ?? others;
      columns.forEach((env, i) =>
        expect({ name, env, level: row.levels[i] }).toEqual({
          name,
          env,
          level: policyConfig(env)[name].enforcementLevel,
        }),
      );
    }
  });

  it("dev.json keeps most rules advisory but never disables STRICT mTLS", () => {
    const levels = Object.values(policyConfig("dev")).map((s) => s.enforcementLevel);
    expect(levels.filter((l) => l === "advisory").length).toBeGreaterThan(levels.length / 2);
    expect(policyConfig("dev")[POLICY_NAMES.mtls].enforcementLevel).toBe("mandatory");
  });
});
