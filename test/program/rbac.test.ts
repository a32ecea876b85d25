import type { IRole, IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import type { Settings } from "../../stacks/settings";
import { kubernetesKind, oneIn, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { T } from "./lookup";
import { ENVS, as, must, renderStacks, type Env } from "./models";

/** The operators' access in dev and prod: read-only, per namespace, nothing cluster-wide. */

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
beforeAll(async () => ({ runs, settings } = await renderStacks()), 60_000);

describe.each(ENVS)("%s", (env) => {
  const run = () => runs[env];

  test("RBAC: a read-only Role bound to the operator group in each namespace, nothing cluster-wide", () => {
    const group = settings[env].rbac.operatorGroup;
    if (env === "prod") expect(group).toBe(stackConfig("prod")["pingpong:operatorGroup"]);
    else expect(group).toBe("pingpong-operators");
    const { a, b, c } = settings[env].namespaces;
    for (const ns of [a, b, c]) {
      const role = as<IRole>(oneIn(run(), T.role, ns));
      const binding = as<IRoleBinding>(oneIn(run(), T.roleBinding, ns));
      expect(binding.roleRef).toEqual({
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: role.metadata?.name,
      });
      expect(binding.subjects).toEqual([
        { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group },
      ]);
      const rules = must(role.rules, "Role rules");
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.verbs.filter((v) => !["get", "list", "watch"].includes(v))).toEqual([]);
        expect(rule.nonResourceURLs).toBeUndefined();
        const resources = rule.resources ?? [];
        expect(resources.length).toBeGreaterThan(0);
        expect(
          resources.filter((r) => ["secrets", "pods/exec", "pods/attach", "pods/portforward"].includes(r)),
        ).toEqual([]);
        const everything = [
          ...(rule.apiGroups ?? []),
          ...resources,
          ...rule.verbs,
          ...(rule.resourceNames ?? []),
        ];
        expect(everything.filter((x) => x.includes("*"))).toEqual([]);
      }
    }
    const clusterWide = run().resources.filter((r) =>
      /^(ClusterRole|ClusterRoleBinding)$/.test(kubernetesKind(r.type)?.kind ?? ""),
    );
    expect(clusterWide).toEqual([]);
  });
});
