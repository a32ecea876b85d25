import { PingpongImage, registryServer } from "../../components/image";
import { ISTIO } from "../../components/mesh";
import { Namespaces, type NamespaceSpec } from "../../components/namespaces";
import { OperatorAccess, READ_VERBS } from "../../components/rbac";
import { Toolbox } from "../../components/toolbox";
import { invalidObjects } from "../support/k8s-validate";
import {
  isSecretPath,
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  selects,
  type ProgramRun,
} from "../support/program";
import { T } from "../support/tokens";

/** The small components alone: the image, the namespaces, operator access and the toolbox. */

describe("PingpongImage", () => {
  const args = {
    registry: "ghcr.io/acme",
    repository: "pingpong",
    tag: "prod",
    context: ".",
    dockerfile: "app/Dockerfile",
  };

  test("builds with BuildKit from the tag it pushes, and runs by digest", async () => {
    const run = await runComponent(() => {
      const image = new PingpongImage("image", args);
      return { ref: image.ref, digest: image.digest };
    });
    const [built] = ofType(run, T.image);
    expect(built.inputs.imageName).toBe(`${args.registry}/${args.repository}:${args.tag}`);
    expect(built.inputs.build.cacheFrom.images).toEqual([built.inputs.imageName]);
    expect(built.inputs.registry).toBeUndefined();
    const ref = String(run.outputs.ref);
    expect(ref.startsWith(`${args.registry}/${args.repository}@`)).toBe(true);
    expect(ref.endsWith(`@${String(run.outputs.digest)}`)).toBe(true);
  });

  test("pushes with credentials for the registry host, the password secret, and hands them to pull Secrets", async () => {
    const credentials = { username: "ci", password: "s3cret" };
    const run = await runComponent(() => {
      const image = new PingpongImage("image", { ...args, credentials });
      return { pull: image.pullCredentials };
    });
    const [built] = ofType(run, T.image);
    expect(built.inputs.registry).toEqual({ server: registryServer(args.registry), ...credentials });
    expect(isSecretPath(built, "registry.password")).toBe(true);
    expect(run.outputs.pull).toEqual({ server: registryServer(args.registry), ...credentials });
  });
});

describe("Namespaces", () => {
  const specs: Record<"a" | "c", NamespaceSpec> = {
    a: { name: "team-a", sidecarInjection: true },
    c: { name: "outsiders", sidecarInjection: false },
  };
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runComponent(() => ({ names: new Namespaces("ns", { namespaces: specs }).names }));
  });

  test("one namespace per key, named as given, with injection stated either way", () => {
    const byName = new Map(ofType(run, T.namespace).map((n) => [nameOf(n), n.inputs.metadata.labels]));
    expect([...byName.keys()].sort()).toEqual(
      Object.values(specs)
        .map((s) => s.name)
        .sort(),
    );
    expect(byName.get(specs.a.name)[ISTIO.injectionLabel]).toBe("enabled");
    expect(byName.get(specs.c.name)[ISTIO.injectionLabel]).toBe("disabled");
    expect(run.outputs.names).toEqual({ a: specs.a.name, c: specs.c.name });
  });

  test("every namespace enforces the restricted Pod Security profile", () => {
    for (const n of ofType(run, T.namespace)) {
      expect(n.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    }
  });
});

describe("OperatorAccess", () => {
  const namespaces = { a: "team-a", b: "team-b" };
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runComponent(() => {
      new OperatorAccess("operators", { namespaces, group: "sre" });
      return {};
    });
  });

  test("in each namespace a binding of the group to that namespace's read-only Role", () => {
    const roles = ofType(run, T.role);
    const bindings = ofType(run, T.roleBinding);
    expect(roles.map(namespaceOf).sort()).toEqual(Object.values(namespaces).sort());
    for (const b of bindings) {
      const role = roles.find((r) => namespaceOf(r) === namespaceOf(b))!;
      expect(b.inputs.roleRef).toMatchObject({ kind: "Role", name: nameOf(role) });
      expect(b.inputs.subjects).toEqual([expect.objectContaining({ kind: "Group", name: "sre" })]);
    }
  });

  test("reads only: no write verb, no wildcard, no Secrets, no exec or port-forward", () => {
    for (const role of ofType(run, T.role)) {
      for (const rule of role.inputs.rules) {
        expect(rule.verbs).toEqual(READ_VERBS);
        expect([...rule.resources, ...rule.apiGroups]).not.toContain("*");
        for (const r of ["secrets", "pods/exec", "pods/attach", "pods/portforward"])
          expect(rule.resources).not.toContain(r);
      }
    }
  });
});

describe("Toolbox", () => {
  test("one pod outside the mesh that its Deployment selects, and a valid Deployment", async () => {
    const run = await runComponent(() => {
      new Toolbox("toolbox", { namespace: "outsiders", image: "curlimages/curl:8.21.0" });
      return {};
    });
    const [d] = ofType(run, T.deployment);
    const template = d.inputs.spec.template;
    expect(selects(d.inputs.spec.selector, template.metadata.labels)).toBe(true);
    expect(template.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    expect(namespaceOf(d)).toBe("outsiders");
    expect(invalidObjects(run.resources)).toEqual([]);
  });
});
