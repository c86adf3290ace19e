/**
 * A user's push devices, found by their uid, and "Remove all devices" (L8) for a session whose role may (the
 * button is left out otherwise; the server refuses it anyway).
 */
import { byId as $, say } from "../shared/page.js";
import { api, can, explain, type Panel } from "./session.js";
import { cell, clearTable, fillTable, timeCell } from "./table.js";

interface DeviceRow {
  Id: string;
  Name: string;
  Type: string;
  IsActive: boolean;
  CreatedDate: string;
}

const UID = /^[0-9a-f]{32}$/i;

export function devicesPanel(): Panel {
  const status = () => $("devices-status");
  const uid = () => $<HTMLInputElement>("devices-uid").value.trim().toLowerCase();

  async function show(): Promise<void> {
    if (!UID.test(uid())) {
      say(status(), "Enter the user's Uid (32 hexadecimal digits).", "error");
      return;
    }
    const res = await api("GET", `/v2/manage/account/${uid()}/push/devices`);
    if (!res.ok) {
      clearTable("user-devices");
      say(status(), explain(res.body), "error");
      return;
    }
    const devices = (res.body as { Data?: DeviceRow[] }).Data ?? [];
    say(status(), "");
    fillTable(
      "user-devices",
      devices.map((d) => {
        const tr = document.createElement("tr");
        tr.append(cell(d.Id, "id"), cell(d.Name), cell(d.Type), cell(d.IsActive ? "yes" : "no"), timeCell(d.CreatedDate));
        return tr;
      }),
      "No push device.",
    );
  }

  async function removeAll(): Promise<void> {
    if (!can("devices.reset") || !UID.test(uid())) return;
    const res = await api("DELETE", `/identity/v2/manage/account/2fa/authenticator/push/${uid()}`);
    say(status(), res.ok ? "Every push device of the user was removed." : explain(res.body), res.ok ? "ok" : "error");
    if (res.ok) await show();
  }

  $<HTMLFormElement>("devices-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    void show();
  });
  $("devices-remove").addEventListener("click", () => void removeAll());
  return {
    open: () => {},
    close: () => {
      clearTable("user-devices");
      $<HTMLInputElement>("devices-uid").value = "";
      say(status(), "");
    },
  };
}
