/**
 * What the page shows for the session's role (contract 2.14): the server refuses what a role may not do; the page
 * only leaves out the buttons and forms that would be refused. `null`: the app's own apikey + apisecret, its owner.
 */
import { byId as $ } from "../shared/page.js";
import type { AdminIdentity } from "./session.js";

/** Elements shown only to a session that may do their `data-needs` action. */
export function showRole(admin: AdminIdentity | null): void {
  const may = (action: string) => !admin || admin.Can.includes(action);
  for (const el of document.querySelectorAll<HTMLElement>("[data-needs]")) el.hidden = !may(el.dataset.needs ?? "");
  $("settings-readonly").hidden = may("settings.change");
}
