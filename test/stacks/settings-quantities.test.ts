import { parseCpu, parseMemory } from "../../stacks/settings";

/** Kubernetes CPU and memory quantities, as the settings parse and compare them. */

describe("Kubernetes quantities", () => {
  test.each([
    ["100m", 100],
    ["1", 1000],
    ["2", 2000],
    ["0.5", 500],
    ["1.5", 1500],
    ["250m", 250],
    ["0", 0],
  ])("parseCpu(%j) is %d millicores", (q, millicores) => {
    expect(parseCpu(q)).toBe(millicores);
  });

  test.each(["lots", "", "100M", "1k", "-1", "m", "1 m", "100mi"])(
    "parseCpu(%j) is not a CPU quantity",
    (q) => {
      expect(parseCpu(q)).toBeUndefined();
    },
  );

  test.each([
    ["128", 128],
    ["1k", 1000],
    ["1M", 1_000_000],
    ["1G", 1_000_000_000],
    ["1Ki", 1024],
    ["64Mi", 64 * 1024 * 1024],
    ["2Gi", 2 * 1024 * 1024 * 1024],
  ])("parseMemory(%j) is %d bytes", (q, bytes) => {
    expect(parseMemory(q)).toBe(bytes);
  });

  test.each(["lots", "", "64MB", "64mi", "1K", "-1Mi", "Mi", "64 Mi"])(
    "parseMemory(%j) is not a memory quantity",
    (q) => {
      expect(parseMemory(q)).toBeUndefined();
    },
  );

  test("binary and decimal units compare by bytes", () => {
    expect(parseMemory("1Mi")).toBeGreaterThan(parseMemory("1M") ?? Infinity);
    expect(parseMemory("1000Ki")).toBeLessThan(parseMemory("1Mi") ?? -Infinity);
  });
});

describe("memory quantity forms", () => {
  test.each([
    ["1.5Gi", 1.5 * 1024 ** 3],
    ["2Ti", 2 * 1024 ** 4],
    ["1T", 1e12],
    ["0.5", 0.5],
  ])("memory quantity %s is %d bytes", (q, bytes) => {
    expect(parseMemory(q)).toBe(bytes);
  });
});
