import { readFileSync } from "node:fs";
import https from "node:https";

/**
 * A small Kubernetes REST client over node:https with the admin client certificate: discovery,
 * server-side apply, reads and dry runs. It returns the API server's warnings (Pod Security's among
 * them) with every answer, which is what the tier asserts on.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [k: string]: unknown };
  [field: string]: unknown;
}

export interface Answer {
  status: number;
  // Bodies are whatever the API server answers; callers narrow them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  warnings: string[];
}

export class KubeError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
}

/** The field manager of every apply the tier makes, as Pulumi's provider has its own. */
export const FIELD_MANAGER = "pingpong-cluster-tier";

export class Kube {
  private readonly agent: https.Agent;
  private readonly url: URL;
  private readonly resources = new Map<string, ApiResource>();

  constructor(server: string, ca: string, cert: string, key: string) {
    this.url = new URL(server);
    this.agent = new https.Agent({
      ca: readFileSync(ca),
      cert: readFileSync(cert),
      key: readFileSync(key),
      keepAlive: true,
    });
  }

  /**
   * One request; a 429 (too many requests, or storage still initialising after a restart) is
   * retried after its Retry-After, as client-go does, up to ten times.
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const a = await this.once(method, path, body, contentType);
      if (a.status !== 429 || attempt >= 10) return a;
      await new Promise((resolve) => setTimeout(resolve, 1000 * Math.min(Number(a.retryAfter) || 1, 5)));
    }
  }

  private once(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
  ): Promise<Answer & { retryAfter?: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          timeout: 60_000,
          headers: {
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            const raw = res.headers.warning;
            const warnings = (Array.isArray(raw) ? raw : raw ? [raw] : []).flatMap(splitWarnings);
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: kept as text
            }
            const retryAfter = res.headers["retry-after"];
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings, retryAfter });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<Answer> {
    const a = await this.request(method, path, body, contentType);
    if (a.status >= 300) {
      const message = typeof a.body === "object" && a.body?.message ? a.body.message : String(a.body);
      throw new KubeError(a.status, `${method} ${path}: ${a.status} ${message}`);
    }
    return a;
  }

  /** Forgets discovery, so kinds of CRDs installed since are found. */
  rediscover(): void {
    this.resources.clear();
  }

  private async discover(): Promise<void> {
    const groupVersions: string[] = ["v1"];
    const apis = (await this.ok("GET", "/apis")).body as {
      groups: Array<{ versions: Array<{ groupVersion: string }> }>;
    };
    for (const g of apis.groups) groupVersions.push(...g.versions.map((v) => v.groupVersion));
    await Promise.all(
      groupVersions.map(async (gv) => {
        const a = await this.request("GET", gv === "v1" ? "/api/v1" : `/apis/${gv}`);
        if (a.status !== 200) return;
        for (const r of (a.body as { resources: ApiResource[] }).resources) {
          if (r.name.includes("/")) continue;
          this.resources.set(`${gv}/${r.kind}`, r);
        }
      }),
    );
  }

  async resource(apiVersion: string, kind: string): Promise<ApiResource> {
    let r = this.resources.get(`${apiVersion}/${kind}`);
    // Just after a restart or a CRD's install a group may not be served yet: a few more looks.
    for (let attempt = 0; !r && attempt < 5; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      await this.discover();
      r = this.resources.get(`${apiVersion}/${kind}`);
    }
    if (!r) throw new KubeError(404, `no matches for kind "${kind}" in version "${apiVersion}"`);
    return r;
  }

  /** The REST path of an object (or of its collection, without a name). */
  async path(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const base = apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`;
    const ns = r.namespaced && namespace ? `/namespaces/${namespace}` : "";
    return `${base}${ns}/${r.name}${name ? `/${encodeURIComponent(name)}` : ""}`;
  }

  /** Server-side apply, forced, as the Pulumi provider applies (`application/apply-patch+yaml`; JSON is YAML). */
  async apply(obj: KubeObject, opts: { dryRun?: boolean; fieldManager?: string } = {}): Promise<Answer> {
    const p = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: "true" });
    if (opts.dryRun) q.set("dryRun", "All");
    return this.ok("PATCH", `${p}?${q.toString()}`, obj, "application/apply-patch+yaml");
  }

  /** Creates `obj` with `dryRun=All`: admission (webhooks, Pod Security) judges it, nothing is stored. */
  async dryRunCreate(obj: KubeObject): Promise<Answer> {
    const p = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return this.request("POST", `${p}?dryRun=All&fieldManager=${FIELD_MANAGER}`, obj);
  }

  async get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    const a = await this.request("GET", await this.path(apiVersion, kind, namespace, name));
    if (a.status === 404) return undefined;
    if (a.status >= 300) throw new KubeError(a.status, `GET ${kind} ${namespace ?? ""}/${name}: ${a.status}`);
    return a.body as KubeObject;
  }

  async list(apiVersion: string, kind: string, namespace?: string, query = ""): Promise<KubeObject[]> {
    const a = await this.ok(
      "GET",
      `${await this.path(apiVersion, kind, namespace)}${query ? `?${query}` : ""}`,
    );
    return (a.body as { items: KubeObject[] }).items.map((i) => ({ ...i, apiVersion, kind }));
  }

  async remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<void> {
    const a = await this.request("DELETE", await this.path(apiVersion, kind, namespace, name));
    if (a.status >= 300 && a.status !== 404)
      throw new KubeError(a.status, `DELETE ${kind} ${name}: ${a.status}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `299 - "text"` warning headers, several per header line possible. */
function splitWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) out.push(m[1].replace(/\\"/g, '"'));
  return out.length ? out : [header];
}
