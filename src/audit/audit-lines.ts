import type { Services } from "../services.js";
import type { AuditEntry, AuditEventType } from "./audit-log.js";
import { challengeTitle, eventText, outcomeOf, type LineOutcome } from "./audit-text.js";

/**
 * The audit as people read it: one line per challenge (its events grouped, with its outcome) or per other event,
 * users named by email or username, filtered, and paged back through the stream with a cursor (XREVRANGE).
 *
 * Grouping across pages: a challenge's first event is its `login.started`, so reading newest first, its later
 * events come before it. A page ends only where no challenge is left half-read, so the next page (older than the
 * cursor) holds whole challenges only.
 */

export interface LineFilter {
  uid?: string | undefined;
  type?: AuditEventType | undefined;
  outcome?: LineOutcome | undefined;
  /** Epoch ms, inclusive. */
  from?: number | undefined;
  to?: number | undefined;
}

export interface AuditLine {
  Id: string;
  Date: string;
  Kind: "challenge" | "event";
  Title: string;
  Uid: string | null;
  User: string | null;
  Challenge: string | null;
  Outcome: LineOutcome | null;
  IsTest: boolean;
  By: string | null;
  Events: Array<{ Id: string; Date: string; Type: string; Text: string }>;
}

export interface LinePage {
  lines: AuditLine[];
  /** Where the next (older) page starts; null at the end of the stream or of the time range. */
  next: string | null;
}

const BATCH = 200;
/** Events read at most for one page (filters that match little still answer, with a cursor to go on). */
export const MAX_SCAN = 5000;

const msOf = (id: string) => Number(id.split("-")[0]);

export async function readLines(deps: Pick<Services, "audit" | "accounts">, appId: string, filter: LineFilter, o: { count: number; before?: string | undefined; maxScan?: number }): Promise<LinePage> {
  const lines: AuditLine[] = [];
  const open = new Map<string, AuditEntry[]>();
  let cursor = o.before ?? (filter.to !== undefined ? `${filter.to + 1}-0` : undefined);
  let scanned = 0;
  let next: string | null = null;
  const names = new Map<string, Promise<string | null>>();
  const nameOf = (uid: string) => {
    let n = names.get(uid);
    if (!n) names.set(uid, (n = deps.accounts.get(appId, uid).then((a) => (a ? (a.profile.Email[0]?.Value ?? a.profile.UserName ?? null) : null))));
    return n;
  };
  const emit = (events: AuditEntry[]) => {
    const line = lineOf(events);
    if (matches(line, events, filter)) lines.push(line);
  };

  reading: for (;;) {
    const batch = await deps.audit.list(appId, { count: BATCH, ...(cursor && { before: cursor }) });
    if (!batch.length) break;
    for (const e of batch) {
      if (filter.from !== undefined && msOf(e.id) < filter.from) break reading;
      cursor = e.id;
      scanned += 1;
      if (e.challenge) {
        const group = open.get(e.challenge) ?? [];
        group.push(e);
        open.set(e.challenge, group);
        if (e.type === "login.started") {
          open.delete(e.challenge);
          emit(group);
        }
      } else {
        emit([e]);
      }
      if (open.size === 0 && lines.length >= o.count) {
        next = cursor;
        break reading;
      }
      if (scanned >= (o.maxScan ?? MAX_SCAN)) {
        next = cursor;
        break reading;
      }
    }
    if (batch.length < BATCH) break;
  }
  // Challenges whose start is older than the stream keeps (or than the page's last read): shown as they are.
  for (const group of open.values()) emit(group);
  lines.sort((a, b) => b.Id.localeCompare(a.Id, "en", { numeric: true }));
  await Promise.all(lines.map(async (l) => (l.User = l.Uid ? await nameOf(l.Uid) : null)));
  return { lines, next };
}

/** One line from its events (newest first). */
function lineOf(events: AuditEntry[]): AuditLine {
  const first = events.at(-1)!;
  const isChallenge = !!first.challenge;
  const test = events.some((e) => e.test === "1");
  const outcome = isChallenge ? outcomeOf(events) : null;
  const by = events.find((e) => e.by)?.by ?? null;
  return {
    Id: first.id,
    Date: first.at,
    Kind: isChallenge ? "challenge" : "event",
    Title: outcome ? challengeTitle(outcome, test) : eventText(first),
    Uid: first.uid ?? events.find((e) => e.uid)?.uid ?? null,
    User: null,
    Challenge: first.challenge ?? null,
    Outcome: outcome,
    IsTest: test,
    By: by,
    Events: [...events].reverse().map((e) => ({ Id: e.id, Date: e.at, Type: e.type, Text: eventText(e) })),
  };
}

function matches(line: AuditLine, events: AuditEntry[], f: LineFilter): boolean {
  if (f.uid && line.Uid !== f.uid) return false;
  if (f.type && !events.some((e) => e.type === f.type)) return false;
  if (f.outcome && line.Outcome !== f.outcome) return false;
  const at = msOf(line.Id);
  if (f.from !== undefined && at < f.from) return false;
  if (f.to !== undefined && at > f.to) return false;
  return true;
}
