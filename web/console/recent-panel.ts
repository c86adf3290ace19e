/**
 * Recent challenges: the app's audit stream, newest first, each login with its outcome, polled while signed in
 * (redrawn only when it changed).
 */
import type { AuditEntry } from "../shared/wire.js";
import { AUDIT_PATH } from "./paths.js";
import { api, pollWhile, type Panel } from "./session.js";
import { cell, clearTable, fillTable, timeCell } from "./table.js";

const EVERY_MS = 2000;
const OUTCOMES: Record<string, string> = {
  "challenge.approved": "Approved",
  "challenge.denied": "Denied",
  "challenge.fraud_reported": "Fraud reported",
};

/** The recent challenges table; `refresh` redraws it now (after a test push). */
export function recentPanel(): Panel & { refresh(): Promise<void> } {
  let last = "";

  async function refresh(): Promise<void> {
    const res = await api("GET", `${AUDIT_PATH}?count=50`);
    if (!res.ok) return;
    const entries = (res.body as { Data?: AuditEntry[] }).Data ?? [];
    const snapshot = JSON.stringify(entries);
    if (snapshot === last) return;
    last = snapshot;
    // The outcome of a challenge is the answer event recorded after its login.started (newer entries come first).
    const outcome = new Map<string, string>();
    for (const e of entries) if (e.challenge && OUTCOMES[e.type] && !outcome.has(e.challenge)) outcome.set(e.challenge, OUTCOMES[e.type]!);
    const rows = entries.map((e) => {
      const tr = document.createElement("tr");
      tr.dataset.challenge = e.challenge ?? "";
      const result = e.type === "login.started" && e.challenge ? (outcome.get(e.challenge) ?? "No answer yet") : (OUTCOMES[e.type] ?? "");
      tr.append(
        timeCell(e.at),
        cell(e.type),
        cell(e.uid ?? "", "id"),
        cell(e.challenge ?? "", "id"),
        cell(result, result === "Approved" ? "outcome-ok" : result && result !== "No answer yet" ? "outcome-bad" : ""),
        cell(e.detail ?? ""),
      );
      return tr;
    });
    fillTable("recent", rows, "No events yet.");
  }

  return {
    refresh,
    open: (_settings, alive) => void pollWhile(alive, EVERY_MS, refresh),
    close: () => {
      clearTable("recent");
      last = "";
    },
  };
}
