import { parseProbeArgs } from "../../app/src/probe";
import type { Settings } from "../../stacks/settings";
import {
  inNamespace,
  nameOf,
  namespaceOf,
  ofType,
  oneIn,
  runVariants,
  type ProgramRun,
  type Recorded,
} from "../support/program";

/** Recorded inputs: JSON from the program, as untyped as the harness records them. */
type Json = Recorded["inputs"];

const T = {
  release: "kubernetes:helm.sh/v3:Release",
  namespace: "kubernetes:core/v1:Namespace",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  deployment: "kubernetes:apps/v1:Deployment",
  job: "kubernetes:batch/v1:Job",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  peerAuthentication: "kubernetes:security.istio.io/v1:PeerAuthentication",
  authorizationPolicy: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
  gateway: "kubernetes:networking.istio.io/v1:Gateway",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
} as const;
const CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
const ISTIO_CR = /^kubernetes:[a-z.]*istio\.io\//;
const CONTROL_PLANE = ["istio-base", "istio-istiod", "istio-cni"];

type Variant = "dev" | "prod" | "dev-ingress" | "dev-app" | "prod-app" | "dev-registry" | "dev-noverify";
const VARIANTS: Record<Variant, { stack: "dev" | "prod"; config: Record<string, string | boolean> }> = {
  dev: { stack: "dev", config: {} },
  prod: { stack: "prod", config: {} },
  "dev-ingress": { stack: "dev", config: { tlsTermination: "ingress" } },
  "dev-app": { stack: "dev", config: { tlsTermination: "app" } },
  "prod-app": { stack: "prod", config: { tlsTermination: "app" } },
  "dev-registry": { stack: "dev", config: { registry: "localhost:5002" } },
  "dev-noverify": { stack: "dev", config: { verification: false } },
};
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;

beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const ns = namespaceOf;
const inNs = inNamespace;
function release(run: ProgramRun, chart: string): Recorded {
  const found = ofType(run, T.release).filter((r) => r.inputs.chart === chart);
  if (found.length !== 1) throw new Error(`expected one ${chart} release, found ${found.length}`);
  return found[0];
}
function byName(run: ProgramRun, type: string, namespace: string, name: string): Recorded {
  const found = inNs(run, type, namespace).filter((r) => nameOf(r) === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${namespace}/${name}, found ${found.length}`);
  return found[0];
}
/** VirtualServices bound to a gateway: the ingress's (the mesh ones name no gateway). */
const ingressVirtualServices = (run: ProgramRun) =>
  ofType(run, T.virtualService).filter((r) => r.inputs.spec?.gateways !== undefined);
/** Whether an input path is secret (itself or one of its parents marked). */
const isSecret = (r: Recorded, path: string) =>
  r.secretPaths.some((p) => path === p || path.startsWith(`${p}.`));
const fqdn = (svc: Recorded) => `${nameOf(svc)}.${ns(svc)}.svc.cluster.local`;
const principalOf = (sa: Recorded, trustDomain: string) => `${trustDomain}/ns/${ns(sa)}/sa/${nameOf(sa)}`;
function appContainer(run: ProgramRun, namespace: string) {
  const d = oneIn(run, T.deployment, namespace);
  expect(d.inputs.spec.template.spec.containers).toHaveLength(1);
  return d.inputs.spec.template.spec.containers[0];
}
const envOf = (c: { env?: Array<{ name: string; value?: string }> }) =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
/** The Service a URL points at, and the Service port it uses (both must exist). */
function serviceOfUrl(run: ProgramRun, url: string): { service: Recorded; port: number } {
  const u = new URL(url);
  const service = ofType(run, T.service).find((s) => fqdn(s) === u.hostname);
  if (!service) throw new Error(`no Service for ${u.hostname}`);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  expect((service.inputs.spec.ports as Array<{ port: number }>).map((p) => p.port)).toContain(port);
  return { service, port };
}
const argAfter = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};
function job(run: ProgramRun, check: string): Recorded {
  const found = ofType(run, T.job).filter((j) => j.name === `verification-${check}`);
  if (found.length !== 1) throw new Error(`expected one Job ${check}, found ${found.length}`);
  return found[0];
}

describe.each(["dev", "prod"] as const)("Istio on %s", (env) => {
  const run = () => runs[env];
  const s = () => settings[env];

  test("four Helm releases from the official repository at the pinned version", () => {
    // Besides Istio's, only kube-prometheus-stack where monitoring=install (dev).
    const monitoring = s().observability.monitoring === "install" ? ["kube-prometheus-stack"] : [];
    expect(s().observability.monitoring).toBe(env === "dev" ? "install" : "podmonitors");
    const all = ofType(run(), T.release);
    expect(all.map((r) => r.inputs.chart).sort()).toEqual(
      ["base", "cni", "gateway", "istiod", ...monitoring].sort(),
    );
    const releases = all.filter((r) => !monitoring.includes(r.inputs.chart));
    expect(releases.map((r) => r.inputs.chart).sort()).toEqual(["base", "cni", "gateway", "istiod"]);
    expect(s().mesh.istioVersion).toBe("1.31.1");
    for (const r of releases) {
      expect({
        chart: r.inputs.chart,
        version: r.inputs.version,
        repo: r.inputs.repositoryOpts?.repo,
      }).toEqual({
        chart: r.inputs.chart,
        version: s().mesh.istioVersion,
        repo: CHART_REPO,
      });
    }
    expect(ns(release(run(), "istiod")) ?? release(run(), "istiod").inputs.namespace).toBe("istio-system");
    expect(release(run(), "gateway").inputs.namespace).toBe(s().namespaces.gateway);
  });

  test("install order: base -> istiod -> cni -> gateway", () => {
    const deps = (chart: string) => release(run(), chart).dependsOn ?? [];
    const [base, istiod, cni] = ["base", "istiod", "cni"].map((c) => release(run(), c).name);
    expect(deps("istiod")).toContain(base);
    expect(deps("cni")).toContain(istiod);
    expect(deps("gateway")).toEqual(expect.arrayContaining([istiod, cni]));
    expect(deps("base")).not.toContain(istiod);
  });

  test("istiod values: CNI, the trust domain, access logs on stdout, Prometheus merge", () => {
    // How the chart turns replica values into pods is checked against its defaults in upstream.test.ts.
    const values = release(run(), "istiod").inputs.values;
    expect(values.cni.enabled).toBe(true);
    expect(values.meshConfig.trustDomain).toBe(s().mesh.trustDomain);
    expect(values.meshConfig.accessLogFile).toBe("/dev/stdout");
    expect(values.meshConfig.enablePrometheusMerge).toBe(true);
  });

  test("gateway values: Service type and replicas per stack", () => {
    const values = release(run(), "gateway").inputs.values;
    expect(values.service.type).toBe(env === "dev" ? "ClusterIP" : "LoadBalancer");
    expect(values.service.type).toBe(s().mesh.gateway.serviceType);
    expect(values.replicaCount).toBe(s().mesh.gateway.minReplicas);
    expect(values.autoscaling.minReplicas).toBe(s().mesh.gateway.minReplicas);
    expect(values.autoscaling.maxReplicas).toBe(s().mesh.gateway.maxReplicas);
  });

  test("the pingpong namespaces wait for the control plane", () => {
    for (const n of [s().namespaces.a, s().namespaces.b, s().namespaces.c]) {
      const namespace = ofType(run(), T.namespace).find((r) => nameOf(r) === n);
      expect({ n, deps: namespace?.dependsOn }).toEqual({ n, deps: expect.arrayContaining(CONTROL_PLANE) });
    }
  });

  test("every Istio custom resource waits for base, istiod and cni", () => {
    const crs = run().resources.filter((r) => ISTIO_CR.test(r.type));
    expect(crs.length).toBeGreaterThanOrEqual(10);
    for (const cr of crs)
      expect({ cr: cr.name, deps: cr.dependsOn }).toEqual({
        cr: cr.name,
        deps: expect.arrayContaining(CONTROL_PLANE),
      });
  });

  test("PeerAuthentication default STRICT in pingpong-a, pingpong-b and mesh-wide only where meshWideMtls", () => {
    const pas = ofType(run(), T.peerAuthentication);
    const expected = [s().namespaces.a, s().namespaces.b, ...(s().mesh.meshWideMtls ? ["istio-system"] : [])];
    expect(s().mesh.meshWideMtls).toBe(env === "prod");
    expect(pas.map(ns).sort()).toEqual(expected.sort());
    for (const pa of pas) {
      expect(nameOf(pa)).toBe("default");
      expect(pa.inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
    }
    const modes = run().outputs.mtlsModes as Record<string, string>;
    expect(modes).toEqual({ a: "STRICT", b: "STRICT", ...(env === "prod" ? { mesh: "STRICT" } : {}) });
  });

  test("an allow-nothing policy (empty spec) per namespace", () => {
    for (const n of [s().namespaces.a, s().namespaces.b]) {
      const policies = inNs(run(), T.authorizationPolicy, n).filter(
        (p) => Object.keys(p.inputs.spec ?? {}).length === 0,
      );
      expect(policies).toHaveLength(1);
    }
  });
});

/** The allow-callers policy's principals and operation in a namespace. */
function callers(run: ProgramRun, namespace: string) {
  const p = byName(run, T.authorizationPolicy, namespace, "allow-pingpong-callers");
  expect(p.inputs.spec.action).toBe("ALLOW");
  expect(p.inputs.spec.rules).toHaveLength(1);
  const rule = p.inputs.spec.rules[0];
  return {
    principals: (rule.from as Array<{ source: { principals: string[] } }>)
      .flatMap((f) => f.source.principals)
      .sort(),
    operation: rule.to[0].operation as { ports?: string[]; methods?: string[]; paths?: string[] },
    selector: p.inputs.spec.selector,
  };
}

describe.each(["dev", "prod", "dev-ingress", "dev-app"] as const)("authorization in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const sa = (n: string) => oneIn(run(), T.serviceAccount, n);

  test("callers are exactly the peer's ServiceAccount and the edge of the TLS mode", () => {
    const td = s().mesh.trustDomain;
    const mode = s().tls.termination;
    const edge =
      mode === "istio"
        ? [`${td}/ns/${s().namespaces.gateway}/sa/istio-ingressgateway`]
        : mode === "ingress"
          ? [`${td}/ns/${s().tls.ingressController.namespace}/sa/${s().tls.ingressController.serviceAccount}`]
          : [];
    expect(callers(run(), s().namespaces.a).principals).toEqual(
      [principalOf(sa(s().namespaces.b), td), ...edge].sort(),
    );
    expect(callers(run(), s().namespaces.b).principals).toEqual([principalOf(sa(s().namespaces.a), td)]);
    const all = [
      ...callers(run(), s().namespaces.a).principals,
      ...callers(run(), s().namespaces.b).principals,
    ];
    expect(all.some((p) => p.endsWith("/sa/istio-ingressgateway"))).toBe(mode === "istio");
    expect(all.some((p) => p.includes(`/ns/${s().tls.ingressController.namespace}/`))).toBe(
      mode === "ingress",
    );
  });

  test("the callers rule limits methods and paths except when the app terminates TLS", () => {
    for (const n of [s().namespaces.a, s().namespaces.b]) {
      const { operation } = callers(run(), n);
      const port = (oneIn(run(), T.service, n).inputs.spec.ports as Array<{ port: number }>)[0].port;
      expect(operation.ports).toEqual([String(port)]);
      if (s().tls.termination === "app") {
        expect(operation.methods).toBeUndefined();
        expect(operation.paths).toBeUndefined();
      } else {
        expect(operation.methods).toEqual(["GET", "HEAD"]);
        expect(operation.paths).toEqual(["/ping"]);
      }
    }
  });
});

describe.each(["dev", "prod"] as const)("HTTPS at the Istio gateway in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const gateway = () => {
    const gws = ofType(run(), T.gateway);
    expect(gws).toHaveLength(1);
    return gws[0];
  };

  test("TLS Secret in the gateway namespace is the Gateway's credential", () => {
    const gw = gateway();
    expect(ns(gw)).toBe(s().namespaces.gateway);
    const secrets = inNs(run(), T.secret, s().namespaces.gateway);
    expect(secrets).toHaveLength(1);
    expect(secrets[0].inputs.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secrets[0].inputs.stringData).sort()).toEqual(["tls.crt", "tls.key"]);
    expect(isSecret(secrets[0], "stringData.tls.key")).toBe(true);
    expect(gw.inputs.spec.servers[0].tls.credentialName).toBe(nameOf(secrets[0]));
  });

  test("Gateway selector matches the pods of the gateway release", () => {
    const releaseName: string = release(run(), "gateway").inputs.name;
    const podLabels = { app: releaseName, istio: releaseName.replace(/^istio-/, "") };
    expect(gateway().inputs.spec.selector).toEqual({ app: "istio-ingressgateway", istio: "ingressgateway" });
    expect(gateway().inputs.spec.selector).toEqual(podLabels);
  });

  test("HTTPS 443 with TLS 1.2+ for exactly the configured hosts, HTTP 80 redirects", () => {
    const servers = gateway().inputs.spec.servers as Json[];
    expect(servers).toHaveLength(2);
    const https = servers.find((x) => x.port.number === 443);
    const http = servers.find((x) => x.port.number === 80);
    expect(https?.port.protocol).toBe("HTTPS");
    expect(https?.tls.mode).toBe("SIMPLE");
    expect(https?.tls.minProtocolVersion).toBe("TLSV1_2");
    expect(https?.hosts).toEqual(s().tls.hosts);
    expect(http?.hosts).toEqual(s().tls.hosts);
    expect(http?.tls).toEqual({ httpsRedirect: true });
    for (const server of servers) expect(server.hosts.some((h: string) => h.includes("*"))).toBe(false);
  });

  test("VirtualService routes the hosts through the Gateway to a real port of the pingpong-a Service", () => {
    const vss = ingressVirtualServices(run());
    expect(vss).toHaveLength(1);
    // The others are the mesh VirtualServices of pingpong-a and pingpong-b, bound to no gateway.
    expect(ofType(run(), T.virtualService)).toHaveLength(3);
    const spec = vss[0].inputs.spec;
    const gw = gateway();
    expect(ns(vss[0])).toBe(s().namespaces.a);
    expect(spec.hosts).toEqual(s().tls.hosts);
    expect(spec.gateways).toEqual([`${ns(gw)}/${nameOf(gw)}`]);
    expect(spec.http).toHaveLength(1);
    const route = spec.http[0];
    // No canary: one destination, subset v1 of the backend host, all the weight.
    expect(s().traffic.canary).toBeUndefined();
    expect(route.route).toHaveLength(1);
    const svc = oneIn(run(), T.service, s().namespaces.a);
    expect(route.route[0].destination.host).toBe(fqdn(svc));
    expect(route.route[0].destination.subset).toBe("v1");
    expect(route.route[0].weight).toBe(100);
    const ports = (svc.inputs.spec.ports as Array<{ port: number }>).map((p) => p.port);
    expect(ports).toContain(route.route[0].destination.port.number);
    // The subset exists in pingpong-a's DestinationRule for that host.
    const rule = byName(run(), T.destinationRule, s().namespaces.a, "pingpong");
    expect(rule.inputs.spec.host).toBe(fqdn(svc));
    expect(rule.inputs.spec.subsets.map((x: { name: string }) => x.name)).toContain("v1");
    // Timeout and retries from the stack's settings, as Istio durations.
    const r = s().traffic.resilience;
    expect(route.timeout).toBe(`${r.timeoutMs / 1000}s`);
    expect(route.retries).toEqual({
      attempts: r.retries.attempts,
      perTryTimeout: `${r.retries.perTryTimeoutMs / 1000}s`,
      retryOn: r.retries.retryOn,
    });
    expect(r.retries.attempts).toBeGreaterThan(0);
    expect(r.retries.perTryTimeoutMs).toBeLessThanOrEqual(r.timeoutMs);
    expect(route.timeout).toMatch(/^\d+(\.\d+)?s$/);
    expect(route.retries.perTryTimeout).toMatch(/^\d+(\.\d+)?s$/);
    // The same routes as the mesh VirtualService of pingpong-a.
    const mesh = byName(run(), T.virtualService, s().namespaces.a, "pingpong");
    expect(mesh.inputs.spec.gateways).toBeUndefined();
    expect(spec.http).toEqual(mesh.inputs.spec.http);
  });

  test("NetworkPolicy of pingpong-a admits the gateway namespace", () => {
    const from = oneIn(run(), T.networkPolicy, s().namespaces.a).inputs.spec.ingress.flatMap(
      (r: Json) => r.from,
    );
    expect(from).toContainEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": s().namespaces.gateway } },
    });
  });
});

describe("HTTPS at an Ingress controller (tlsTermination=ingress)", () => {
  const run = () => runs["dev-ingress"];
  const s = () => settings["dev-ingress"];

  test("an Ingress with the class, a TLS Secret in its namespace and a real backend", () => {
    const ingresses = ofType(run(), T.ingress);
    expect(ingresses).toHaveLength(1);
    const ing = ingresses[0];
    expect(ofType(run(), T.gateway)).toEqual([]);
    expect(ingressVirtualServices(run())).toEqual([]);
    // Only the mesh VirtualServices of pingpong-a and pingpong-b.
    expect(ofType(run(), T.virtualService).map(ns).sort()).toEqual(
      [s().namespaces.a, s().namespaces.b].sort(),
    );
    expect(ing.inputs.spec.ingressClassName).toBe(s().tls.ingressClassName);
    expect(ing.inputs.spec.tls).toHaveLength(1);
    expect(ing.inputs.spec.tls[0].hosts).toEqual(s().tls.hosts);
    const secret = byName(run(), T.secret, ns(ing), ing.inputs.spec.tls[0].secretName);
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(ing.inputs.spec.rules.map((r: Json) => r.host)).toEqual(s().tls.hosts);
    for (const rule of ing.inputs.spec.rules) {
      for (const p of rule.http.paths) {
        const svc = byName(run(), T.service, ns(ing), p.backend.service.name);
        const ports = svc.inputs.spec.ports as Array<{ name: string; port: number }>;
        const ref = p.backend.service.port;
        expect(
          ports.some((x) => (ref.name !== undefined ? x.name === ref.name : x.port === ref.number)),
        ).toBe(true);
      }
    }
  });

  test("pingpong-a's NetworkPolicy admits the controller namespace, not the gateway's", () => {
    const from = oneIn(run(), T.networkPolicy, s().namespaces.a).inputs.spec.ingress.flatMap(
      (r: Json) => r.from,
    );
    const nsSel = (n: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
    });
    expect(from).toContainEqual(nsSel(s().tls.ingressController.namespace));
    expect(from).not.toContainEqual(nsSel(s().namespaces.gateway));
  });
});

describe.each(["dev-app", "prod-app"] as const)("TLS in the app (%s)", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test.each(["a", "b"] as const)(
    "pingpong-%s mounts its TLS Secret; env, probes and TARGET use HTTPS",
    (key) => {
      const n = s().namespaces[key];
      const secrets = inNs(run(), T.secret, n).filter((x) => x.inputs.type === "kubernetes.io/tls");
      expect(secrets).toHaveLength(1);
      expect(Object.keys(secrets[0].inputs.stringData).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
      const pod = oneIn(run(), T.deployment, n).inputs.spec.template.spec;
      const volume = (pod.volumes as Array<Json>).find(
        (vol) => vol.secret?.secretName === nameOf(secrets[0]),
      );
      expect(volume).toBeDefined();
      const c = appContainer(run(), n);
      const mount = (c.volumeMounts as Array<Json>).find((m) => m.name === volume.name);
      expect(mount?.readOnly).toBe(true);
      const env = envOf(c);
      for (const [k, file] of [
        ["TLS_CERT_FILE", "tls.crt"],
        ["TLS_KEY_FILE", "tls.key"],
        ["TARGET_CA_FILE", "ca.crt"],
      ])
        expect({ k, v: env[k] }).toEqual({ k, v: `${mount.mountPath}/${file}` });
      const portNames = (c.ports as Array<{ name: string }>).map((p) => p.name);
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        expect(probe.httpGet.scheme).toBe("HTTPS");
        expect(portNames).toContain(probe.httpGet.port);
      }
      expect(new URL(env.TARGET ?? "").protocol).toBe("https:");
      serviceOfUrl(run(), env.TARGET ?? "");
    },
  );

  test("no Gateway, no Ingress, no edge caller", () => {
    expect(ofType(run(), T.gateway)).toEqual([]);
    expect(ofType(run(), T.ingress)).toEqual([]);
    expect(run().outputs.ingress).toEqual(expect.objectContaining({ urls: [] }));
  });
});

describe("certificates", () => {
  const server = (run: ProgramRun) => {
    const csr = ofType(run, "tls:index/certRequest:CertRequest").filter(
      (r) => r.name === "certificates-server-csr",
    );
    expect(csr).toHaveLength(1);
    return csr[0];
  };

  test.each(["dev", "prod", "dev-ingress"] as const)(
    "%s: the server certificate names exactly the ingress hosts",
    (v) => {
      expect(server(runs[v]).inputs.dnsNames).toEqual(settings[v].tls.hosts);
    },
  );

  test.each(["dev-app", "prod-app"] as const)("%s: plus the two Service FQDNs", (v) => {
    const fqdns = [settings[v].namespaces.a, settings[v].namespaces.b].map((n) =>
      fqdn(oneIn(runs[v], T.service, n)),
    );
    expect(server(runs[v]).inputs.dnsNames).toEqual([...settings[v].tls.hosts, ...fqdns]);
  });

  test.each(Object.keys(VARIANTS) as Variant[])(
    "%s: no private key in any output; CA and expiry exported",
    (v) => {
      const { outputs } = runs[v];
      expect(JSON.stringify(outputs)).not.toContain("PRIVATE KEY");
      expect(outputs.caCertificatePem).toMatch(/BEGIN CERTIFICATE/);
      expect(new Date(String(outputs.certificateExpiry)).toString()).not.toBe("Invalid Date");
    },
  );

  test("prod with pluginCa: cacerts in istio-system with the four files, and istiod waits for it", () => {
    expect(settings.prod.mesh.pluginCa).toBe(true);
    const cacerts = byName(runs.prod, T.secret, "istio-system", "cacerts");
    expect(Object.keys(cacerts.inputs.stringData).sort()).toEqual(
      ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"].sort(),
    );
    expect(isSecret(cacerts, "stringData.ca-key.pem")).toBe(true);
    expect(release(runs.prod, "istiod").dependsOn).toContain(cacerts.name);
    expect(inNs(runs.dev, T.secret, "istio-system")).toEqual([]);
  });
});

describe.each(["dev", "prod", "dev-app"] as const)("verification Jobs in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const args = (check: string): string[] => job(run(), check).inputs.spec.template.spec.containers[0].args;

  test("three Jobs, each probing a real Service port, never retried", () => {
    const jobs = ofType(run(), T.job);
    expect(jobs.map((j) => j.name).sort()).toEqual([
      "verification-a-to-b",
      "verification-c-to-a",
      "verification-c-to-b",
    ]);
    for (const [check, target] of [
      ["a-to-b", s().namespaces.b],
      ["c-to-a", s().namespaces.a],
      ["c-to-b", s().namespaces.b],
    ]) {
      expect(job(run(), check).inputs.spec.backoffLimit).toBe(0);
      const { service } = serviceOfUrl(run(), argAfter(args(check), "--url") ?? "");
      expect(ns(service)).toBe(target);
    }
    expect(Object.keys(run().outputs.verificationResults as object).sort()).toEqual([
      "a-to-b",
      "c-to-a",
      "c-to-b",
    ]);
  });

  test("a-to-b runs as pingpong-a's ServiceAccount and expects its SPIFFE ID", () => {
    const j = job(run(), "a-to-b");
    const sa = oneIn(run(), T.serviceAccount, s().namespaces.a);
    expect(ns(j)).toBe(s().namespaces.a);
    expect(j.inputs.spec.template.spec.serviceAccountName).toBe(nameOf(sa));
    expect(argAfter(args("a-to-b"), "--expect")).toBe("success");
    const caller = argAfter(args("a-to-b"), "--expect-caller");
    if (s().tls.termination === "app") expect(caller).toBeUndefined();
    else expect(caller).toBe(`spiffe://${principalOf(sa, s().mesh.trustDomain)}`);
    if (v === "dev") expect(caller).toBe("spiffe://cluster.local/ns/pingpong-a/sa/pingpong");
  });

  test.each(["c-to-a", "c-to-b"])("%s runs outside the mesh and expects ECONNRESET", (check) => {
    const j = job(run(), check);
    expect(ns(j)).toBe(s().namespaces.c);
    expect(j.inputs.spec.template.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    expect(argAfter(args(check), "--expect")).toBe("failure");
    expect(argAfter(args(check), "--expect-error")).toBe("ECONNRESET");
  });

  test("each probe holds its expectation over consecutive attempts and ends before its Job's deadline", () => {
    for (const check of ["a-to-b", "c-to-a", "c-to-b"]) {
      // The probe's own parser: the Job's arguments are a command line it accepts, as it reads them.
      const probe = parseProbeArgs(args(check).slice(1));
      expect(probe.attempts).toBeGreaterThan(1);
      // Room for a whole streak even when every attempt takes its full timeout.
      const streak = probe.attempts * probe.timeoutMs + (probe.attempts - 1) * probe.intervalMs;
      expect(probe.deadlineMs).toBeGreaterThanOrEqual(streak);
      // The probe ends by its deadline; the Job's must leave time for scheduling, pull and sidecar.
      const jobMs = Number(job(run(), check).inputs.spec.activeDeadlineSeconds) * 1000;
      expect(jobMs - probe.deadlineMs).toBeGreaterThanOrEqual(30_000);
    }
  });

  test("Jobs wait for the deployments and the mesh policies", () => {
    const needed = [
      ...[s().namespaces.a, s().namespaces.b].map((n) => oneIn(run(), T.deployment, n).name),
      ...ofType(run(), T.peerAuthentication).map((r) => r.name),
      ...ofType(run(), T.authorizationPolicy).map((r) => r.name),
    ];
    for (const j of ofType(run(), T.job))
      expect({ j: j.name, deps: j.dependsOn }).toEqual({ j: j.name, deps: expect.arrayContaining(needed) });
  });

  test("pingpong-b's NetworkPolicy admits the verification pods of pingpong-a", () => {
    const from = oneIn(run(), T.networkPolicy, s().namespaces.b).inputs.spec.ingress.flatMap(
      (r: Json) => r.from,
    );
    const verifier = from.find(
      (p: Json) =>
        p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === s().namespaces.a &&
        p.podSelector?.matchLabels?.["app.kubernetes.io/component"] === "verification",
    );
    expect(verifier).toBeDefined();
    const podLabels = job(run(), "a-to-b").inputs.spec.template.metadata.labels;
    expect(podLabels).toEqual(expect.objectContaining(verifier.podSelector.matchLabels));
  });
});

