import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../support/stack-files";

// Imports run one way: no module of the program, its policy pack or the app reaches itself again
// through its relative imports (type-only imports included). A file split for its length that
// imports its parts while they import it back is a circle; shapes go to a leaf (settings-types.ts,
// plan-types.ts, certificate-types.ts) that both sides read.

const ROOTS = ["stacks", "components", "policy", path.join("app", "src")];

function sources(): string[] {
  const out = ["index.ts"];
  const walk = (dir: string) => {
    for (const f of readdirSync(path.join(PROJECT_ROOT, dir))) {
      const rel = path.join(dir, f);
      if (statSync(path.join(PROJECT_ROOT, rel)).isDirectory()) walk(rel);
      else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) out.push(rel);
    }
  };
  ROOTS.forEach(walk);
  return out;
}

/** Each file's relative imports and re-exports, as files of the project. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
    const targets: string[] = [];
    for (const [, spec] of text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)) {
      const base = path.join(path.dirname(file), spec);
      const found = [`${base}.ts`, path.join(base, "index.ts")].find((c) =>
        existsSync(path.join(PROJECT_ROOT, c)),
      );
      if (found) targets.push(found);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected components of more than one file (Tarjan): every circle. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test("the import graph of the program, the policy pack and the app has no circle", () => {
  const files = sources();
  expect(files.length).toBeGreaterThan(80);
  expect(circles(importGraph(files))).toEqual([]);
});

test("the check finds a circle: two modules that import each other", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["a.ts", "c.ts"]],
    ["c.ts", []],
  ]);
  expect(circles(graph)).toEqual([["a.ts", "b.ts"]]);
});
