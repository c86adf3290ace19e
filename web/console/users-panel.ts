/**
 * Users and devices: find a user by email, username or uid (the whole or its beginning), see their devices (name,
 * platform, where their pushes go, enrolled, last used, active or why not), their locks and recent challenges;
 * remove a device, reset their push devices (L8), unlock, issue backup codes (L15, shown once), send a test push.
 * Each action shows only when the session may do it (permissions.ts); the gateway audits who did it.
 */
import { byId as $, say } from "../shared/page.js";
import type { UserOverview, UserSummary } from "../shared/wire.js";
import { accountPath, backupCodesPath, resetPath, TEST_PATH, USERS_PATH } from "./paths.js";
import { can, showIfAllowed } from "./permissions.js";
import { api, explain, type Panel } from "./session.js";
import { cell, clearTable, fillTable, timeCell } from "./table.js";

const OUTCOME_WORDS: Record<string, string> = { approved: "Approved", denied: "Denied", notme: "Not me", expired: "Expired", cancelled: "Cancelled", pending: "No answer yet" };

const nameOf = (u: UserSummary) => u.Email ?? u.UserName ?? u.Uid;

export function usersPanel(onChanged: () => void): Panel {
  let current: UserOverview | null = null;
  const status = () => $("user-status");

  $<HTMLFormElement>("user-search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    void search($<HTMLInputElement>("user-q").value.trim());
  });

  async function search(q: string): Promise<void> {
    const found = $("user-search-status");
    if (!q) return say(found, "Type an email, username or uid.", "error");
    say(found, "Searching…");
    const res = await api("GET", `${USERS_PATH}?q=${encodeURIComponent(q)}`);
    if (!res.ok) return say(found, explain(res.body), "error");
    const users = (res.body as { Data: UserSummary[] }).Data;
    say(found, users.length ? `${users.length} user${users.length === 1 ? "" : "s"} found.` : "No user matches.");
    $("user-results").replaceChildren(
      ...users.map((u) => {
        const li = document.createElement("li");
        const open = document.createElement("button");
        open.type = "button";
        open.className = "secondary small";
        open.textContent = `Open ${nameOf(u)}`;
        open.addEventListener("click", () => void show(u.Uid));
        const detail = document.createElement("span");
        detail.className = "hint";
        detail.textContent = ` ${[u.UserName, u.Uid].filter(Boolean).join(" · ")}`;
        li.append(open, detail);
        return li;
      }),
    );
    if (users.length === 1) await show(users[0]!.Uid);
  }

  async function show(uid: string): Promise<void> {
    const res = await api("GET", `${accountPath(uid)}/overview`);
    if (!res.ok) return say(status(), explain(res.body), "error");
    current = res.body as UserOverview;
    draw(current);
  }

  function draw(u: UserOverview): void {
    $("user-detail").hidden = false;
    $("user-title").textContent = nameOf(u);
    $("user-ids").textContent = [u.UserName && `username ${u.UserName}`, u.PhoneId && `phone ${u.PhoneId}`, `uid ${u.Uid}`].filter(Boolean).join(" · ");
    const lock = u.Lock;
    const reasons = [
      ...(lock.NotMe ? [`"not me" reported: pushes locked for ${Math.ceil(lock.NotMe.SecondsLeft / 60)} more min`] : []),
      ...lock.WrongPasswords.map((w) => `too many wrong passwords with their ${w.Identifier}: locked for ${Math.ceil(w.SecondsLeft / 60)} more min`),
    ];
    const lockLine = $("user-lock");
    lockLine.textContent = lock.IsLocked ? `Locked: ${reasons.join("; ")}.` : "Not locked.";
    lockLine.className = lock.IsLocked ? "outcome-bad" : "";
    showIfAllowed($("user-unlock"), "user.unlock").hidden ||= !lock.IsLocked;
    showIfAllowed($("user-reset"), "devices.reset").hidden ||= u.Devices.length === 0;
    showIfAllowed($("user-backup"), "backupcodes.issue");
    showIfAllowed($("user-test"), "push.test").hidden ||= !u.Devices.some((d) => d.IsActive);

    fillTable(
      "user-devices",
      u.Devices.map((d) => {
        const tr = document.createElement("tr");
        tr.dataset.device = d.Id;
        const action = document.createElement("td");
        if (can("device.remove")) {
          const remove = document.createElement("button");
          remove.type = "button";
          remove.className = "small secondary";
          remove.textContent = "Remove";
          remove.setAttribute("aria-label", `Remove device ${d.Name}`);
          remove.addEventListener("click", () => void act(`Remove the device "${d.Name}" of ${nameOf(u)}?`, "DELETE", `${accountPath(u.Uid)}/devices/${encodeURIComponent(d.Id)}`, `Device "${d.Name}" removed.`));
          action.append(remove);
        }
        tr.append(
          cell(d.Name),
          cell(d.Platform === "ios" ? "iOS" : d.Platform === "android" ? "Android" : d.Platform),
          cell(d.Route),
          timeCell(d.CreatedDate),
          d.LastUsedDate ? timeCell(d.LastUsedDate) : cell("Never"),
          cell(d.IsActive ? "Active" : `Inactive: ${d.InactiveReason ?? ""}`, d.IsActive ? "outcome-ok" : "outcome-bad"),
          action,
        );
        return tr;
      }),
      "No push device.",
    );
    fillTable(
      "user-challenges",
      u.Challenges.map((c) => {
        const tr = document.createElement("tr");
        const outcome = `${OUTCOME_WORDS[c.Outcome] ?? c.Outcome}${c.IsTest ? " (test push)" : ""}`;
        tr.append(timeCell(c.Date), cell(outcome, c.Outcome === "approved" ? "outcome-ok" : c.Outcome === "pending" ? "" : "outcome-bad"), cell(c.Browser), cell(c.Location));
        return tr;
      }),
      "No recent challenge.",
    );
  }

  /** An action on the user shown, confirmed first; then the user and the audit are read again. */
  async function act(question: string, method: string, path: string, done: string, body?: unknown): Promise<boolean> {
    if (!window.confirm(question)) return false;
    const res = await api(method, path, body);
    say(status(), res.ok ? done : explain(res.body), res.ok ? "ok" : "error");
    if (current) await show(current.Uid);
    onChanged();
    return res.ok;
  }

  $("user-unlock").addEventListener("click", () => {
    if (current) void act(`Unlock ${nameOf(current)}?`, "DELETE", `${accountPath(current.Uid)}/lock`, "Unlocked.");
  });
  $("user-reset").addEventListener("click", () => {
    if (current) void act(`Remove every push device of ${nameOf(current)}? They will have to enroll again.`, "DELETE", resetPath(current.Uid), "Push devices reset: the user enrolls again at their next sign-in.");
  });
  $("user-test").addEventListener("click", () => {
    if (current) void act(`Send a test push to the devices of ${nameOf(current)}?`, "POST", TEST_PATH, "Test push sent.", { Uid: current.Uid });
  });
  $("user-backup").addEventListener("click", async () => {
    if (!current || !window.confirm(`Issue new backup codes to ${nameOf(current)}? Their old codes stop working.`)) return;
    const res = await api("GET", backupCodesPath(current.Uid));
    const codes = (res.body as { BackUpCodes?: string[] } | null)?.BackUpCodes;
    if (!res.ok || !codes) return say(status(), explain(res.body), "error");
    // Shown once: give them to the user now; they are not shown again (the gateway keeps only their hashes).
    $("backup-code-list").replaceChildren(...codes.map((c) => Object.assign(document.createElement("li"), { textContent: c })));
    $("backup-codes").hidden = false;
    say(status(), "New backup codes issued.", "ok");
    onChanged();
  });
  $("backup-hide").addEventListener("click", hideCodes);

  function hideCodes(): void {
    $("backup-code-list").replaceChildren();
    $("backup-codes").hidden = true;
  }

  return {
    open: () => {},
    close: () => {
      current = null;
      hideCodes();
      $("user-detail").hidden = true;
      $("user-results").replaceChildren();
      $<HTMLInputElement>("user-q").value = "";
      say($("user-search-status"), "");
      say(status(), "");
      clearTable("user-devices");
      clearTable("user-challenges");
    },
  };
}
