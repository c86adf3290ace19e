/**
 * What the page shows for the session's role (contract 2.14): the server refuses what a role may not do; the page
 * only leaves out the buttons and forms that would be refused. Asked of permissions.ts, which the gateway filled
 * for this session (the apikey + apisecret sign-in may do everything on its app).
 */
import { byId as $ } from "../shared/page.js";
import { can, type AdminAction } from "./permissions.js";

/** Show the elements marked `data-needs` only to a session that may do that action. */
export function showRole(): void {
  for (const el of document.querySelectorAll<HTMLElement>("[data-needs]")) el.hidden = !can((el.dataset.needs ?? "") as AdminAction);
  $("settings-readonly").hidden = can("settings.change");
}
