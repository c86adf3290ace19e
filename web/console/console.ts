/**
 * The console page (/console), "Security → MFA → Push Notification": sign in with the app's apikey and apisecret
 * (kept in sessionStorage only, sent as headers on every call), edit the push settings of contract 1.5 with L10,
 * send a test push, find users and act on their devices, read the dashboard and the audit, retry dead letters.
 * One file per panel; this one wires them.
 */
import { auditPanel } from "./audit-panel.js";
import { dashboardPanel } from "./dashboard-panel.js";
import { deadLettersPanel } from "./dead-letters-panel.js";
import { settingsPanel } from "./settings-panel.js";
import { signInPanel } from "./sign-in-panel.js";
import { testPushPanel } from "./test-push-panel.js";
import { usersPanel } from "./users-panel.js";

const audit = auditPanel();
const changed = () => void audit.refresh();
signInPanel([settingsPanel(), testPushPanel(changed), usersPanel(changed), dashboardPanel(), audit, deadLettersPanel()]);
