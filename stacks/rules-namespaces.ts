import { ISTIO } from "../components/mesh";
import { ARGO_ROLLOUTS_NAMESPACE } from "../components/rollouts";
import { fullKey as k, problem } from "./key";
import type { Rule } from "./rule";
import type { ConfigKey, Values } from "./table";

/**
 * Cross-field rules of the namespaces. Each namespace the stack creates is created by one component
 * under its name; a namespace setting that names another of the stack's namespaces would register
 * two Namespace resources of one name (or take over one the stack expects to find).
 */

/** Where a namespace setting is used with these values, and whether the stack creates it. */
interface NamespaceUse {
  /** The keys `used` and `created` read. */
  when: readonly ConfigKey[];
  used(v: Values): boolean;
  created(v: Values): boolean;
}

const always = () => true;

/** Every namespace-valued key, in table order, whose value is not a namespace of its own choosing. */
const NAMESPACE_KEYS = {
  namespaceA: { when: [], used: always, created: always },
  namespaceB: { when: [], used: always, created: always },
  namespaceC: { when: [], used: always, created: always },
  // The Prometheus that may scrape pingpong: the stack's own with install, an existing one otherwise.
  monitoringNamespace: { when: ["monitoring"], used: always, created: (v) => v.monitoring === "install" },
  gatewayNamespace: { when: [], used: always, created: always },
  // An existing controller's: the AuthorizationPolicies let it call pingpong.
  ingressControllerNamespace: {
    when: ["tlsTermination"],
    used: (v) => v.tlsTermination === "ingress",
    created: () => false,
  },
  egressNamespace: { when: ["egressGateway"], used: (v) => v.egressGateway, created: (v) => v.egressGateway },
  tracingNamespace: {
    when: ["tracing"],
    used: (v) => v.tracing === "jaeger",
    created: (v) => v.tracing === "jaeger",
  },
} satisfies Record<string, NamespaceUse>;
type NamespaceKey = keyof typeof NAMESPACE_KEYS;
const KEYS = Object.keys(NAMESPACE_KEYS) as NamespaceKey[];

/** The namespaces the components create under a fixed name, and why a setting may not name them. */
const FIXED: Array<{ name: string; why: string } & Omit<NamespaceUse, "created">> = [
  { name: ISTIO.namespace, why: "the stack installs Istio's control plane there", when: [], used: always },
  {
    name: ARGO_ROLLOUTS_NAMESPACE,
    why: `the stack installs Argo Rollouts there while ${k("canaryAnalysis")} is on`,
    when: ["canaryAnalysis"],
    used: (v) => v.canaryAnalysis,
  },
];

/** The cluster's own namespaces: the stack creates none of them. */
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const unique = (keys: readonly ConfigKey[]): ConfigKey[] => [...new Set(keys)];

/**
 * Two keys naming one namespace, while both are used and the stack creates at least one of them.
 * The problem names the key the stack set itself when only one of them is set, else the later one.
 */
function distinct(x: NamespaceKey, y: NamespaceKey): Rule {
  const [ux, uy] = [NAMESPACE_KEYS[x] as NamespaceUse, NAMESPACE_KEYS[y] as NamespaceUse];
  return {
    keys: unique([x, y, ...ux.when, ...uy.when]),
    check: (v, given) => {
      if (v[x] !== v[y] || !ux.used(v) || !uy.used(v) || !(ux.created(v) || uy.created(v))) return [];
      const [named, other] = given.has(x) && !given.has(y) ? [x, y] : [y, x];
      return [problem(named, v[named], `a namespace different from ${k(other)}`)];
    },
  };
}

function ownNamespace(key: NamespaceKey): Rule[] {
  const use = NAMESPACE_KEYS[key] as NamespaceUse;
  const own = (name: string) => `a namespace of its own, not ${name}`;
  return [
    {
      keys: unique([key, ...use.when]),
      check: (v) => [
        use.created(v) && SYSTEM_NAMESPACES.includes(v[key]) && problem(key, v[key], own(v[key])),
      ],
    },
    ...FIXED.map((fixed): Rule => ({
      keys: unique([key, ...use.when, ...fixed.when]),
      check: (v) => [
        v[key] === fixed.name &&
          use.used(v) &&
          fixed.used(v) &&
          problem(key, v[key], `${own(fixed.name)}: ${fixed.why}`),
      ],
    })),
  ];
}

export const NAMESPACE_RULES: Rule[] = [
  ...KEYS.flatMap((y, i) => KEYS.slice(0, i).map((x) => distinct(x, y))),
  ...KEYS.flatMap(ownNamespace),
];
