/**
 * CSV (RFC 4180) for spreadsheets: every cell quoted when it holds a quote, comma or line break; a cell a
 * spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) is prefixed with ',
 * so an attacker-chosen device or user name cannot become a formula in the admin's spreadsheet.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvRow = (cells: unknown[]): string => cells.map(csvCell).join(",");

export const toCsv = (header: string[], rows: unknown[][]): string => [header, ...rows].map(csvRow).join("\r\n") + "\r\n";
