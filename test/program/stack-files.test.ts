import { existsSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_NAMESPACE, ENVIRONMENTS, defaultIn, type Environment } from "../../stacks/key";
import { parseSettings } from "../../stacks/settings";
import { TABLE, specOf as tableSpec, type ConfigKey } from "../../stacks/table";
import {
  PROJECT_ROOT,
  projectFile,
  stackConfig,
  stackConfigValues,
  stackFile,
  stackNames,
  type ProjectFile,
} from "../support/stack-files";

const tableKeys = Object.keys(TABLE).sort();
const specOf = (key: string) => tableSpec(key as ConfigKey);

/** Whether a YAML value has the type Pulumi's project config declares. */
function hasType(value: unknown, type: string): boolean {
  if (type === "integer") return typeof value === "number" && Number.isInteger(value);
  if (type === "boolean") return typeof value === "boolean";
  return typeof value === "string";
}

describe("Pulumi.yaml", () => {
  let project: ProjectFile;
  beforeAll(() => {
    project = projectFile();
  });

  test("is the project whose namespace the program reads, running index.ts on Node.js", () => {
    expect(project.name).toBe(CONFIG_NAMESPACE);
    expect(project.main).toBe("index.ts");
    expect(existsSync(join(PROJECT_ROOT, "index.ts"))).toBe(true);
    const runtime = project.runtime as { name?: unknown } | string;
    expect(typeof runtime === "string" ? runtime : runtime.name).toBe("nodejs");
  });

  test("declares exactly the keys of the settings table", () => {
    expect(Object.keys(project.config).sort()).toEqual(tableKeys);
  });

  test.each(Object.keys(TABLE))("declares %s with the type, description and secrecy of the table", (key) => {
    const decl = project.config[key];
    const spec = specOf(key);
    expect(decl).toBeDefined();
    expect({ type: decl.type, description: decl.description, secret: decl.secret ?? false }).toEqual({
      type: spec.type,
      description: spec.description,
      secret: spec.secret ?? false,
    });
  });

  test("declares no project-wide value: defaults live in the settings table only", () => {
    for (const [key, decl] of Object.entries(project.config)) {
      const extra = Object.keys(decl).filter((a) => !["type", "description", "secret"].includes(a));
      expect({ key, extra }).toEqual({ key, extra: [] });
    }
  });
});

describe("stack files", () => {
  const stacks = stackNames();

  test("there is one per environment", () => {
    expect(stacks).toEqual(expect.arrayContaining([...ENVIRONMENTS]));
  });

  test.each(stacks)("Pulumi.%s.yaml holds only stack settings the CLI knows", (stack) => {
    const allowed = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];
    expect(Object.keys(stackFile(stack)).filter((k) => !allowed.includes(k))).toEqual([]);
  });

  test.each(stacks)(
    "Pulumi.%s.yaml only sets pingpong: keys of the table, each with its declared type",
    (stack) => {
      const values = stackConfigValues(stack);
      const wrong: string[] = [];
      for (const [fullKey, value] of Object.entries(values)) {
        const [ns, key, ...rest] = fullKey.split(":");
        if (ns !== CONFIG_NAMESPACE || rest.length > 0 || !(key in TABLE)) {
          wrong.push(`${fullKey}: not a key of the settings table`);
        } else if (!hasType(value, specOf(key).type)) {
          wrong.push(`${fullKey}=${JSON.stringify(value)}: expected a YAML ${specOf(key).type}`);
        }
      }
      expect(wrong).toEqual([]);
    },
  );

  test.each(stacks)("Pulumi.%s.yaml holds no secret in plaintext", (stack) => {
    const values = stackConfigValues(stack);
    const secretKeys = Object.keys(TABLE)
      .filter((key) => specOf(key).secret)
      .map((key) => `${CONFIG_NAMESPACE}:${key}`);
    expect(secretKeys).toContain("pingpong:registryPassword");
    for (const key of secretKeys) {
      const value = values[key];
      if (value === undefined) continue;
      // A secret set with `pulumi config set --secret` is stored as { secure: <ciphertext> }.
      expect(Object.keys(value as object)).toEqual(["secure"]);
    }
  });

  test.each(stacks)("Pulumi.%s.yaml sets no key to its environment's default", (stack) => {
    const values = stackConfigValues(stack);
    const environment = (values[`${CONFIG_NAMESPACE}:environment`] ?? stack) as Environment;
    expect(ENVIRONMENTS).toContain(environment);
    const repeated = Object.entries(values)
      .filter(([fullKey, value]) => {
        const key = fullKey.slice(`${CONFIG_NAMESPACE}:`.length);
        return key in TABLE && value === defaultIn(specOf(key), environment);
      })
      .map(
        ([fullKey, value]) => `${fullKey}: ${JSON.stringify(value)} is already the ${environment} default`,
      );
    expect(repeated).toEqual([]);
  });

  test.each(stacks)("Pulumi.%s.yaml parses into valid settings", (stack) => {
    expect(() => parseSettings(stackConfig(stack), stack)).not.toThrow();
  });

  test.each(ENVIRONMENTS.filter((e) => e !== "dev"))(
    "Pulumi.%s.yaml names its cluster and registry instead of relying on the current kubeconfig context",
    (stack) => {
      const s = parseSettings(stackConfig(stack), stack);
      expect(s.cluster.context).toEqual(expect.any(String));
      expect(s.cluster.context).not.toBe("kind-pingpong");
      expect(s.image.registry).not.toMatch(/^localhost[:/]/);
      expect(s.rbac.operatorGroup).not.toMatch(/^system:/);
    },
  );

  test("dev: the kind cluster and its local registry, one replica, no autoscaler, no budget", () => {
    const s = parseSettings(stackConfig("dev"), "dev");
    expect(s.environment).toBe("dev");
    expect(s.cluster.context).toBe("kind-pingpong");
    expect(s.image.registry).toBe("localhost:5001");
    expect(s.workload.replicas).toBe(1);
    expect(s.workload.autoscaling).toBeUndefined();
    expect(s.workload.pdbMinAvailable).toBeUndefined();
  });

  test("prod: at least three replicas under the autoscaler, a budget below them, strict spreading", () => {
    const s = parseSettings(stackConfig("prod"), "prod");
    expect(s.environment).toBe("prod");
    expect(s.workload.autoscaling).toBeDefined();
    const { minReplicas, maxReplicas } = s.workload.autoscaling ?? { minReplicas: 0, maxReplicas: 0 };
    expect(minReplicas).toBeGreaterThanOrEqual(3);
    expect(maxReplicas).toBeGreaterThanOrEqual(minReplicas);
    expect(s.workload.pdbMinAvailable).toBeGreaterThanOrEqual(1);
    expect(s.workload.pdbMinAvailable).toBeLessThan(minReplicas);
    expect(s.workload.spreadPolicy).toBe("DoNotSchedule");
    expect(s.image.platform).toBe("linux/amd64");
  });

  test("staging: more than one replica under the autoscaler, with a budget", () => {
    const s = parseSettings(stackConfig("staging"), "staging");
    expect(s.environment).toBe("staging");
    expect(s.workload.autoscaling?.minReplicas).toBeGreaterThanOrEqual(2);
    expect(s.workload.pdbMinAvailable).toBeGreaterThanOrEqual(1);
  });
});
