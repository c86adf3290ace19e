/**
 * The console page (/console), "Security → MFA → Push Notification": sign in with the app's apikey and apisecret
 * (kept in sessionStorage only, sent as headers on every call) or as a named admin (email, password and a push;
 * contract 2.14), edit the push settings of contract 1.5 with L10,
 * send a test push, watch the recent challenges and retry dead letters. One file per panel; this one wires them.
 */
import { deadLettersPanel } from "./dead-letters-panel.js";
import { devicesPanel } from "./devices-panel.js";
import { recentPanel } from "./recent-panel.js";
import { settingsPanel } from "./settings-panel.js";
import { signInPanel } from "./sign-in-panel.js";
import { testPushPanel } from "./test-push-panel.js";

const recent = recentPanel();
signInPanel([settingsPanel(), testPushPanel(() => void recent.refresh()), devicesPanel(), recent, deadLettersPanel()]);
