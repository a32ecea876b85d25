import { readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import {
  EXPIRY_WARNING_DAYS,
  SummaryError,
  USAGE,
  daysRemaining,
  escapeHtml,
  main,
  parseSummary,
  renderStatusPage,
  type Summary,
} from "../../stacks/status-page";

const NOW = new Date("2025-03-01T12:00:00Z");
const DIGEST = `sha256:${"ab12".repeat(16)}`;

function summary(): Summary {
  return {
    environment: "staging",
    endpoints: {
      ingress: ["https://pingpong.staging.example.com"],
      internal: {
        a: "http://pingpong.pingpong-a.svc.cluster.local:8080/ping",
        b: "http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
      },
    },
    namespaces: { a: "pingpong-a", b: "pingpong-b", c: "pingpong-c" },
    image: { ref: `registry.example.com/pingpong@${DIGEST}`, digest: DIGEST },
    istioVersion: "1.24.2",
    certificate: { expiry: "2025-04-15T12:00:00Z" },
    mtls: { "pingpong-a": "STRICT", "pingpong-b": "STRICT" },
    canary: { v1: 90, v2: 10 },
    dashboardUid: "pingpong-staging",
  };
}

type Obj = Record<string, unknown>;
type Patch = (s: Obj) => void;

/** The object holding the last key of a dotted path, and that key. */
function slot(s: Obj, path: string): [Obj, string] {
  const keys = path.split(".");
  const last = keys.pop() as string;
  const parent = keys.reduce<Obj>((o, k) => o[k] as Obj, s);
  return [parent, last];
}
const set =
  (path: string, value: unknown): Patch =>
  (s) => {
    const [parent, key] = slot(s, path);
    parent[key] = value;
  };
const unset =
  (path: string): Patch =>
  (s) => {
    const [parent, key] = slot(s, path);
    delete parent[key];
  };
const push =
  (path: string, value: unknown): Patch =>
  (s) => {
    const [parent, key] = slot(s, path);
    (parent[key] as unknown[]).push(value);
  };

/** Stack outputs with a valid summary, patched. */
function outputs(...patches: Patch[]): unknown {
  const s = JSON.parse(JSON.stringify(summary())) as Obj;
  for (const patch of patches) patch(s);
  return { environment: "staging", summary: s };
}

function errorOf(fn: () => unknown): SummaryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SummaryError) return e;
    throw e;
  }
  throw new Error("expected a SummaryError, nothing was thrown");
}

/** The text of the table row whose header is `label`. */
function rowOf(html: string, label: string): string {
  const m = new RegExp(`<tr[^>]*><th scope="row">${label}</th>.*?</tr>`).exec(html);
  if (!m) throw new Error(`no row ${label} in the page`);
  return m[0];
}

