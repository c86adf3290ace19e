/** Rows for the console's tables, text only (nothing from the API is ever parsed as HTML). */
import { byId as $ } from "../shared/page.js";

/** A cell holding `text`. */
export function cell(text: string, className = ""): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** A cell with an ISO time in the reader's local format (the ISO form on hover). */
export function timeCell(iso: string | null): HTMLTableCellElement {
  const td = cell(iso ? new Date(iso).toLocaleString() : "");
  if (iso) td.title = iso;
  return td;
}

/** Put `rows` in the table's body, or one row saying `empty` across all of its header's columns. */
export function fillTable(id: string, rows: HTMLTableRowElement[], empty: string): void {
  const table = $<HTMLTableElement>(id);
  if (!rows.length) {
    const td = cell(empty, "empty");
    td.colSpan = table.tHead?.rows[0]?.cells.length ?? 1;
    const tr = document.createElement("tr");
    tr.append(td);
    rows.push(tr);
  }
  table.tBodies[0]!.replaceChildren(...rows);
}

/** Empty the table's body (signed out). */
export function clearTable(id: string): void {
  $<HTMLTableElement>(id).tBodies[0]!.replaceChildren();
}