describe("verification Job names", () => {
  const names = (v: Variant) => ofType(runs[v], T.job).map(nameOf).sort();

  test("change when the image reference changes", () => {
    expect(runs.dev.outputs.imageRef).not.toEqual(runs["dev-registry"].outputs.imageRef);
    const [a, b] = [names("dev"), names("dev-registry")];
    expect(a).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(a[i]).not.toBe(b[i]);
  });

  test("change when tlsTermination changes", () => {
    const [a, b] = [names("dev"), names("dev-ingress")];
    expect(a).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(a[i]).not.toBe(b[i]);
  });

  test("with verification=false there are no Jobs", () => {
    expect(ofType(runs["dev-noverify"], T.job)).toEqual([]);
    expect(runs["dev-noverify"].outputs.verificationResults).toEqual({});
  });
});

describe.each(["dev", "prod"] as const)("pingpong-c and outputs in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("pingpong-c is never injected and its toolbox runs restricted without a sidecar", () => {
    const namespace = ofType(run(), T.namespace).find((r) => nameOf(r) === s().namespaces.c);
    expect(namespace?.inputs.metadata.labels["istio-injection"]).toBe("disabled");
    const toolbox = oneIn(run(), T.deployment, s().namespaces.c);
    const tpl = toolbox.inputs.spec.template;
    expect(tpl.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    expect(tpl.spec.securityContext.runAsNonRoot).toBe(true);
    expect(tpl.spec.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    expect(tpl.spec.automountServiceAccountToken).toBe(false);
    for (const c of tpl.spec.containers) {
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
      expect(c.image).toBe(s().verification.toolboxImage);
    }
  });

  test("outputs: mtlsModes, three verification results, HTTPS URLs, Istio version", () => {
    const { outputs } = run();
    expect(outputs.istioVersion).toBe(s().mesh.istioVersion);
    expect(outputs.mtlsModes).toEqual(expect.objectContaining({ a: "STRICT", b: "STRICT" }));
    expect(Object.keys(outputs.verificationResults as object)).toHaveLength(3);
    expect((outputs.ingress as { urls: string[] }).urls).toEqual(
      s().tls.hosts.map((h) => `https://${h}/ping`),
    );
  });
});
