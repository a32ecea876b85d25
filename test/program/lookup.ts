import { deepMerge } from "../support/charts";
import { T } from "../support/tokens";
import { nameOf, namespaceOf, ofType, type Labels, type ProgramRun, type Recorded } from "../support/program";

/** Lookups over a rendered program that the test files of test/program share. */

export { T };

/** Recorded inputs: JSON from the program, as untyped as the harness records them. */
export type Json = Recorded["inputs"];

/**
 * The Helm release of `chart` (in `namespace`, for a chart installed more than once, such as
 * Istio's `gateway` for the ingress and the egress gateway); fails unless there is exactly one.
 */
export function release(run: ProgramRun, chart: string, namespace?: string): Recorded {
  const found = ofType(run, T.release).filter(
    (r) => r.inputs.chart === chart && (namespace === undefined || r.inputs.namespace === namespace),
  );
  const where = namespace === undefined ? "" : ` in ${namespace}`;
  if (found.length !== 1) throw new Error(`expected one ${chart} release${where}, found ${found.length}`);
  return found[0];
}
/** A release's inputs as its chart reads them: istiod's copies anything under `pilot` to the top level (templates/zzy_descope_legacy.yaml). */
const descoped = (r: Json): Json => {
  if (r.chart !== "istiod" || r.values.pilot === undefined) return r;
  const { pilot, ...rest } = r.values;
  return { ...r, values: deepMerge(rest, pilot) };
};
/** Every Helm release's inputs, as its chart reads them. */
export const chartReleases = (run: ProgramRun): Json[] =>
  ofType(run, T.release).map((r) => descoped(r.inputs));
/** The inputs of the release of `chart` (in `namespace`), as the chart reads them; fails unless there is exactly one. */
export function chartRelease(run: ProgramRun, chart: string, namespace?: string): Json {
  return descoped(release(run, chart, namespace).inputs);
}
/** The namespace a Helm release installs into. */
export const releaseNamespace = (r: Recorded): string => r.inputs.namespace;

/** The cluster DNS name of a Service. */
export const fqdn = (svc: Recorded): string => `${nameOf(svc)}.${namespaceOf(svc)}.svc.cluster.local`;

export const podLabelsOf = (d: Recorded): Labels => d.inputs.spec.template.metadata.labels;
/** The version a Deployment's pods run, as the mesh routes on it (their `version` label). */
export const versionOf = (d: Recorded): string => podLabelsOf(d).version;
/** The Deployment's one container. */
export function containerOf(d: Recorded): Json {
  const containers = d.inputs.spec.template.spec.containers as Json[];
  if (containers.length !== 1)
    throw new Error(`expected one container in ${d.name}, found ${containers.length}`);
  return containers[0];
}
export const envOf = (c: Json): Record<string, string | undefined> =>
  Object.fromEntries(
    ((c.env ?? []) as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]),
  );
/** A container's ports by name. */
export const namedPorts = (c: Json): Record<string, number> =>
  Object.fromEntries(
    ((c.ports ?? []) as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]),
  );

/** The Service a URL points at, and the Service port it uses; fails when either is missing. */
export function serviceOfUrl(run: ProgramRun, url: string): { service: Recorded; port: number } {
  const u = new URL(url);
  const service = ofType(run, T.service).find((s) => fqdn(s) === u.hostname);
  if (!service) throw new Error(`no Service for ${u.hostname}`);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  if (!(service.inputs.spec.ports as Array<{ port: number }>).some((p) => p.port === port))
    throw new Error(`the Service for ${u.hostname} has no port ${port}`);
  return { service, port };
}

/** The port numbers a Service exposes. */
export const servicePorts = (svc: Recorded): number[] =>
  (svc.inputs.spec.ports as Array<{ port: number }>).map((p) => p.port);

/** The NetworkPolicy peer of every pod in namespace `n`. */
export const namespacePeer = (n: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
});
