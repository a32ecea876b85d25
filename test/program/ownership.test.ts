import { FORCE_APPLY_ANNOTATION, appliedAsObject } from "../../components/ownership";
import { runProgram, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";

// Every object a stack applies takes back the fields it declares: a hand edit is drift that
// `preview --refresh` shows and `up` undoes, instead of a field conflict (components/ownership.ts).
// Helm releases are upgraded by Helm, which owns what it renders.

describe.each(["dev", "prod"])("%s: who owns the fields the program declares", (stack) => {
  let run: ProgramRun;
  beforeAll(async () => (run = await runProgram(stack, stackConfig(stack))));

  test("every object the program applies forces its apply", () => {
    const objects = run.resources.filter((r) => appliedAsObject(r.type) && r.inputs.metadata !== undefined);
    expect(objects.length).toBeGreaterThan(40);
    const unforced = objects
      .filter((r) => r.inputs.metadata.annotations?.[FORCE_APPLY_ANNOTATION] !== "true")
      .map((r) => `${r.type} ${r.name}`);
    expect(unforced).toEqual([]);
  });

  test("no Helm release and nothing outside the cluster carries the annotation", () => {
    const others = run.resources.filter((r) => !appliedAsObject(r.type));
    expect(others.some((r) => r.type === "kubernetes:helm.sh/v3:Release")).toBe(true);
    const annotated = others
      .filter((r) => JSON.stringify(r.inputs ?? {}).includes(FORCE_APPLY_ANNOTATION))
      .map((r) => `${r.type} ${r.name}`);
    expect(annotated).toEqual([]);
  });
});
