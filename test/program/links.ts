import { chartServices, type ChartService } from "../support/chart-services";
import { nameOf, namespaceOf, ofType, type ProgramRun } from "../support/program";
import { T, type Json } from "./lookup";

/** Where the program's in-cluster addresses lead: to its own Services, or to those its charts create. */

/** A Service reached by an address, and who creates it. */
export interface Reached extends ChartService {
  /** "program" for a Service the program declares, else the logical name of the Helm release. */
  createdBy: string;
}

/** Every Service of a run: those it declares and those its releases' charts create. */
export function allServices(run: ProgramRun): Reached[] {
  const own = ofType(run, T.service).map((s) => ({
    name: nameOf(s),
    namespace: namespaceOf(s),
    ports: (s.inputs.spec.ports as Json[]).map((p) => ({
      port: p.port as number,
      targetPort: typeof p.targetPort === "number" ? p.targetPort : undefined,
    })),
    createdBy: "program",
  }));
  const charted = ofType(run, T.release).flatMap((r) =>
    chartServices(r.inputs).map((s) => ({ ...s, createdBy: r.name })),
  );
  return [...own, ...charted];
}

/**
 * The Service `host` names, as cluster DNS resolves it from any namespace (`<svc>.<ns>`,
 * `<svc>.<ns>.svc` or `<svc>.<ns>.svc.cluster.local`), with `port` among its ports; undefined when
 * none matches.
 */
export function serviceAt(run: ProgramRun, host: string, port: number): Reached | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?$/.exec(host);
  if (!m) return undefined;
  const [, name, namespace] = m;
  return allServices(run).find(
    (s) => s.name === name && s.namespace === namespace && s.ports.some((p) => p.port === port),
  );
}

/** The Service an http(s) URL reaches (its port, or the scheme's); undefined when none. */
export function serviceAtUrl(run: ProgramRun, url: string): Reached | undefined {
  const u = new URL(url);
  return serviceAt(run, u.hostname, Number(u.port || (u.protocol === "https:" ? 443 : 80)));
}
