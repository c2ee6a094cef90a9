import { useEffect, useRef, useState } from 'preact/hooks';
import { IdentityProblemError } from '@identity-backend/client';
import { api, type AuditEvent, call, problemText } from '../api';
import { AuditTable } from '../audit-table';
import { toCsv } from '../csv';
import { localToIso, opt } from '../format';
import { Empty, ErrorText, Notice, PageTitle, Pager, usePaged } from '../ui';

/**
 * The events the API records, offered as suggestions in the filter. A Record over the document's
 * AuditEventName enum: the console does not build when the API gains or drops an event until this
 * list follows.
 */
const EVENT_NAMES: Record<AuditEvent['event'], true> = {
  'user.registered': true,
  'user.profile_updated': true,
  'user.account_claimed': true,
  'auth.login': true,
  'auth.account_locked': true,
  'auth.logout': true,
  'auth.refresh_reused': true,
  'auth.reauthenticated': true,
  'session.revoked': true,
  'email.verification_sent': true,
  'email.verified': true,
  'password.reset_requested': true,
  'password.reset_completed': true,
  'password.changed': true,
  'oauth.login': true,
  'oauth.linked': true,
  'oauth.unlinked': true,
  'admin.user_updated': true,
  'admin.session_revoked': true,
  'admin.signing_key_rotated': true,
  'admin.webhook_changed': true,
  'mfa.enabled': true,
  'mfa.disabled': true,
  'mfa.challenge_failed': true,
  'mfa.recovery_code_used': true,
  'mfa.reset_by_admin': true,
  'passkey.added': true,
  'passkey.removed': true,
};
const KNOWN_EVENTS = Object.keys(EVENT_NAMES);

interface Filters {
  event?: string;
  actor_id?: string;
  target_user_id?: string;
  outcome?: 'success' | 'failure';
  from?: string;
  to?: string;
}

const PAGE = 100;
/** The export stops here (a very wide filter would otherwise page through the whole table in the browser). */
const EXPORT_LIMIT = 10_000;

const fetchPage = (filters: Filters, cursor: string | undefined, limit: number) =>
  call(api.GET('/api/v1/admin/audit-logs', { params: { query: { ...filters, limit, cursor } } }));

/** The filters as the form holds them now. */
function filtersOf(form: HTMLFormElement): Filters {
  const data = new FormData(form);
  const get = (name: string) => String(data.get(name) ?? '');
  return {
    event: opt(get('event')),
    actor_id: opt(get('actor_id')),
    target_user_id: opt(get('target_user_id')),
    outcome: opt(get('outcome')) as Filters['outcome'],
    from: localToIso(get('from')),
    to: localToIso(get('to')),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The audit trail: filter by event, actor, target, outcome and time; details per event; CSV of the filter. */
export function AuditPage() {
  const [filters, setFilters] = useState<Filters>({});
  const [exporting, setExporting] = useState(false);
  const [exportNote, setExportNote] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const paged = usePaged<AuditEvent>(JSON.stringify(filters), (cursor) => fetchPage(filters, cursor, 50));
  // an export still paging when the admin leaves the page stops (and downloads nothing)
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const apply = (e: Event) => {
    e.preventDefault();
    setFilters(filtersOf(e.currentTarget as HTMLFormElement));
  };

  /** One page for the export; a 429 waits as long as Retry-After says (a few times), then goes on. */
  const exportPage = async (f: Filters, cursor: string | undefined) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetchPage(f, cursor, PAGE);
      } catch (err) {
        if (!(err instanceof IdentityProblemError) || err.status !== 429 || attempt >= 5 || !mounted.current) throw err;
        const wait = Math.min(err.retry_after ?? 5, 60);
        setExportNote(`Rate limited: waiting ${wait} s before going on…`);
        await sleep(wait * 1000);
      }
    }
  };

  /** Exports what the form says now (and shows it): the filter being looked at is the one exported. */
  const exportCsv = async (e: Event) => {
    const f = filtersOf((e.currentTarget as HTMLButtonElement).form!);
    setFilters(f);
    setExporting(true);
    setExportError(null);
    setExportNote(null);
    try {
      const rows: AuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await exportPage(f, cursor);
        rows.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor && rows.length < EXPORT_LIMIT && mounted.current);
      if (!mounted.current) return;
      const kept = rows.slice(0, EXPORT_LIMIT);
      const csv = toCsv(
        ['created_at', 'event', 'outcome', 'actor_id', 'target_user_id', 'session_id', 'ip', 'user_agent', 'metadata', 'id'],
        kept.map((e) => [e.created_at, e.event, e.outcome, e.actor_id, e.target_user_id, e.session_id, e.ip, e.user_agent, e.metadata, e.id]),
      );
      download(csv, `audit-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`);
      setExportNote(cursor ? `Exported the newest ${kept.length} events; narrow the filter (time range) for the rest.` : `Exported ${kept.length} events.`);
    } catch (err) {
      if (mounted.current) setExportError(problemText(err));
    } finally {
      if (mounted.current) setExporting(false);
    }
  };

  return (
    <>
      <PageTitle title="Audit">Audit log</PageTitle>
      <form class="filters" aria-label="Filter the audit log" onSubmit={apply}>
        <label>
          Event
          <input name="event" list="known-events" spellcheck={false} />
          <datalist id="known-events">
            {KNOWN_EVENTS.map((e) => (
              <option key={e} value={e} />
            ))}
          </datalist>
        </label>
        <label>
          Actor id
          <input name="actor_id" spellcheck={false} />
        </label>
        <label>
          Target user id
          <input name="target_user_id" spellcheck={false} />
        </label>
        <label>
          Outcome
          <select name="outcome">
            <option value="">Any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
          </select>
        </label>
        <label>
          From
          <input name="from" type="datetime-local" />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" />
        </label>
        <button type="submit">Apply</button>
        <button type="button" onClick={exportCsv} disabled={exporting}>
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </form>
      <ErrorText error={exportError ?? paged.error} />
      <Notice text={exportNote} />
      <Empty loading={paged.loading} count={paged.items.length} what="events match" />
      {paged.items.length > 0 && <AuditTable items={paged.items} label="Audit events" />}
      <Pager paged={paged} label="Audit" />
    </>
  );
}

/** Saves text as a file through a temporary object URL (no navigation, nothing inline). */
function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
