import {
  createCa,
  issueCert,
  issueClientCert,
  issueServerCert,
  writePems,
  type Ca,
  type Pem,
  type PemDir,
} from "../support/certs";
import {
  httpRequest,
  metricValue,
  parseMetrics,
  pingResults,
  startService,
  waitFor,
  type Env,
  type RunningService,
} from "../support/service";

const A = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const B = "spiffe://cluster.local/ns/pingpong-b/sa/pingpong";
const C = "spiffe://cluster.local/ns/pingpong-c/sa/pingpong";

let ca: Ca;
let rogueCa: Ca;
let client: Pem;
let rogueClient: Pem;
let anonymousClient: Pem;
let pems: PemDir;
let files: Record<string, string>;

beforeAll(async () => {
  ca = await createCa("pingpong-test-ca");
  rogueCa = await createCa("rogue-ca");
  const server = await issueServerCert(ca);
  client = await issueClientCert(ca, A);
  rogueClient = await issueClientCert(rogueCa, A);
  anonymousClient = await issueCert(ca, { commonName: "no-uri", clientAuth: true });
  pems = writePems({
    "ca.pem": ca.cert,
    "server.pem": server.cert,
    "server-key.pem": server.key,
    "client.pem": client.cert,
    "client-key.pem": client.key,
    "rogue-client.pem": rogueClient.cert,
    "rogue-client-key.pem": rogueClient.key,
  });
  files = pems.paths;
});

afterAll(() => pems.remove());

const services: RunningService[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

async function start(env: Env): Promise<RunningService> {
  const s = await startService(env);
  services.push(s);
  return s;
}

const serverTls = (): Env => ({ TLS_CERT_FILE: files["server.pem"], TLS_KEY_FILE: files["server-key.pem"] });
const serverMtls = (): Env => ({ ...serverTls(), TLS_CLIENT_CA_FILE: files["ca.pem"] });

function pongs(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parseMetrics(text)) if (s.name === "pingpong_pongs_total") out[s.labels.caller] = s.value;
  return out;
}

interface ErrorWithCode {
  code?: string;
}

async function failure(promise: Promise<unknown>): Promise<ErrorWithCode> {
  try {
    await promise;
  } catch (err) {
    return err as ErrorWithCode;
  }
  throw new Error("the request succeeded");
}

describe("application TLS on the main port", () => {
  it("serves https with a certificate valid for 127.0.0.1", async () => {
    const s = await start(serverTls());
    expect(s.url("/ping")).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ping$/);
    const res = await httpRequest(s.url("/ping"), { ca: ca.cert });
    expect([res.status, res.body]).toEqual([200, "pong"]);
    const ready = await httpRequest(s.url("/readyz"), { ca: ca.cert });
    expect([ready.status, ready.body]).toEqual([200, "ready"]);
  });

  it("is refused by a client that does not trust the CA", async () => {
    const s = await start(serverTls());
    const err = await failure(httpRequest(s.url("/ping")));
    expect(err.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    const rogue = await failure(httpRequest(s.url("/ping"), { ca: rogueCa.cert }));
    expect(rogue.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("does not answer plain http", async () => {
    const s = await start(serverTls());
    const err = await failure(httpRequest(`http://127.0.0.1:${s.port}/ping`));
    expect(err.code).toBe("ECONNRESET");
    expect(pongs(await s.metricsText())).toEqual({});
  });

  it("does not require a client certificate without TLS_CLIENT_CA_FILE", async () => {
    const s = await start(serverTls());
    const res = await httpRequest(s.url("/ping"), { ca: ca.cert, headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { caller: string | null }).caller).toBeNull();
  });

  it("keeps the metrics port plain http", async () => {
    const s = await start(serverTls());
    expect(metricValue(await s.metricsText(), "pingpong_ready")).toBe(1);
  });
});

describe("application mTLS on the main port", () => {
  it("refuses a client without a certificate", async () => {
    const s = await start(serverMtls());
    const err = await failure(httpRequest(s.url("/ping"), { ca: ca.cert }));
    expect(err.code).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/);
    expect(pongs(await s.metricsText())).toEqual({});
  });

  it("refuses a client certificate from another CA", async () => {
    const s = await start(serverMtls());
    const err = await failure(
      httpRequest(s.url("/ping"), { ca: ca.cert, cert: rogueClient.cert, key: rogueClient.key }),
    );
    expect(err.code).toMatch(/^(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET)$/);
    expect(pongs(await s.metricsText())).toEqual({});
  });

  it("answers a client with the right certificate and names it by its SPIFFE URI SAN", async () => {
    const s = await start({ ...serverMtls(), POD_NAMESPACE: "pingpong-b" });
    const res = await httpRequest(s.url("/ping"), {
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
      headers: { accept: "application/json" },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ message: "pong", namespace: "pingpong-b", caller: A });
    const text = await s.metricsText();
    expect(metricValue(text, "pingpong_pongs_total", { caller: A })).toBe(1);
    expect(pongs(text)).toEqual({ [A]: 1 });
  });

  it("answers text pong to the right certificate", async () => {
    const s = await start(serverMtls());
    const res = await httpRequest(s.url("/ping"), { ca: ca.cert, cert: client.cert, key: client.key });
    expect([res.status, res.body]).toEqual([200, "pong"]);
  });

  it("ignores an XFCC header: the caller comes from the certificate", async () => {
    const s = await start(serverMtls());
    const res = await httpRequest(s.url("/ping"), {
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
      headers: { accept: "application/json", "x-forwarded-client-cert": `By=${B};URI=${C}` },
    });
    expect((JSON.parse(res.body) as { caller: string | null }).caller).toBe(A);
    expect(pongs(await s.metricsText())).toEqual({ [A]: 1 });
  });

  it("labels a verified certificate without a SPIFFE ID unknown, whatever XFCC says", async () => {
    const s = await start(serverMtls());
    const res = await httpRequest(s.url("/ping"), {
      ca: ca.cert,
      cert: anonymousClient.cert,
      key: anonymousClient.key,
      headers: { accept: "application/json", "x-forwarded-client-cert": `By=${B};URI=${C}` },
    });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { caller: string | null }).caller).toBeNull();
    expect(pongs(await s.metricsText())).toEqual({ unknown: 1 });
  });
});

