import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as PulumiNs from "@pulumi/pulumi";
import { parseSettings, type Settings } from "../../stacks/settings";

type PulumiModule = typeof PulumiNs;

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
}

/** One resource the program registered, with the inputs the engine received. */
export interface Recorded {
  type: string;
  name: string;
  id: string;
  // Inputs are arbitrary JSON from the program; tests narrow them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: any;
  parent?: string;
  provider?: string;
  /** Dotted paths of inputs the program marked secret (their values are unwrapped in `inputs`). */
  secretPaths: string[];
  /** Logical names of every resource this one waits for (explicit `dependsOn` and through inputs). */
  dependsOn?: string[];
  /** The same, as `type::name`: logical names repeat across types (a Release and a Gateway, say). */
  dependsOnKeys?: string[];
  /** The resource's `ignoreChanges` option: input paths an update leaves as they are. */
  ignoreChanges?: string[];
}

export interface ProgramRun {
  /** Every resource the program declares. */
  resources: Recorded[];
  /** Objects the program only reads (`Resource.get`): they must exist, nothing creates them. */
  reads: Recorded[];
  outputs: Record<string, unknown>;
}

/** The engine's marker of a secret value in resource inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces secret markers by their values and records where they were. */
function unwrapSecrets(value: unknown, path: string, secrets: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secrets));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) {
      secrets.push(path);
      return unwrapSecrets(obj.value, path, secrets);
    }
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secrets)]),
    );
  }
  return value;
}

/** When the mocked certificates start to be valid. */
export const VALIDITY_START = Date.parse("2026-01-01T00:00:00Z");

const fakeDigest = (seed: string) => `sha256:${createHash("sha256").update(seed).digest("hex")}`;

/** The input fields the mocks and helpers read. */
interface KnownInputs {
  imageName?: unknown;
  registry?: { server?: unknown };
  metadata?: { name?: unknown; namespace?: unknown; [field: string]: unknown };
}

/** What the providers would compute, for the fields the program reads back. */
function computedState(type: string, name: string, inputs: KnownInputs): Record<string, unknown> {
  if (type === "docker:index/image:Image") {
    const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
    return { repoDigest: `${repo}@${fakeDigest(name)}`, registryServer: inputs.registry?.server ?? "" };
  }
  const pem = (label: string) =>
    `-----BEGIN ${label}-----\n${fakeDigest(name).slice(7)}\n-----END ${label}-----\n`;
  if (type === "tls:index/privateKey:PrivateKey") {
    return { privateKeyPem: pem("PRIVATE KEY"), publicKeyPem: pem("PUBLIC KEY") };
  }
  if (type === "tls:index/certRequest:CertRequest") return { certRequestPem: pem("CERTIFICATE REQUEST") };
  if (
    type === "tls:index/selfSignedCert:SelfSignedCert" ||
    type === "tls:index/locallySignedCert:LocallySignedCert"
  ) {
    const hours = Number((inputs as { validityPeriodHours?: number }).validityPeriodHours ?? 0);
    return {
      certPem: pem("CERTIFICATE"),
      validityEndTime: new Date(VALIDITY_START + hours * 3_600_000).toISOString(),
    };
  }
  if (type === "kubernetes:batch/v1:Job") return { status: { succeeded: 1 } };
  if (type === "random:index/randomPassword:RandomPassword") {
    // As many characters as asked for (up to 64), the same for the same name in every run.
    const length = Number((inputs as { length?: number }).length ?? 16);
    return { result: fakeDigest(name).slice(7, 7 + length) };
  }
  if (type.startsWith("kubernetes:") && inputs.metadata && inputs.metadata.name === undefined) {
    // Pulumi auto-names objects without metadata.name: logical name plus a random suffix.
    return { metadata: { ...inputs.metadata, name: `${name}-${fakeDigest(name).slice(7, 15)}` } };
  }
  return {};
}

/** Computes provider state for some types in place of the placeholders above (set by the cluster tier). */
type StateOverride = (type: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
let stateOverride: StateOverride | undefined;

/**
 * Lets a caller compute the state of some resource types itself: the cluster tier gives the tls
 * provider's resources real keys and certificates, which the cluster parses.
 */
export function setStateOverride(override: StateOverride | undefined): void {
  stateOverride = override;
}

/** What the cluster returns for a read of `namespace/name` (or a cluster-scoped `name`). */
function readState(id: string): Record<string, unknown> {
  const [namespace, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
  return { metadata: { name, ...(namespace ? { namespace } : {}) } };
}

interface RuntimeSettings {
  getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): unknown } | undefined;
  /** Resolves once every registration and output the program started has reached the mocks. */
  waitForRPCs(): Promise<void>;
}

/** The SDK and the program, loaded once per test file: loading @pulumi/kubernetes is what costs. */
let loaded: Promise<{ pulumi: PulumiModule; runtime: RuntimeSettings; program: () => unknown }> | undefined;
function load() {
  loaded ??= (async () => ({
    pulumi: await import("@pulumi/pulumi"),
    runtime: (await import("@pulumi/pulumi/runtime/settings")) as unknown as RuntimeSettings,
    // index.ts exports the program as a function, which Pulumi calls and tests call once per run.
    program: (await import("../../index")).default,
  }))();
  return loaded;
}

