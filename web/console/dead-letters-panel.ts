/** Dead letters: the app's jobs that failed for good, polled while signed in, each with a Retry button. */
import { byId as $, say } from "../shared/page.js";
import type { DeadLetterRow } from "../shared/wire.js";
import { DEAD_LETTERS_PATH } from "./paths.js";
import { api, can, explain, pollWhile, type Panel } from "./session.js";
import { cell, clearTable, fillTable, timeCell } from "./table.js";

const EVERY_MS = 5000;

/** The dead letters table and its Refresh button. */
export function deadLettersPanel(): Panel {
  let last = "";

  /** Redraw when the list changed; `force` redraws anyway and reports a failure (a click asked for it). */
  async function refresh(force = false): Promise<void> {
    const res = await api("GET", `${DEAD_LETTERS_PATH}?count=100`);
    if (!res.ok) {
      if (force) say($("dead-status"), explain(res.body), "error");
      return;
    }
    const letters = (res.body as { Data?: DeadLetterRow[] }).Data ?? [];
    const snapshot = JSON.stringify(letters);
    if (snapshot === last && !force) return;
    last = snapshot;
    fillTable("dead-letters", letters.map(rowOf), "No dead letters.");
  }

  function rowOf(d: DeadLetterRow): HTMLTableRowElement {
    const tr = document.createElement("tr");
    tr.dataset.job = d.JobId;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "small retry";
    retry.textContent = "Retry";
    retry.setAttribute("aria-label", `Retry ${d.JobId}`);
    retry.addEventListener("click", () => void retryOne(d.JobId, retry));
    const action = document.createElement("td");
    // A role that may not retry gets no button (the server would refuse it).
    if (can("deadletter.retry")) action.append(retry);
    tr.append(
      cell(d.JobId, "id"),
      cell(d.Name),
      cell(d.FailedReason),
      cell(String(d.AttemptsMade)),
      timeCell(d.FailedDate),
      cell(d.ChallengeId ?? "", "id"),
      cell(d.DeviceId ?? "", "id"),
      action,
    );
    return tr;
  }

  async function retryOne(jobId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const res = await api("POST", `${DEAD_LETTERS_PATH}/${encodeURIComponent(jobId)}/retry`);
    say($("dead-status"), res.ok ? `Job ${jobId} re-queued.` : explain(res.body), res.ok ? "ok" : "error");
    await refresh(true);
  }

  $("dead-refresh").addEventListener("click", () => {
    say($("dead-status"), "");
    void refresh(true);
  });

  return {
    open: (_settings, alive) => void pollWhile(alive, EVERY_MS, () => refresh()),
    close: () => {
      clearTable("dead-letters");
      last = "";
    },
  };
}