describe("parseSummary", () => {
  it("returns the summary of valid stack outputs", () => {
    expect(parseSummary(outputs())).toEqual(summary());
    expect(parseSummary(outputs(set("canary", null))).canary).toBeNull();
    expect(parseSummary(outputs(set("endpoints.ingress", []))).endpoints.ingress).toEqual([]);
  });

  it.each<[string, Patch, RegExp]>([
    ["summary.environment", unset("environment"), /summary\.environment: expected a string, missing/],
    ["summary.environment", set("environment", " "), /non-empty/],
    ["summary.endpoints", unset("endpoints"), /summary\.endpoints: expected an object, missing/],
    ["summary.endpoints.ingress", set("endpoints.ingress", "https://x"), /array of strings/],
    ["summary.endpoints.ingress[1]", push("endpoints.ingress", 3), /got number 3/],
    ["summary.endpoints.internal", set("endpoints.internal", ["a", "b"]), /got an array/],
    ["summary.endpoints.internal.b", unset("endpoints.internal.b"), /missing/],
    ["summary.namespaces.c", set("namespaces.c", 7), /expected a string, got number 7/],
    ["summary.image", set("image", null), /expected an object, got null/],
    ["summary.image.ref", unset("image.ref"), /missing/],
    ["summary.image.digest", set("image.digest", "latest"), /sha256/],
    ["summary.istioVersion", set("istioVersion", 1.24), /got number 1\.24/],
    ["summary.certificate", set("certificate", "2025-04-15T12:00:00Z"), /expected an object/],
    ["summary.certificate.expiry", set("certificate.expiry", "15/04/2025"), /ISO 8601/],
    ["summary.certificate.expiry", set("certificate.expiry", "2025-04-15T12:00:00"), /ISO 8601/],
    ["summary.certificate.expiry", set("certificate.expiry", "2025-13-45T12:00:00Z"), /ISO 8601/],
    ["summary.mtls", unset("mtls"), /expected an object, missing/],
    ["summary.mtls.pingpong-b", set("mtls.pingpong-b", true), /got boolean true/],
    ["summary.canary", unset("canary"), /or null, missing/],
    ["summary.canary", set("canary", 10), /or null, got number 10/],
    ["summary.canary.v2", set("canary.v2", "10"), /number from 0 to 100, got string "10"/],
    ["summary.canary.v1", set("canary.v1", 101), /number from 0 to 100/],
    ["summary.dashboardUid", unset("dashboardUid"), /missing/],
  ])("names %s when it is missing or invalid", (field, patch, problem) => {
    const err = errorOf(() => parseSummary(outputs(patch)));
    expect(err.field).toBe(field);
    expect(err.message).toContain(`${field}: `);
    expect(err.message).toMatch(problem);
  });

  it("names the summary itself when it is absent or the outputs are not an object", () => {
    expect(errorOf(() => parseSummary({ environment: "dev" })).field).toBe("summary");
    expect(errorOf(() => parseSummary(summary())).field).toBe("summary");
    expect(errorOf(() => parseSummary("{}")).field).toBe("outputs");
    expect(errorOf(() => parseSummary(null)).field).toBe("outputs");
  });

  it("is what renderStatusPage throws on invalid outputs", () => {
    expect(() => renderStatusPage(outputs(unset("image.digest")), NOW)).toThrow(
      /invalid stack outputs: summary\.image\.digest: expected a string, missing/,
    );
  });
});

describe("renderStatusPage", () => {
  it("renders a self-contained page with every value", () => {
    const html = renderStatusPage(outputs(), NOW);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src=/i);
    const s = summary();
    for (const value of [
      s.environment,
      s.endpoints.ingress[0],
      s.endpoints.internal.a,
      s.endpoints.internal.b,
      s.namespaces.a,
      s.namespaces.b,
      s.namespaces.c,
      s.image.digest,
      s.istioVersion,
      s.certificate.expiry,
      s.dashboardUid,
    ]) {
      expect(html).toContain(value);
    }
    expect(html).toContain(`<a href="${s.endpoints.ingress[0]}">`);
    expect(rowOf(html, "Canary weights")).toMatch(
      /v1: <span class="weight">90<\/span>, v2: <span class="weight">10<\/span>/,
    );
    expect(rowOf(html, "mTLS modes")).toMatch(/pingpong-a.*STRICT.*pingpong-b.*STRICT/);
    expect(html).toContain("Generated 2025-03-01T12:00:00.000Z");
  });

  it("shows no canary and no ingress when there are none", () => {
    const html = renderStatusPage(outputs(set("canary", null), set("endpoints.ingress", [])), NOW);
    expect(rowOf(html, "Canary weights")).toContain("no canary");
    expect(rowOf(html, "Ingress endpoints")).toContain("<td>none</td>");
  });

  it("escapes every value", () => {
    const evil = `<script>alert("x")</script>&'`;
    const html = renderStatusPage(
      outputs(
        set("environment", evil),
        set("endpoints.ingress", [`https://h/${evil}`, `javascript:${evil}`]),
        set("endpoints.internal.a", evil),
        set("namespaces.c", evil),
        set("image.ref", evil),
        set("istioVersion", evil),
        set("mtls", { [evil]: evil }),
        set("dashboardUid", evil),
      ),
      NOW,
    );
    expect(html).not.toContain("<script");
    expect(html).not.toContain(`alert("x")`);
    expect(html).not.toContain(`href="javascript:`);
    const escaped = escapeHtml(evil);
    expect(escaped).toBe("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;");
    // Title, heading and row for the environment, href and text for the https link, one for each other value.
    expect(html.split(escaped).length - 1).toBe(13);
  });

  it("computes the certificate's days remaining against the given now", () => {
    expect(daysRemaining("2025-04-15T12:00:00Z", NOW)).toBe(45);
    expect(daysRemaining("2025-03-02T11:59:59Z", NOW)).toBe(0);
    expect(daysRemaining("2025-03-01T14:00:00+02:00", NOW)).toBe(0);
    expect(rowOf(renderStatusPage(outputs(), NOW), "Certificate expiry")).toContain(
      '<span class="days">45 days</span> remaining',
    );
    const later = new Date("2025-04-14T12:00:00Z");
    expect(rowOf(renderStatusPage(outputs(), later), "Certificate expiry")).toContain(
      '<span class="days">1 day</span> remaining',
    );
  });

  it("highlights a certificate close to or past its expiry", () => {
    const soon = new Date(Date.parse("2025-04-15T12:00:00Z") - (EXPIRY_WARNING_DAYS - 1) * 86_400_000);
    expect(rowOf(renderStatusPage(outputs(), NOW), "Certificate expiry")).toMatch(/^<tr>/);
    expect(rowOf(renderStatusPage(outputs(), soon), "Certificate expiry")).toMatch(/^<tr class="warn">/);
    const expired = rowOf(
      renderStatusPage(outputs(), new Date("2025-04-18T13:00:00Z")),
      "Certificate expiry",
    );
    expect(expired).toMatch(/^<tr class="bad">/);
    expect(expired).toContain("<strong>expired</strong> 3 days ago");
  });

  it("highlights every mTLS mode that is not STRICT", () => {
    const clean = rowOf(renderStatusPage(outputs(), NOW), "mTLS modes");
    expect(clean).toMatch(/^<tr>/);
    expect(clean).not.toContain("not-strict");

    const html = renderStatusPage(
      outputs(set("mtls", { "pingpong-a": "STRICT", "pingpong-b": "PERMISSIVE", mesh: "DISABLE" })),
      NOW,
    );
    const row = rowOf(html, "mTLS modes");
    expect(row).toMatch(/^<tr class="bad">/);
    expect(row).toContain('<strong class="not-strict">PERMISSIVE</strong>');
    expect(row).toContain('<strong class="not-strict">DISABLE</strong>');
    expect(row).toContain('<span class="strict">STRICT</span>');
    expect(row.match(/not-strict/g)).toHaveLength(2);

    expect(rowOf(renderStatusPage(outputs(set("mtls", {})), NOW), "mTLS modes")).toMatch(/^<tr class="bad">/);
  });
});

