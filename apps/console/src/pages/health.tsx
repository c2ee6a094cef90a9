import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { IdentityProblemError } from '@identity-backend/client';
import { api, type DetailedHealth, problemText, seen } from '../api';
import { Badge, ErrorText, PageTitle } from '../ui';

const REFRESH_MS = 5_000;
/** The API calls the outbox degraded when a pending mail is overdue by more than this (health lib). */
const OUTBOX_OVERDUE_S = 300;

type Tone = 'ok' | 'warn' | 'bad';

/**
 * GET /health/detailed, read every few seconds: 200 (healthy or degraded) or 503 (unhealthy), which
 * carries the same report rather than a problem document.
 */
async function readHealth(): Promise<DetailedHealth> {
  const { data, error, response } = await api.GET('/api/v1/health/detailed');
  if (data) return data;
  if (response.status === 503 && error && typeof error === 'object' && 'checks' in error) return error as unknown as DetailedHealth;
  throw seen(IdentityProblemError.fromResponse(response, error));
}

/** Detailed health of the node that answers, refreshed every 5 s, degraded parts highlighted. */
export function HealthPage() {
  const [report, setReport] = useState<DetailedHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [auto, setAuto] = useState(true);
  const [tick, setTick] = useState(0);

  // one request at a time: the next one is scheduled when the last answered, so a slow node is
  // not asked again before it answered, and no answer is thrown away
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const r = await readHealth();
        if (!live) return;
        setReport(r);
        setError(null);
        setUpdated(new Date());
      } catch (err) {
        if (live) setError(problemText(err));
      }
      if (live && auto) timer = setTimeout(poll, REFRESH_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick, auto]);

  const c = report?.checks;
  return (
    <>
      <PageTitle title="Health">Health</PageTitle>
      <div class="toolbar">
        <label class="inline">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto((e.currentTarget as HTMLInputElement).checked)} />
          Refresh every {REFRESH_MS / 1000} s
        </label>
        <button type="button" onClick={() => setTick((n) => n + 1)}>
          Refresh now
        </button>
        <span class="muted" aria-live="off">
          {updated ? `Updated ${updated.toLocaleTimeString()}` : 'Loading…'}
        </span>
      </div>
      <ErrorText error={error} />
      {report && c && (
        <>
          {error && updated && <p class="muted">The report below is from {updated.toLocaleTimeString()}: the last refresh failed.</p>}
          <p class={`overall overall-${report.status}${error ? ' stale' : ''}`}>
            {/* announced when the status changes, not on every refresh */}
            <span role="status">
              Overall: <strong data-testid="health-status">{report.status}</strong>
            </span>
            <span class="muted">
              {' '}
              · version {report.version} · {report.environment} · up {formatDuration(report.uptime_s)}
            </span>
          </p>
          <div class="cards">
            <Card title="Database" tone={c.database.status === 'up' ? (c.database.migrations.pending ? 'warn' : 'ok') : 'bad'}>
              <Fact label="Status" value={c.database.status} bad={c.database.status !== 'up'} />
              <Fact label="Latency" value={ms(c.database.latency_ms)} />
              <Fact
                label="Pool (total / idle / waiting)"
                value={`${c.database.pool.total} / ${c.database.pool.idle} / ${c.database.pool.waiting}`}
                bad={c.database.pool.waiting > 0}
              />
              <Fact label="Migrations applied" value={num(c.database.migrations.applied)} />
              <Fact label="Migrations pending" value={num(c.database.migrations.pending)} bad={!!c.database.migrations.pending} />
            </Card>
            <Card title="Redis" tone={c.redis.status === 'up' ? 'ok' : 'warn'}>
              <Fact label="Status" value={c.redis.status} bad={c.redis.status !== 'up'} />
              <Fact label="Mode" value={c.redis.mode} />
              <Fact label="Latency" value={ms(c.redis.latency_ms)} />
            </Card>
            <Card title="Email outbox" tone={c.email.status === 'up' ? 'ok' : c.email.status === 'degraded' ? 'warn' : 'bad'}>
              <Fact label="Status" value={c.email.status} bad={c.email.status !== 'up'} />
              <Fact label="Provider" value={c.email.provider} />
              <Fact label="Pending" value={num(c.email.outbox.pending)} />
              <Fact label="Failed" value={num(c.email.outbox.failed)} bad={!!c.email.outbox.failed} />
              <Fact
                label="Oldest pending"
                value={c.email.outbox.oldest_pending_age_s === null ? '–' : formatDuration(c.email.outbox.oldest_pending_age_s)}
                bad={(c.email.outbox.oldest_pending_age_s ?? 0) > OUTBOX_OVERDUE_S}
              />
            </Card>
            <Card title="Process" tone={c.event_loop.lag_ms > 100 ? 'warn' : 'ok'}>
              <Fact label="Event-loop lag" value={ms(c.event_loop.lag_ms)} bad={c.event_loop.lag_ms > 100} />
              <Fact label="Resident memory" value={`${c.memory.rss_mb} MB`} />
              <Fact label="Heap used" value={`${c.memory.heap_used_mb} MB`} />
            </Card>
          </div>
        </>
      )}
    </>
  );
}

function Card({ title, tone, children }: { title: string; tone: Tone; children: ComponentChildren }) {
  const label = tone === 'ok' ? 'ok' : tone === 'warn' ? 'degraded' : 'down';
  return (
    <section class={`card card-${tone}`} aria-labelledby={`card-${slug(title)}`}>
      <h2 id={`card-${slug(title)}`}>
        {title} <Badge tone={tone}>{label}</Badge>
      </h2>
      <dl class="facts">{children}</dl>
    </section>
  );
}

function Fact({ label, value, bad = false }: { label: string; value: string; bad?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd class={bad ? 'flag' : undefined}>{value}</dd>
    </>
  );
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v * 10) / 10} ms`);
const num = (v: number | null) => (v === null ? '–' : String(v));

function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
