import { describe, expect, it } from "vitest";
import { pythonJsonDumps } from "../../src/util/pythonJson.js";

describe("Python json.dumps layout", () => {
  // Expected strings are what CPython's json.dumps(value) prints for these values.
  it.each([
    [{ a: [1, "x"], b: {} }, '{"a": [1, "x"], "b": {}}'],
    [[], "[]"],
    [[{ k: true }, { k: null }], '[{"k": true}, {"k": null}]'],
    ["é", '"\\u00e9"'],
    ["🔑", '"\\ud83d\\udd11"'],
    ["\u007f", '"\\u007f"'],
    ["a\nb\t\u0001\"\\", '"a\\nb\\t\\u0001\\"\\\\"'],
    [32000000000, "32000000000"],
  ] as const)("%j", (value, expected) => {
    expect(pythonJsonDumps(value)).toBe(expected);
  });

  it("refuses non-integers rather than writing a float the CLI never would", () => {
    expect(() => pythonJsonDumps(1.5)).toThrow(RangeError);
  });
});
