import { ENVIRONMENTS, defaultIn, type Environment, type KeySpec } from "./key";
import { parseSettings, SettingsError } from "./settings";
import { KEYS, requiredKeys, specOf, type RequiredKey } from "./table";

/** What is generated from the settings table, and the command that writes it. */

export const GENERATE_COMMAND = "npm run gen:config";
export const REFERENCE_FILE = "docs/configuration.md";
export const PROJECT_FILE = "Pulumi.yaml";

/** Pulumi.yaml's config block: everything after its `config:` line. */
export function projectConfigBlock(): string {
  const lines = KEYS.flatMap((key) => {
    const spec = specOf(key);
    return [
      `  ${key}:`,
      `    type: ${spec.type}`,
      // A JSON string is a YAML double-quoted scalar.
      `    description: ${JSON.stringify(spec.description)}`,
      ...(spec.secret ? ["    secret: true"] : []),
    ];
  });
  return `${lines.join("\n")}\n`;
}

/** Pulumi.yaml with its config block regenerated; the lines down to `config:` are kept as they are. */
export function withConfigBlock(projectYaml: string): string {
  const lines = projectYaml.split("\n");
  const at = lines.indexOf("config:");
  if (at < 0) throw new Error(`${PROJECT_FILE}: no top-level "config:" line to generate below`);
  return `${lines.slice(0, at + 1).join("\n")}\n${projectConfigBlock()}`;
}

/** `a`, `a and b`, `a, b and c`. */
function joinAnd(items: string[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const code = (text: string) => `\`${text}\``;

function defaultCell(spec: KeySpec, environment: Environment): string {
  const value = defaultIn(spec, environment);
  if (value === undefined) return "—";
  return value === "" ? code('""') : code(String(value));
}

/** A Markdown table laid out as prettier lays it out: every column as wide as its widest cell. */
function markdownTable(header: string[], rows: string[][]): string {
  const escaped = rows.map((row) => row.map((cell) => cell.replace(/\|/g, "\\|")));
  const widths = header.map((h, i) => Math.max(3, h.length, ...escaped.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...escaped.map(line)].join("\n");
}

/** One required key as the reference names it, with what stands for it or when it is needed. */
function requiredCell({ key, unless, while: when }: RequiredKey): string {
  if (unless !== undefined) return `${code(key)} (unless ${code(unless)} is set)`;
  if (when !== undefined) return `${code(key)} (while ${code(when.key)} is ${code(String(when.is))})`;
  return code(key);
}

/** What a new stack of each environment must set, and the keys that a choice makes required. */
function requiredSection(): string[] {
  const rows = ENVIRONMENTS.map((environment) => {
    const required = requiredKeys(environment);
    return [environment, required.length === 0 ? "none" : required.map(requiredCell).join(", ")];
  });
  const conditional = KEYS.flatMap((key) => {
    const when = specOf(key).requiredWhen;
    return when === undefined
      ? []
      : [`${code(key)} is required whenever ${code(when.key)} is ${code(String(when.is))}`];
  });
  return [
    "A dash (—) means no default. What a new stack must set in each environment, since the",
    "environment has no default for it (a stack that leaves one of these unset is refused):",
    "",
    markdownTable(["environment", "keys the stack file must set"], rows),
    "",
    ...(conditional.length === 0 ? [] : [`Whatever the environment, ${joinAnd(conditional)}.`]),
  ];
}

/** What a stack with a disruption budget as high as its autoscaler floor is told. */
function exampleError(): string {
  const raw = {
    "pingpong:kubeContext": "platform-prod",
    "pingpong:registry": "ghcr.io/acme",
    "pingpong:tracingCollector": "otel-collector.observability.svc.cluster.local:4317",
    "pingpong:ingressHosts": "pingpong.example.com",
    "pingpong:pdbMinAvailable": "3",
  };
  try {
    parseSettings(raw, "prod");
  } catch (err) {
    if (err instanceof SettingsError) return err.message;
    throw err;
  }
  throw new Error("the example configuration of the reference no longer fails");
}

/** docs/configuration.md. */
export function configurationReference(): string {
  const rows = KEYS.map((key) => {
    const spec = specOf(key);
    const type = spec.secret ? `${spec.type} (secret)` : spec.type;
    return [code(key), type, ...ENVIRONMENTS.map((e) => defaultCell(spec, e)), spec.description];
  });
  return [
    "# Configuration",
    "",
    `<!-- Generated from stacks/table.ts by \`${GENERATE_COMMAND}\`: edit the table, then run it. -->`,
    "",
    "Every key of the `pingpong` namespace (`pulumi config set pingpong:<key> <value>`), its type, its",
    "default in each environment and what it changes. `pingpong:environment` selects the defaults (by",
    "default the stack name), so a stack `prod-eu` with `pingpong:environment: prod` inherits prod's.",
    "A stack file (`Pulumi.<stack>.yaml`) holds only what differs from its environment's defaults.",
    "",
    ...requiredSection(),
    "",
    "Settings are read, typed and validated in `stacks/` only, before the program registers any",
    "resource. Unknown keys, wrong types, values out of range and impossible combinations stop it,",
    "with one line per problem naming the key, its value and what is expected:",
    "",
    "```",
    exampleError(),
    "```",
    "",
    markdownTable(["key", "type", ...ENVIRONMENTS, "what it changes"], rows),
    "",
  ].join("\n");
}
