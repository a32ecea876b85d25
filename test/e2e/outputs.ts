/**
 * The stack outputs the end-to-end suite (e2e.ts) reads, parsed and checked, and the verdicts on
 * them alone. Pure, like harness.ts, which re-exports it.
 */
export interface VerificationResult {
  expected: string;
  passed: boolean;
}

export interface StackFacts {
  verificationResults: Record<string, VerificationResult>;
  pingUrls: { a: string; b: string };
  namespaces: { a: string; b: string; c: string };
  ingressUrls: string[];
  caCertificatePem: string;
  /** Jaeger's query Service (output `jaeger.url`); null when the stack installs none. */
  jaeger: ServiceEndpoint | null;
  /** Kiali's Service and web root (output `kiali.url`); null when the stack installs none. */
  kiali: ServiceEndpoint | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A Service as an in-cluster URL names it: `http://<service>.<namespace>[.svc...]:<port><path>`. */
export interface ServiceEndpoint {
  service: string;
  namespace: string;
  port: number;
  /** The path of the URL without a trailing slash ("" for the root), e.g. Kiali's web root. */
  path: string;
}

/** The Service behind an in-cluster URL such as http://kiali.monitoring:20001/kiali. */
export function serviceEndpoint(url: string): ServiceEndpoint {
  const u = new URL(url);
  const [service, namespace] = u.hostname.split(".");
  if (!service || !namespace || u.port === "") {
    throw new Error(`${url}: expected http://<service>.<namespace>:<port>[/path]`);
  }
  return { service, namespace, port: Number(u.port), path: u.pathname.replace(/\/+$/, "") };
}

/**
 * The outputs the checks need, from an Automation API OutputMap (`{name: {value, secret}}`).
 * Throws, naming every problem, when one is missing or has the wrong shape.
 */
export function parseOutputs(outputs: Record<string, { value?: unknown } | undefined>): StackFacts {
  const problems: string[] = [];
  const value = (name: string): unknown => outputs[name]?.value;

  const rawResults = value("verificationResults");
  const verificationResults: Record<string, VerificationResult> = {};
  if (!isRecord(rawResults)) {
    problems.push("verificationResults: expected an object of {expected, passed}");
  } else {
    for (const [check, r] of Object.entries(rawResults)) {
      if (isRecord(r) && typeof r.passed === "boolean") {
        verificationResults[check] = {
          expected: typeof r.expected === "string" ? r.expected : "",
          passed: r.passed,
        };
      } else {
        problems.push(`verificationResults.${check}: expected {expected, passed}`);
      }
    }
  }

  const rawPing = value("pingUrls");
  let pingUrls = { a: "", b: "" };
  if (isRecord(rawPing) && typeof rawPing.a === "string" && typeof rawPing.b === "string") {
    pingUrls = { a: rawPing.a, b: rawPing.b };
  } else {
    problems.push("pingUrls: expected {a, b} URLs");
  }

  const rawNs = value("namespaces");
  let namespaces = { a: "", b: "", c: "" };
  if (isRecord(rawNs) && [rawNs.a, rawNs.b, rawNs.c].every((n) => typeof n === "string" && n !== "")) {
    namespaces = { a: rawNs.a as string, b: rawNs.b as string, c: rawNs.c as string };
  } else {
    problems.push("namespaces: expected {a, b, c} namespace names");
  }

  // `jaeger` and `kiali`: {url, portForward}, or null when the add-on is off.
  const endpoint = (name: "jaeger" | "kiali"): ServiceEndpoint | null => {
    const raw = value(name);
    if (raw === null) return null;
    if (isRecord(raw) && typeof raw.url === "string") {
      try {
        return serviceEndpoint(raw.url);
      } catch (err) {
        problems.push(`${name}.url: ${(err as Error).message}`);
        return null;
      }
    }
    problems.push(`${name}: expected {url, portForward} or null`);
    return null;
  };
  const jaeger = endpoint("jaeger");
  const kiali = endpoint("kiali");

  const rawIngress = value("ingress");
  let ingressUrls: string[] = [];
  if (
    isRecord(rawIngress) &&
    Array.isArray(rawIngress.urls) &&
    rawIngress.urls.every((u) => typeof u === "string")
  ) {
    ingressUrls = rawIngress.urls;
  } else {
    problems.push("ingress.urls: expected a list of URLs");
  }

  const ca = value("caCertificatePem");
  if (typeof ca !== "string" || !ca.includes("BEGIN CERTIFICATE")) {
    problems.push("caCertificatePem: expected a PEM certificate");
  }

  if (problems.length > 0) throw new Error(`unexpected stack outputs: ${problems.join("; ")}`);
  return {
    verificationResults,
    pingUrls,
    namespaces,
    ingressUrls,
    caCertificatePem: ca as string,
    jaeger,
    kiali,
  };
}

/** Check (a): passes only when there is at least one verification result and all of them passed. */
export function judgeVerification(results: Record<string, VerificationResult>): {
  pass: boolean;
  detail: string;
} {
  const entries = Object.entries(results);
  if (entries.length === 0) {
    return { pass: false, detail: "no verification results (is pingpong:verification off?)" };
  }
  const failed = entries.filter(([, r]) => !r.passed).map(([name]) => name);
  return failed.length === 0
    ? { pass: true, detail: `${entries.map(([name]) => name).join(", ")} passed` }
    : { pass: false, detail: `failed: ${failed.join(", ")}` };
}

/** The host and path of the first ingress URL (`https://pingpong.localtest.me/ping`). */
export function firstIngress(urls: readonly string[]): { host: string; path: string } {
  if (urls.length === 0) throw new Error("ingress.urls is empty (tlsTermination is not istio?)");
  const url = new URL(urls[0]);
  return { host: url.hostname, path: url.pathname === "/" ? "/ping" : url.pathname };
}
