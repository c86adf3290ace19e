/**
 * Sign in and out: the apikey and apisecret form, checked by reading the app's push settings (L10); the named
 * admin's email and password form (contract 2.14: a push login on the gateway's admin app, then a session cookie),
 * with the app picker of the apps they were given; and the sign-out button that leaves nothing of the app on the
 * page.
 */
import { byId as $, say } from "../shared/page.js";
import type { PushSettings } from "../shared/wire.js";
import { SETTINGS_PATH } from "./paths.js";
import { api, beginSession, explain, forgetCredentials, storedCredentials, useCredentials, type AdminIdentity, type Credentials, type Panel } from "./session.js";
import { adminSignIn, currentAdmin, signOutAdmin } from "./admin-sign-in.js";
import { showRole } from "./role-view.js";
import { forgetPermissions, loadPermissions } from "./permissions.js";

const PICKED = "pmg.console.app";

/** Wire the sign-in forms and the sign-out button to `panels`, and sign in again with what this tab kept. */
export function signInPanel(panels: Panel[]): void {
  let admin: AdminIdentity | null = null;

  /** Open the app of these credentials: its settings first (they check the credentials), then every panel. */
  async function open(c: Credentials, shownKey: string): Promise<boolean> {
    useCredentials(c);
    say($("message"), "Signing in…");
    const res = await api("GET", SETTINGS_PATH);
    if (!res.ok) {
      forgetCredentials(false);
      say($("message"), explain(res.body), "error");
      return false;
    }
    await loadPermissions();
    $("app-key").textContent = shownKey;
    const alive = beginSession();
    for (const panel of panels) panel.open(res.body as PushSettings, alive);
    showRole();
    $("signin-section").hidden = true;
    $("console").hidden = false;
    say($("message"), "");
    return true;
  }

  async function signInWithSecret(key: string, secret: string): Promise<void> {
    if (await open({ key: key.trim(), secret }, key.trim())) $<HTMLInputElement>("apisecret").value = "";
  }

  /** A named admin is signed in: show their apps, open the one picked before (or the first). */
  async function enterAsAdmin(me: AdminIdentity): Promise<void> {
    admin = me;
    const picker = $<HTMLSelectElement>("app-picker");
    picker.replaceChildren(...me.Apps.map((a) => new Option(`${a.Name} (${a.ApiKey})`, a.ApiKey)));
    $("admin-row").hidden = false;
    $("admin-email").textContent = me.Email;
    $("admin-role").textContent = me.Role;
    if (!me.Apps.length) {
      $("signin-section").hidden = true;
      $("console").hidden = false;
      showRole();
      say($("message"), "You were given no app yet: ask an owner (admin CLI: admins set-apps).", "error");
      return;
    }
    const kept = sessionStorage.getItem(PICKED);
    picker.value = me.Apps.some((a) => a.ApiKey === kept) ? (kept ?? "") : me.Apps[0]!.ApiKey;
    await open({ key: picker.value, admin: me }, picker.value);
  }

  function leave(text: string): void {
    forgetCredentials(true);
    admin = null;
    sessionStorage.removeItem(PICKED);
    forgetPermissions();
    for (const panel of panels) panel.close();
    showRole();
    $("admin-row").hidden = true;
    $("console").hidden = true;
    $("signin-section").hidden = false;
    say($("message"), text, "ok");
  }

  $<HTMLFormElement>("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    void signInWithSecret($<HTMLInputElement>("apikey").value, $<HTMLInputElement>("apisecret").value);
  });
  $<HTMLFormElement>("admin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    const password = $<HTMLInputElement>("admin-password");
    void adminSignIn($<HTMLInputElement>("admin-email-input").value.trim(), password.value).then((me) => {
      password.value = "";
      if (me) void enterAsAdmin(me);
    });
  });
  $<HTMLSelectElement>("app-picker").addEventListener("change", (ev) => {
    if (!admin) return;
    const key = (ev.currentTarget as HTMLSelectElement).value;
    sessionStorage.setItem(PICKED, key);
    forgetCredentials(true);
    for (const panel of panels) panel.close();
    void open({ key, admin }, key);
  });
  $("signout").addEventListener("click", () => {
    if (admin) void signOutAdmin().then(() => leave("Signed out."));
    else leave("Signed out.");
  });

  // Back on the page: an admin's session cookie (the server says whose), else this tab's apikey and apisecret.
  void currentAdmin().then((me) => {
    if (me) return enterAsAdmin(me);
    const stored = storedCredentials();
    if (stored) {
      $<HTMLInputElement>("apikey").value = stored.key;
      return signInWithSecret(stored.key, stored.secret);
    }
    return undefined;
  });
}
