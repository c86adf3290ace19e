/**
 * The audit as people read it: one line per sign-in (its events grouped, its outcome), users by email or username,
 * events in words; filters (user, type, outcome, time range); paging back through the stream with the gateway's
 * cursor; CSV export. The newest page is a live list (refreshed like the dead letters); older pages stay still.
 */
import { byId as $, say } from "../shared/page.js";
import type { AuditLine } from "../shared/wire.js";
import { AUDIT_EXPORT_PATH, AUDIT_LINES_PATH } from "./paths.js";
import { can } from "./permissions.js";
import { api, apiDownload, explain, liveList, type Panel } from "./session.js";
import { cell, clearTable, fillTable, timeCell } from "./table.js";

const PAGE = 25;
const OUTCOME_WORDS: Record<string, string> = { approved: "Approved", backupcode: "Backup code", denied: "Denied", notme: "Not me", expired: "Expired", cancelled: "Cancelled", failed: "Not delivered", pending: "No answer yet" };

interface Page {
  lines: AuditLine[];
  next: string | null;
}

export function auditPanel(): Panel & { refresh(): Promise<void> } {
  /** The cursors of the pages shown before this one (empty: the newest page). */
  let cursors: string[] = [];
  let shown: Page = { lines: [], next: null };

  function filterQuery(): URLSearchParams {
    const q = new URLSearchParams();
    const user = $<HTMLInputElement>("audit-user").value.trim();
    if (user) q.set("user", user);
    for (const [id, name] of [["audit-type", "type"], ["audit-outcome", "outcome"]] as const) {
      const v = $<HTMLSelectElement>(id).value;
      if (v) q.set(name, v);
    }
    for (const [id, name] of [["audit-from", "from"], ["audit-to", "to"]] as const) {
      const v = $<HTMLInputElement>(id).value;
      // datetime-local is the reader's local time: sent as an instant.
      if (v) q.set(name, new Date(v).toISOString());
    }
    return q;
  }

  async function load(before?: string): Promise<Page | null> {
    const q = filterQuery();
    q.set("count", String(PAGE));
    if (before) q.set("before", before);
    const res = await api("GET", `${AUDIT_LINES_PATH}?${q}`);
    if (!res.ok) {
      say($("audit-status"), explain(res.body), "error");
      return null;
    }
    const body = res.body as { Data: AuditLine[]; Next: string | null };
    return { lines: body.Data, next: body.Next };
  }

  const newest = liveList(
    () => (cursors.length ? Promise.resolve(null) : load()),
    (page) => draw(page),
  );

  function draw(page: Page): void {
    shown = page;
    fillTable("audit", page.lines.map(rowOf), "No events match.");
    $<HTMLButtonElement>("audit-older").disabled = !page.next;
    $<HTMLButtonElement>("audit-newer").disabled = cursors.length === 0;
    $("audit-page").textContent = cursors.length ? `Page ${cursors.length + 1} (older events)` : "Newest events, refreshed every 2 seconds";
  }

  function rowOf(l: AuditLine): HTMLTableRowElement {
    const tr = document.createElement("tr");
    tr.dataset.line = l.Id;
    if (l.Challenge) tr.dataset.challenge = l.Challenge;
    const what = `${l.Title}${l.By ? ` (by ${l.By})` : ""}`;
    const outcome = l.Outcome ? (OUTCOME_WORDS[l.Outcome] ?? l.Outcome) : "";
    const user = cell(l.User ?? l.Uid ?? "");
    if (l.User && l.Uid) user.title = l.Uid;
    const details = document.createElement("td");
    const list = document.createElement("ol");
    list.className = "events";
    for (const e of l.Events) {
      const li = document.createElement("li");
      li.textContent = `${new Date(e.Date).toLocaleTimeString()} ${e.Text}`;
      li.title = e.Type;
      list.append(li);
    }
    // An event on its own is said in full by its title; a sign-in lists its events.
    if (l.Kind === "challenge") details.append(list);
    const test = l.IsTest ? document.createElement("span") : null;
    if (test) {
      test.className = "badge";
      test.textContent = "Test";
    }
    const whatCell = cell(what);
    if (test) whatCell.prepend(test, " ");
    tr.append(timeCell(l.Date), user, whatCell, cell(outcome, l.Outcome === "approved" ? "outcome-ok" : l.Outcome && l.Outcome !== "pending" ? "outcome-bad" : ""), details);
    return tr;
  }

  async function goTo(list: string[]): Promise<void> {
    const before = list.at(-1);
    const page = await load(before);
    if (!page) return;
    cursors = list;
    say($("audit-status"), "");
    if (list.length === 0) newest.reset();
    draw(page);
  }

  $<HTMLFormElement>("audit-filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    void goTo([]);
  });
  $("audit-clear").addEventListener("click", () => {
    $<HTMLFormElement>("audit-filters").reset();
    void goTo([]);
  });
  $("audit-older").addEventListener("click", () => {
    if (shown.next) void goTo([...cursors, shown.next]);
  });
  $("audit-newer").addEventListener("click", () => void goTo(cursors.slice(0, -1)));
  $("audit-export").addEventListener("click", async () => {
    say($("audit-status"), "Preparing the CSV…");
    const got = await apiDownload(`${AUDIT_EXPORT_PATH}?${filterQuery()}`);
    if ("error" in got) return say($("audit-status"), explain(got.error), "error");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(got.blob);
    a.download = got.filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    say($("audit-status"), `Exported ${got.filename}.`, "ok");
  });

  return {
    refresh: () => (cursors.length ? Promise.resolve() : newest.refresh()),
    open: (_settings, alive) => {
      $("audit-export").hidden = !can("audit.export");
      newest.start(alive);
    },
    close: () => {
      cursors = [];
      newest.reset();
      clearTable("audit");
      $<HTMLFormElement>("audit-filters").reset();
    },
  };
}
