import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorBody, httpStatusOf, type ErrorCode } from "../src/errors.js";
import { defaultRateLimits } from "../src/rate-limits.js";

/**
 * docs/CONTRACT-COVERAGE.md cannot go stale silently: every error code of the product, every named rate limit and
 * every part of the contract has a row; every test a row names exists, in the file it names; every row names a
 * test or the issue that will build what it describes.
 */

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const doc = read("docs/CONTRACT-COVERAGE.md");

/** Every part of the contract as it stands: its endpoints, its sections, and the error codes of its section 3. */
const CONTRACT_PARTS = [
  ...Array.from({ length: 17 }, (_, i) => `L${i + 1}`),
  "1.1", "1.2", "1.3", "1.4", "1.5", "1.6",
  ...Array.from({ length: 14 }, (_, i) => `2.${i + 1}`),
];
const CONTRACT_ERROR_CODES = [
  901, 902, 905, 906, 908, 920, 922, 923, 936, 938, 950, 965, 966, 1060, 1066, 1103, 1104, 1198, 1295, 1296, 1297, 1298,
  1299, 1311, 1312, 1313, 429, 405,
];

interface Row {
  /** The `##` or `###` heading the table sits under. */
  section: string;
  cells: string[];
}

/** Table rows (not headers or separators), cells trimmed, `\|` read as a pipe. */
function tableRows(markdown: string): Row[] {
  const rows: Row[] = [];
  let section = "";
  const lines = markdown.split("\n");
  lines.forEach((line, i) => {
    if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
    if (!line.startsWith("|")) return;
    const isSeparator = /^\|[-|\s]+\|$/.test(line);
    const isHeader = /^\|[-|\s]+\|$/.test(lines[i + 1] ?? "");
    if (isSeparator || isHeader) return;
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
    rows.push({ section, cells });
  });
  return rows;
}

interface TestRef {
  file: string;
  name: string;
}

/** The tests a row's last cell names: `` `file` › name ``, several separated by `<br>`. */
const testRefs = (cell: string): TestRef[] =>
  cell.split("<br>").flatMap((part) => {
    const m = /^`([\w./-]+\.ts)` › (.+)$/.exec(part.trim());
    return m ? [{ file: m[1]!, name: m[2]! }] : [];
  });

const NOT_BUILT = /^not built yet \(issue \d+\)$/;
const rows = tableRows(doc);
const lastCell = (row: Row) => row.cells.at(-1) ?? "";

/** The codes of the error table in src/errors.ts, read from its source: the type alone cannot be listed. */
const productErrorCodes = (): ErrorCode[] =>
  [...read("src/errors.ts").matchAll(/^\s+(\d{3,4}): \{ status:/gm)].map((m) => Number(m[1]) as ErrorCode);

describe("docs/CONTRACT-COVERAGE.md", () => {
  it("every row names a test, or the issue that will build what it describes", () => {
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) {
      const cell = lastCell(row);
      const ok = NOT_BUILT.test(cell) || (testRefs(cell).length > 0 && testRefs(cell).length === cell.split("<br>").length);
      expect(ok, `${row.section}: ${row.cells.join(" | ")}`).toBe(true);
    }
  });

  it("every test the table names exists, in the file it names", () => {
    const refs = rows.flatMap((row) => testRefs(lastCell(row)));
    expect(refs.length).toBeGreaterThan(50);
    for (const { file, name } of refs) {
      const path = `test/${file}`;
      expect(existsSync(new URL(path, root)), `${path} exists`).toBe(true);
      const source = read(path);
      const named = [`("${name}"`, `('${name}'`, `(\`${name}\``].some((call) => source.includes(call));
      expect(named, `${path} has a test named "${name}"`).toBe(true);
    }
  });

  it("every error code of src/errors.ts has a row with its HTTP status and message, and so has every code of the contract", () => {
    const codes = rows.filter((r) => r.section === "3. Error codes");
    const byCode = new Map(codes.map((r) => [Number(r.cells[0]), r]));
    const product = productErrorCodes();
    expect(product.length).toBeGreaterThan(20);
    for (const code of product) {
      const row = byCode.get(code);
      expect(row, `a row for ${code}`).toBeDefined();
      expect(Number(row!.cells[1]), `HTTP status of ${code}`).toBe(httpStatusOf(code));
      expect(row!.cells[2], `message of ${code}`).toBe(errorBody(code).Message);
    }
    for (const code of CONTRACT_ERROR_CODES) expect(byCode.has(code), `a row for the contract's ${code}`).toBe(true);
    // A code the product does not have yet can only be future work.
    for (const [code, row] of byCode) {
      if (!product.includes(code as ErrorCode)) expect(lastCell(row), `${code} is not in src/errors.ts`).toMatch(NOT_BUILT);
    }
  });

  it("every named rate limit of src/rate-limits.ts has a row with a test", () => {
    const limits = rows.filter((r) => r.section === "Rate limits");
    for (const name of Object.keys(defaultRateLimits)) {
      const row = limits.find((r) => r.cells[0] === `\`${name}\``);
      expect(row, `a row for ${name}`).toBeDefined();
      expect(testRefs(lastCell(row!)).length, `a test for ${name}`).toBeGreaterThan(0);
    }
  });

  it("every endpoint and section of the contract has a row", () => {
    const named = new Set(rows.map((r) => r.cells[0]));
    for (const part of CONTRACT_PARTS) expect(named.has(part), `a row for ${part}`).toBe(true);
  });

  it("names no file outside the repository", () => {
    expect(doc).not.toMatch(/\.\.\/shared|\/work\//);
  });
});
