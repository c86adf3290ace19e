/**
 * Dead letters (jobs that failed for good, each with a Retry button) and the jobs still being retried (failed at
 * least once, waiting for their next attempt): a live list, refreshed like the audit.
 */
import { byId as $, say } from "../shared/page.js";
import type { DeadLetterRow, RetryingRow } from "../shared/wire.js";
import { DEAD_LETTERS_PATH } from "./paths.js";
import { can } from "./permissions.js";
import { api, explain, liveList, type Panel } from "./session.js";
import { cell, clearTable, fillTable, timeCell } from "./table.js";

interface Lists {
  Data: DeadLetterRow[];
  Retrying: RetryingRow[];
}

/** The dead letters and retrying tables, and their Refresh button. */
export function deadLettersPanel(): Panel {
  let forced = false;
  const list = liveList(
    async () => {
      const res = await api("GET", `${DEAD_LETTERS_PATH}?count=100`);
      if (!res.ok) {
        if (forced) say($("dead-status"), explain(res.body), "error");
        return null;
      }
      const body = res.body as Partial<Lists>;
      return { Data: body.Data ?? [], Retrying: body.Retrying ?? [] };
    },
    (lists) => {
      fillTable("dead-letters", lists.Data.map(rowOf), "No dead letters.");
      fillTable("retrying", lists.Retrying.map(retryingRowOf), "No job is being retried.");
    },
  );
  const refresh = async (force = false) => {
    forced = force;
    await list.refresh(force);
    forced = false;
  };

  function rowOf(d: DeadLetterRow): HTMLTableRowElement {
    const tr = document.createElement("tr");
    tr.dataset.job = d.JobId;
    const action = document.createElement("td");
    if (can("deadletter.retry")) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "small retry";
      retry.textContent = "Retry";
      retry.setAttribute("aria-label", `Retry ${d.JobId}`);
      retry.addEventListener("click", () => void retryOne(d.JobId, retry));
      action.append(retry);
    }
    tr.append(cell(d.JobId, "id"), cell(d.Name), cell(d.FailedReason), cell(String(d.AttemptsMade)), timeCell(d.FailedDate), cell(d.ChallengeId ?? "", "id"), cell(d.DeviceId ?? "", "id"), action);
    return tr;
  }

  function retryingRowOf(j: RetryingRow): HTMLTableRowElement {
    const tr = document.createElement("tr");
    tr.dataset.job = j.JobId;
    const next = j.NextAttemptDate ? timeCell(j.NextAttemptDate) : cell("As soon as a worker is free");
    tr.append(cell(j.JobId, "id"), cell(j.Name), cell(j.LastFailure), cell(`${j.AttemptsMade} of ${j.Attempts}`), next, cell(j.ChallengeId ?? "", "id"), cell(j.DeviceId ?? "", "id"));
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
    open: (_settings, alive) => list.start(alive),
    close: () => {
      clearTable("dead-letters");
      clearTable("retrying");
      list.reset();
    },
  };
}
