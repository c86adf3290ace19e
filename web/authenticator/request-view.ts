/**
 * One sign-in request as the app shows it: a region named "Sign-in request" with the app, its message, the
 * account, the browser, the place and the time, and the answers the app's number matching allows: Approve (or one
 * button per number with PickOne, or a Number field and Approve with Typed), Deny, and Not me.
 */
import type { PushData } from "../shared/wire.js";
import type { AnswerOutcome, Verdict } from "./gateway-calls.js";

export interface RequestFacts {
  appName: string;
  message: string;
  identifier: string;
  data: PushData;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** The request's region; `answer` sends the verdict and says how it went (the caller removes the region on success). */
export function requestView(facts: RequestFacts, answer: (v: Verdict) => Promise<AnswerOutcome>): HTMLElement {
  const d = facts.data;
  const region = el("section", undefined, "request");
  region.setAttribute("role", "region");
  region.setAttribute("aria-label", "Sign-in request");
  region.dataset.handle = d.secondfactorauthenticationtoken;

  region.append(el("h3", facts.appName, "app-name"));
  if (facts.message) region.append(el("p", facts.message, "message"));
  const facts_ = el("dl");
  const when = new Date(Number(d.timestamp) * 1000);
  const rows: Array<[string, string]> = [
    ["Account", d.identifier || facts.identifier],
    ["Browser", d.browser],
    ["Location", d.location],
    ["Time", Number.isFinite(when.getTime()) ? when.toLocaleString() : d.timestamp],
  ];
  for (const [k, v] of rows) facts_.append(el("dt", k), el("dd", v));
  region.append(facts_);

  const status = el("p", "", "outcome");
  status.setAttribute("role", "status");
  const buttons: HTMLButtonElement[] = [];
  const send = async (v: Verdict) => {
    for (const b of buttons) b.disabled = true;
    status.textContent = "Sending…";
    const outcome = await answer(v);
    status.textContent = outcome.text;
    status.classList.toggle("bad", !outcome.ok);
    if (!outcome.ok) for (const b of buttons) b.disabled = false;
  };
  const button = (label: string, cls: string, v: () => Verdict | null) => {
    const b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", () => {
      const verdict = v();
      if (verdict) void send(verdict);
    });
    buttons.push(b);
    return b;
  };

  const approvals = el("div", undefined, "row approvals");
  if (d.challenge === "typed") {
    const label = el("label", "Number");
    const input = el("input");
    input.inputMode = "numeric";
    input.autocomplete = "off";
    input.maxLength = 4;
    label.append(input);
    region.append(el("p", "Type the number shown on the sign-in page.", "hint"), label);
    approvals.append(
      button("Approve", "approve", () => {
        const number = input.value.trim();
        if (!/^\d{1,4}$/.test(number)) {
          status.textContent = "Type the number shown on the sign-in page first.";
          input.focus();
          return null;
        }
        return { verify: "Yes", number };
      }),
    );
  } else if (d.challenge) {
    region.append(el("p", "Tap the number shown on the sign-in page.", "hint"));
    for (const n of d.challenge.split(",")) approvals.append(button(n, "pick", () => ({ verify: "Yes", number: n })));
  } else {
    approvals.append(button("Approve", "approve", () => ({ verify: "Yes" })));
  }
  const refusals = el("div", undefined, "row refusals");
  refusals.append(button("Deny", "deny", () => ({ verify: "No" })), button("Not me", "fraud", () => ({ verify: "No", reason: "fraud" })));
  region.append(approvals, refusals, status);
  return region;
}