describe("main, the command", () => {
  /** Runs main with `input` on stdin, a terminal or a pipe; returns the exit code and both outputs. */
  async function run(input: string, isTTY: boolean) {
    const stdin = Object.assign(Readable.from([input]), { isTTY });
    const [stdout, stderr] = [new PassThrough(), new PassThrough()];
    const chunks = { out: "", err: "" };
    stdout.on("data", (c: Buffer) => (chunks.out += String(c)));
    stderr.on("data", (c: Buffer) => (chunks.err += String(c)));
    const code = await main(stdin, stdout, NOW, stderr);
    return { code, ...chunks };
  }

  it("on a terminal, says in one line on stderr what it expects on stdin, then reads it", async () => {
    const r = await run(JSON.stringify(outputs()), true);
    expect(r.err.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.err).toContain(USAGE);
    expect(r.err).toMatch(/^status-page: .*stdin/);
    expect(r).toMatchObject({ code: 0, out: renderStatusPage(outputs(), NOW) });
  });

  it("from a pipe, writes only the page", async () => {
    expect(await run(JSON.stringify(outputs()), false)).toEqual({
      code: 0,
      out: renderStatusPage(outputs(), NOW),
      err: "",
    });
  });

  it("names what is wrong on stderr and exits 1", async () => {
    expect(await run("not json", false)).toMatchObject({
      code: 1,
      out: "",
      err: expect.stringMatching(/not JSON/),
    });
    const bad = await run(JSON.stringify({ environment: "dev" }), false);
    expect(bad).toMatchObject({ code: 1, out: "" });
    expect(bad.err).toContain("summary");
  });

  it("names the command docs/architecture.md gives, less the stack", () => {
    const doc = readFileSync(path.resolve(__dirname, "../../docs/architecture.md"), "utf8");
    const shown = /^pulumi stack output .*status-page.*$/m.exec(doc)?.[0];
    expect(shown?.replace(/ -s [a-z0-9-]+/, "")).toBe(USAGE);
  });
});
