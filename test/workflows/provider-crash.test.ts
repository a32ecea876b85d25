import { providerCrash } from "../cluster/engine-stack";

// The cluster tier reruns an engine operation once when the kubernetes provider crashed in it, and
// prints the crash. What counts as a crash, and what is printed of it, is decided here.

const relayed = [
  "kubernetes:argoproj.io/v1alpha1:Rollout pingpong-b-rollout error: error reading from server: EOF",
  "pulumi:pulumi:Stack pingpong-dev error: Detected that /tools/bin/pulumi-resource-kubernetes exited prematurely.",
  "error: This is *always* a bug in the provider. Please report the issue to the provider author as appropriate.",
  "error: To assist with debugging we have dumped the STDOUT and STDERR streams of the plugin:",
];

describe("providerCrash", () => {
  test("a successful operation is no crash", () => {
    expect(providerCrash({ ok: true, diagnostics: relayed })).toBeUndefined();
  });

  test("a failure the provider reported (it kept running) is no crash", () => {
    expect(
      providerCrash({
        ok: false,
        error: "update failed",
        diagnostics: ["urn error: values don't meet the specifications of the schema(s)"],
      }),
    ).toBeUndefined();
  });

  test("a panic: its message and the frames under it, at most 16 lines", () => {
    const frames = Array.from({ length: 30 }, (_, i) => `\tframe ${i}`);
    const crash = providerCrash({
      ok: false,
      error: "update failed",
      diagnostics: [
        ...relayed,
        "error: panic: send on closed channel",
        "",
        "goroutine 7 [running]:",
        ...frames,
      ],
    });
    const lines = crash!.split("\n");
    expect(lines[0]).toBe("  error: panic: send on closed channel");
    expect(lines[2]).toBe("  goroutine 7 [running]:");
    expect(lines).toHaveLength(16);
    expect(lines[15]).toBe("  frame 12");
  });

  test("a fatal error counts as a crash too", () => {
    expect(
      providerCrash({ ok: false, error: ["fatal error: concurrent map writes", ...relayed].join("\n") }),
    ).toBe(
      "  fatal error: concurrent map writes\n  kubernetes:argoproj.io/v1alpha1:Rollout pingpong-b-rollout error: error reading from server: EOF\n  pulumi:pulumi:Stack pingpong-dev error: Detected that /tools/bin/pulumi-resource-kubernetes exited prematurely.\n  error: This is *always* a bug in the provider. Please report the issue to the provider author as appropriate.\n  error: To assist with debugging we have dumped the STDOUT and STDERR streams of the plugin:",
    );
  });

  test("a crash without a relayed panic says so", () => {
    expect(providerCrash({ ok: false, diagnostics: relayed })).toBe(
      "(the engine relayed no panic from the provider)",
    );
  });
});
