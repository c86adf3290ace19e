/**
 * Sign in and out: the apikey and apisecret form, checked by reading the app's push settings (L10), and the
 * sign-out button that leaves nothing of the app on the page.
 */
import { byId as $, say } from "../shared/page.js";
import type { PushSettings } from "../shared/wire.js";
import { SETTINGS_PATH } from "./paths.js";
import { forgetPermissions, loadPermissions } from "./permissions.js";
import { api, beginSession, explain, forgetCredentials, storedCredentials, useCredentials, type Panel } from "./session.js";

/** Wire the sign-in form and the sign-out button to `panels`, and sign in again with what this tab kept. */
export function signInPanel(panels: Panel[]): void {
  async function signIn(key: string, secret: string): Promise<void> {
    useCredentials({ key: key.trim(), secret });
    say($("message"), "Signing in…");
    const res = await api("GET", SETTINGS_PATH);
    if (!res.ok) {
      forgetCredentials(false);
      say($("message"), explain(res.body), "error");
      return;
    }
    await loadPermissions();
    $<HTMLInputElement>("apisecret").value = "";
    $("app-key").textContent = key.trim();
    const alive = beginSession();
    for (const panel of panels) panel.open(res.body as PushSettings, alive);
    $("signin-section").hidden = true;
    $("console").hidden = false;
    say($("message"), "");
  }

  function signOut(): void {
    forgetCredentials(true);
    forgetPermissions();
    for (const panel of panels) panel.close();
    $("console").hidden = true;
    $("signin-section").hidden = false;
    say($("message"), "Signed out.", "ok");
  }

  $<HTMLFormElement>("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    if (!form.reportValidity()) return;
    void signIn($<HTMLInputElement>("apikey").value, $<HTMLInputElement>("apisecret").value);
  });
  $("signout").addEventListener("click", signOut);

  const stored = storedCredentials();
  if (stored) {
    $<HTMLInputElement>("apikey").value = stored.key;
    void signIn(stored.key, stored.secret);
  }
}
