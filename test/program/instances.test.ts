import type { IProbe, IService } from "kubernetes-models/v1";
import { ENV, PATHS } from "../../app/src/contract";
import { PORTS } from "../../components/workload";
import type { Settings } from "../../stacks/settings";
import { selects, type ProgramRun } from "../support/program";
import {
  ENVS,
  SIDES,
  as,
  containerOf,
  envOf,
  must,
  namedPorts,
  renderStacks,
  workloadOf,
  type Env,
} from "./models";
import { instanceService, podLabelSets, workloadIn } from "./workloads";

/**
 * How each instance's Service, workload (a Deployment, or in dev pingpong-b's Argo Rollout) and peer
 * fit together in dev and prod: the URL it pings, the ports and selectors that get a call there, the
 * probes, and the outputs that publish them.
 */

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
beforeAll(async () => ({ runs, settings } = await renderStacks()), 60_000);

const serviceOf = (run: ProgramRun, namespace: string) => as<IService>(instanceService(run, namespace));
const fqdnOf = (svc: IService) => `${svc.metadata?.name}.${svc.metadata?.namespace}.svc.cluster.local`;

describe.each(ENVS)("%s", (env) => {
  const run = () => runs[env];

  describe.each(SIDES)("instance $key", ({ key, peer: peerKey }) => {
    const namespace = () => settings[env].namespaces[key];
    const peer = () => settings[env].namespaces[peerKey];

    test("TARGET resolves to the peer's Service, a port of it that reaches the peer's http container port, /ping", () => {
      const target = must(envOf(containerOf(workloadOf(run(), namespace())))[ENV.target], "TARGET");
      const url = new URL(target);
      const peerService = serviceOf(run(), peer());
      const peerContainer = containerOf(workloadOf(run(), peer()));

      expect(url.protocol).toBe("http:");
      expect(url.hostname).toBe(fqdnOf(peerService));
      expect(peerService.metadata?.namespace).toBe(peer());
      const port = Number(url.port || 80);
      const servicePort = must(
        peerService.spec?.ports?.find((p) => p.port === port),
        `port ${port} on the Service in ${peer()}`,
      );
      const targetPort = servicePort.targetPort ?? servicePort.port;
      const containerPort = must(
        (peerContainer.ports ?? []).find((p) =>
          typeof targetPort === "string" ? p.name === targetPort : p.containerPort === targetPort,
        ),
        `container port ${String(targetPort)} in ${peer()}`,
      );
      expect(containerPort.name).toBe(PORTS.http.name);
      expect(Number(envOf(peerContainer)[ENV.port])).toBe(containerPort.containerPort);
      expect(url.pathname).toBe(PATHS.ping);
      expect(url.search).toBe("");
    });

    test("Service and workload selectors select the pod template, in every role its pods take", () => {
      const d = workloadOf(run(), namespace());
      const labels = must(d.spec?.template.metadata?.labels, "pod template labels");
      const selector = must(serviceOf(run(), namespace()).spec?.selector, "Service selector");
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      expect(labels).toEqual(expect.objectContaining(selector));
      const workloadSelector = must(d.spec?.selector.matchLabels, "workload selector");
      expect(Object.keys(workloadSelector).length).toBeGreaterThan(0);
      expect(labels).toEqual(expect.objectContaining(workloadSelector));
      expect(d.spec?.selector.matchExpressions).toBeUndefined();
      // A Rollout's controller relabels its pods by role; the Service must keep selecting them all.
      for (const pods of podLabelSets(workloadIn(run(), namespace())))
        expect(selects({ matchLabels: selector }, pods)).toBe(true);
    });

    test("Service ports http and http-metrics, with appProtocol, reach named container ports", () => {
      const service = serviceOf(run(), namespace());
      const ports = namedPorts(containerOf(workloadOf(run(), namespace())));
      expect(service.spec?.type ?? "ClusterIP").toBe("ClusterIP");
      const servicePorts = must(service.spec?.ports, "Service ports");
      expect(servicePorts.map((p) => p.name).sort()).toEqual([PORTS.http.name, PORTS.metrics.name].sort());
      for (const p of servicePorts) {
        // Istio picks the protocol from appProtocol (or the port name's prefix).
        expect({ name: p.name, appProtocol: p.appProtocol, protocol: p.protocol ?? "TCP" }).toEqual({
          name: p.name,
          appProtocol: "http",
          protocol: "TCP",
        });
        const target = p.targetPort ?? p.port;
        expect(typeof target === "string" ? ports[target] : target).toBe(p.port);
      }
    });

    test("the app listens where the container ports and the scrape annotation say", () => {
      const d = workloadOf(run(), namespace());
      const c = containerOf(d);
      const appEnv = envOf(c);
      const ports = namedPorts(c);
      expect(Number(appEnv[ENV.port])).toBe(ports[PORTS.http.name]);
      expect(Number(appEnv[ENV.metricsPort])).toBe(ports[PORTS.metrics.name]);
      expect(d.spec?.template.metadata?.annotations?.["prometheus.io/port"]).toBe(
        String(ports[PORTS.metrics.name]),
      );
    });

    test("probes: /readyz for readiness, /healthz for liveness and startup, never /ping, on a named container port", () => {
      const c = containerOf(workloadOf(run(), namespace()));
      const ports = namedPorts(c);
      const probes: Record<string, IProbe | undefined> = {
        startup: c.startupProbe,
        readiness: c.readinessProbe,
        liveness: c.livenessProbe,
      };
      for (const [kind, probe] of Object.entries(probes)) {
        const get = must(probe?.httpGet, `${kind} probe httpGet`);
        expect({ kind, health: [PATHS.healthz, PATHS.readyz].includes(get.path as never) }).toEqual({
          kind,
          health: true,
        });
        expect(get.path).not.toBe(PATHS.ping);
        const port = get.port;
        expect({ kind, port: typeof port === "string" && port in ports }).toEqual({ kind, port: true });
      }
      expect(c.readinessProbe?.httpGet?.path).toBe(PATHS.readyz);
      expect(c.livenessProbe?.httpGet?.path).toBe(PATHS.healthz);
    });
  });

  test("stack outputs: namespaces, Service hosts and ping URLs are the real ones; each instance pings its peer's", () => {
    const { outputs } = run();
    const s = settings[env];
    expect(outputs.environment).toBe(env);
    expect(outputs.namespaces).toEqual({ a: s.namespaces.a, b: s.namespaces.b, c: s.namespaces.c });
    const hosts = outputs.serviceHosts as Record<string, string>;
    const urls = outputs.pingUrls as Record<string, string>;
    for (const { key, peer } of SIDES) {
      const service = serviceOf(run(), s.namespaces[key]);
      const http = must(
        service.spec?.ports?.find((p) => p.name === PORTS.http.name),
        "the Service's http port",
      );
      expect(hosts[key]).toBe(fqdnOf(service));
      expect(urls[key]).toBe(`http://${fqdnOf(service)}:${http.port}${PATHS.ping}`);
      // Each instance pings exactly the URL the other one is published under.
      expect(envOf(containerOf(workloadOf(run(), s.namespaces[peer])))[ENV.target]).toBe(urls[key]);
    }
  });
});