describe("pinging an https TARGET under application mTLS", () => {
  async function peer(): Promise<RunningService> {
    return start({ ...serverMtls(), POD_NAMESPACE: "pingpong-b" });
  }

  it("succeeds with the client certificate and the CA", async () => {
    const b = await peer();
    const a = await start({
      POD_NAMESPACE: "pingpong-a",
      TICK_MS: "50",
      TARGET: b.url("/ping"),
      TARGET_CERT_FILE: files["client.pem"],
      TARGET_KEY_FILE: files["client-key.pem"],
      TARGET_CA_FILE: files["ca.pem"],
    });
    a.service.startPinging();
    await waitFor(
      async () => pingResults(await a.metricsText()).success >= 3,
      5000,
      "three successful pings",
    );
    const pings = pingResults(await a.metricsText());
    expect(pings.failure).toBe(0);
    const bPongs = pongs(await b.metricsText());
    expect(Object.keys(bPongs)).toEqual([A]);
    expect(bPongs[A]).toBeGreaterThanOrEqual(pings.success);
  });

  it.each<{ what: string; tlsFiles: Record<string, string>; outcome: RegExp }>([
    {
      what: "without a client certificate",
      tlsFiles: { TARGET_CA_FILE: "ca.pem" },
      outcome: /^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/,
    },
    {
      what: "with a client certificate from another CA",
      tlsFiles: {
        TARGET_CA_FILE: "ca.pem",
        TARGET_CERT_FILE: "rogue-client.pem",
        TARGET_KEY_FILE: "rogue-client-key.pem",
      },
      outcome: /^(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET)$/,
    },
    {
      what: "without trusting the server's CA",
      tlsFiles: { TARGET_CERT_FILE: "client.pem", TARGET_KEY_FILE: "client-key.pem" },
      outcome: /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/,
    },
  ])("fails $what", async ({ tlsFiles, outcome }) => {
    const b = await peer();
    const env: Env = {
      POD_NAMESPACE: "pingpong-a",
      TICK_MS: "50",
      TARGET: b.url("/ping"),
      LOG_LEVEL: "warn",
    };
    for (const [variable, name] of Object.entries(tlsFiles)) env[variable] = files[name];
    const a = await start(env);
    a.service.startPinging();
    await waitFor(async () => pingResults(await a.metricsText()).failure >= 3, 5000, "three failed pings");
    expect(pingResults(await a.metricsText()).success).toBe(0);
    expect(pongs(await b.metricsText())).toEqual({});
    const warned = a.logs.filter((l) => l.msg === "ping failed");
    expect(warned).toHaveLength(1);
    expect(String(warned[0].outcome)).toMatch(outcome);
  });
});
