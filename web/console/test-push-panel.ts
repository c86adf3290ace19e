/** "Send a test push": to every device of the user with this email, through the app's configured service. */
import { byId as $, say } from "../shared/page.js";
import { TEST_PATH } from "./paths.js";
import { api, explain, type Panel } from "./session.js";

/** The test push form; `onSent` is told when a push went out (the recent challenges then show it). */
export function testPushPanel(onSent: () => void): Panel {
  $<HTMLFormElement>("test-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = $("test-status");
    const email = $<HTMLInputElement>("test-email").value.trim();
    if (!email) {
      say(status, "Enter the email of a user with a push device.", "error");
      return;
    }
    say(status, "Sending…");
    const res = await api("POST", TEST_PATH, { Email: email });
    if (res.ok) {
      const n = (res.body as { Devices?: number }).Devices ?? 0;
      say(status, `Test push sent to ${n} device${n === 1 ? "" : "s"}.`, "ok");
      onSent();
    } else {
      say(status, explain(res.body), "error");
    }
  });
  return { open: () => {}, close: () => {} };
}