/**
 * Runs the program under Pulumi's mocks with the given stack and config (keys without the
 * `pingpong:` prefix are prefixed) and returns every registered resource and the resolved stack
 * outputs. Each run gets a new mock monitor and config; runs in one test file run one at a time.
 * Registrations are appended to `resources` as they happen, so a caller that passes its own array
 * can still see what was registered when the program throws.
 */
export async function runProgram(
  stack: string,
  config: Record<string, string | number | boolean> = {},
  resources?: Recorded[],
): Promise<ProgramRun> {
  // A caller that watches registrations as they happen gets a render of its own.
  if (resources !== undefined) return render(stack, config, resources);
  const file = renderFile(stack, config);
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as ProgramRun;
  const run = await render(stack, config, []);
  if (file) {
    // Written whole, then renamed: a test file in another worker never reads half a render.
    writeFileSync(`${file}.${process.pid}`, JSON.stringify(run));
    renameSync(`${file}.${process.pid}`, file);
  }
  return run;
}

/**
 * Builds resources under the same mocks as runProgram, without the program: for testing one
 * component alone (`build` creates it and returns the outputs to resolve).
 */
export function runComponent(build: () => Record<string, unknown>, stack = "dev"): Promise<ProgramRun> {
  return render(stack, {}, [], build);
}

/** Set by the suite's global setup: where renders are kept for the rest of the test run. */
export const RENDER_CACHE_ENV = "PINGPONG_RENDER_CACHE";

/**
 * Where the render of a stack and config is kept during this test run, so that test files share
 * it instead of running the program again; undefined outside a jest run.
 */
function renderFile(stack: string, config: Record<string, string | number | boolean>): string | undefined {
  const dir = process.env[RENDER_CACHE_ENV];
  if (!dir) return undefined;
  const key = Object.entries(engineConfig(config)).sort(([a], [b]) => a.localeCompare(b));
  return join(
    dir,
    `${createHash("sha256")
      .update(JSON.stringify([stack, key]))
      .digest("hex")
      .slice(0, 16)}.json`,
  );
}

async function render(
  stack: string,
  config: Record<string, string | number | boolean>,
  resources: Recorded[],
  build?: () => Record<string, unknown>,
): Promise<ProgramRun> {
  const { pulumi, runtime, program } = await load();
  const reads: Recorded[] = [];
  // Keyed by `type::name`: the same logical name may be used by resources of different types.
  const dependencies = new Map<string, string[]>();
  const ignored = new Map<string, string[]>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // A read (`Resource.get`) arrives with the id of an object that already exists in the cluster.
        const read = args.id ? args.id : undefined;
        const id = read ?? `${args.name}-id`;
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
        if (read !== undefined) {
          reads.push({ type: args.type, name: args.name, id, inputs, provider: args.provider, secretPaths });
          return { id, state: args.type.startsWith("kubernetes:") ? readState(read) : {} };
        }
        const state = {
          ...inputs,
          ...(stateOverride?.(args.type, inputs) ?? computedState(args.type, args.name, inputs)),
        };
        resources.push({
          type: args.type,
          name: args.name,
          id,
          inputs,
          provider: args.provider,
          secretPaths,
          dependsOn: (dependencies.get(`${args.type}::${args.name}`) ?? []).map((k) => k.split("::").pop()!),
          dependsOnKeys: dependencies.get(`${args.type}::${args.name}`) ?? [],
          ignoreChanges: ignored.get(`${args.type}::${args.name}`) ?? [],
        });
        return { id, state };
      },
      call(args) {
        throw new Error(`unexpected provider call ${args.token}`);
      },
    },
    "pingpong",
    stack,
    false,
  );
  // The mocks do not pass dependencies on; the registration request carries them (URNs of every
  // resource the new one waits for, explicit and through its inputs).
  const monitor = runtime.getMonitor();
  if (!monitor) throw new Error("no mock monitor");
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    // urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>
    const keyOf = (urn: string) => {
      const [, , types = "", name = urn] = urn.split("::");
      return `${types.split("$").pop()}::${name}`;
    };
    dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList().map(keyOf));
    ignored.set(`${req.getType()}::${req.getName()}`, req.getIgnorechangesList());
    return register(req, cb);
  };
  pulumi.runtime.setAllConfig(engineConfig(config));

  try {
    const exported = build ? build() : (program() as Record<string, unknown>);
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exported)) outputs[key] = await resolve(pulumi, value);
    return { resources, reads, outputs };
  } finally {
    // Whether the program returned or threw, let what it started reach the mocks before the caller looks.
    await runtime.waitForRPCs();
  }
}

async function resolve(pulumi: PulumiModule, value: unknown): Promise<unknown> {
  const out = pulumi.output(value as PulumiNs.Input<object>);
  return new Promise((res) => out.apply((v: unknown) => res(v)));
}

/** Keys as the engine passes them (`pingpong:` prefix added where missing), values as strings. */
export function engineConfig(config: Record<string, string | number | boolean>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k.includes(":") ? k : `pingpong:${k}`] = String(v);
  return out;
}

/** Runs the program on `stack` with `config` and parses the settings the program saw. */
export async function runWithSettings(
  stack: string,
  config: Record<string, string | number | boolean>,
): Promise<{ run: ProgramRun; settings: Settings }> {
  const raw = engineConfig(config);
  return { settings: parseSettings(raw, stack), run: await runProgram(stack, raw) };
}

export * from "./records";
