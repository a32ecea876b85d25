import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

/** The project root: where Pulumi.yaml and the stack files live. */
export const PROJECT_ROOT = resolve(__dirname, "../..");

interface YamlModule {
  load(text: string, options?: { filename?: string }): unknown;
}
const nodeRequire = createRequire(__filename);
const yaml = nodeRequire("js-yaml") as YamlModule;

/** A YAML file of the project, parsed. */
export function readYaml(file: string): unknown {
  const path = join(PROJECT_ROOT, file);
  return yaml.load(readFileSync(path, "utf8"), { filename: path });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One key of the `config` block of Pulumi.yaml. */
export interface ProjectConfigDeclaration {
  type?: unknown;
  description?: unknown;
  secret?: unknown;
  [attribute: string]: unknown;
}

export interface ProjectFile {
  name: unknown;
  runtime: unknown;
  main: unknown;
  config: Record<string, ProjectConfigDeclaration>;
  [attribute: string]: unknown;
}

/** Pulumi.yaml. */
export function projectFile(): ProjectFile {
  const doc = readYaml("Pulumi.yaml");
  if (!isRecord(doc)) throw new Error("Pulumi.yaml: expected a mapping");
  const config = doc.config ?? {};
  if (!isRecord(config)) throw new Error("Pulumi.yaml: expected `config` to be a mapping");
  const declarations: Record<string, ProjectConfigDeclaration> = {};
  for (const [key, decl] of Object.entries(config)) {
    if (!isRecord(decl)) throw new Error(`Pulumi.yaml: config.${key}: expected a mapping`);
    declarations[key] = decl;
  }
  return { ...doc, name: doc.name, runtime: doc.runtime, main: doc.main, config: declarations };
}

/** Names of the stacks that have a Pulumi.<stack>.yaml in the project root. */
export function stackNames(): string[] {
  return readdirSync(PROJECT_ROOT)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Pulumi.<stack>.yaml as parsed YAML: its top-level mapping. */
export function stackFile(stack: string): Record<string, unknown> {
  const doc = readYaml(`Pulumi.${stack}.yaml`);
  if (!isRecord(doc)) throw new Error(`Pulumi.${stack}.yaml: expected a mapping`);
  return doc;
}

/** The `config` block of Pulumi.<stack>.yaml with the values as YAML typed them. */
export function stackConfigValues(stack: string): Record<string, unknown> {
  const config = stackFile(stack).config ?? {};
  if (!isRecord(config)) throw new Error(`Pulumi.${stack}.yaml: expected \`config\` to be a mapping`);
  return config;
}

/**
 * The stack's configuration as the engine hands it to the program: every value a string
 * (structured values as JSON).
 */
export function stackConfig(stack: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackConfigValues(stack))) {
    out[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  }
  return out;
}
