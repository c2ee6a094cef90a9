import { type ComponentChildren, createContext } from 'preact';
import { useLocation } from 'preact-iso';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Page, problemText, type User } from './api';
import { when } from './format';

/** The signed-in admin, for the pages that must know whether an action concerns themselves. */
export const Me = createContext<User | null>(null);

let focusPending = false;

/** Called on navigation: the next page heading to mount takes the focus. */
export function focusNextHeading(): void {
  focusPending = true;
}

/**
 * A page's heading; it names the tab, and after a navigation (focusNextHeading) it takes the focus,
 * so keyboard and screen-reader users start on the new page.
 */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const { url } = useLocation();
  useEffect(() => {
    document.title = `${title} · Identity console`;
  }, [title]);
  // on mount, and on a navigation that keeps the same page component (/console → /console/users)
  useEffect(() => {
    if (!focusPending) return;
    focusPending = false;
    ref.current?.focus();
  }, [url]);
  return (
    <h1 id="page-title" tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/** A failure as the admin reads it: the problem's detail, announced by screen readers. */
export function ErrorText({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Notice({ text }: { text: string | null }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {text ?? ''}
    </p>
  );
}

export function Time({ value }: { value: string | null | undefined }) {
  return value ? <time dateTime={value}>{when(value)}</time> : <span>–</span>;
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'neutral'; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/**
 * Asks before a destructive action, in a modal <dialog> (focus moves into it, Escape cancels, the
 * focus returns to the button that opened it). Resolves whether the admin confirmed.
 */
export function useConfirm(): [ComponentChildren, (message: string, action: string) => Promise<boolean>] {
  const ref = useRef<HTMLDialogElement>(null);
  const [ask, setAsk] = useState<{ message: string; action: string; resolve: (ok: boolean) => void } | null>(null);
  useEffect(() => {
    if (ask && ref.current && !ref.current.open) ref.current.showModal();
  }, [ask]);
  const close = (ok: boolean) => {
    ask?.resolve(ok);
    setAsk(null);
    ref.current?.close();
  };
  const dialog = (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-message" onCancel={() => close(false)}>
      <p id="confirm-message">{ask?.message}</p>
      <div class="actions">
        <button type="button" onClick={() => close(false)}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={() => close(true)}>
          {ask?.action}
        </button>
      </div>
    </dialog>
  );
  const confirm = useCallback((message: string, action: string) => new Promise<boolean>((resolve) => setAsk({ message, action, resolve })), []);
  return [dialog, confirm];
}

/**
 * Runs an action (confirmed first when it destroys something), with its outcome shown: the
 * problem detail on failure, a short notice on success, and a busy flag for the buttons.
 */
export function useAction() {
  const [dialog, confirm] = useConfirm();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (work: () => Promise<unknown>, done: string, ask?: { message: string; action: string }): Promise<boolean> => {
      if (ask && !(await confirm(ask.message, ask.action))) return false;
      setBusy(true);
      setError(null);
      setNotice(null);
      try {
        await work();
        setNotice(done);
        return true;
      } catch (err) {
        setError(problemText(err));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [confirm],
  );
  return { run, error, notice, busy, dialog };
}

/**
 * One keyset-paged listing: `load(cursor)` for the page, the cursors of the pages before it kept
 * for "Previous". A new `key` (the filters) starts again from the first page; what is shown is
 * always the answer for the current filters and cursor (never an earlier filter's rows or cursor).
 */
export function usePaged<T>(key: string, load: (cursor: string | undefined) => Promise<Page<T>>) {
  const [nav, setNav] = useState<{ key: string; stack: (string | undefined)[] }>({ key, stack: [undefined] });
  useEffect(() => setNav((n) => (n.key === key ? n : { key, stack: [undefined] })), [key]);
  const stack = nav.key === key ? nav.stack : [undefined];
  const cursor = stack[stack.length - 1];
  const wanted = `${key}\n${cursor ?? ''}`;
  const [result, setResult] = useState<{ for: string; page?: Page<T>; error?: string } | null>(null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    let live = true;
    loader.current(cursor).then(
      (page) => live && setResult({ for: wanted, page }),
      (err: unknown) => live && setResult({ for: wanted, error: problemText(err) }),
    );
    return () => {
      live = false;
    };
  }, [wanted, tick]);

  const current = result?.for === wanted ? result : null;
  const page = current?.page;
  return {
    items: page?.items ?? [],
    error: current?.error ?? null,
    loading: current === null,
    pageNumber: stack.length,
    hasNext: !!page?.next_cursor,
    hasPrevious: stack.length > 1,
    next: () => page?.next_cursor && setNav({ key, stack: [...stack, page.next_cursor] }),
    previous: () => stack.length > 1 && setNav({ key, stack: stack.slice(0, -1) }),
    reload: () => setTick((n) => n + 1),
  };
}

export function Pager({ paged, label }: { paged: ReturnType<typeof usePaged<unknown>>; label: string }) {
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={paged.previous} disabled={!paged.hasPrevious || paged.loading}>
        Previous
      </button>
      <span>Page {paged.pageNumber}</span>
      <button type="button" onClick={paged.next} disabled={!paged.hasNext || paged.loading}>
        Next
      </button>
    </nav>
  );
}

/** A table that scrolls sideways on a narrow screen instead of overflowing the page. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}

export function Empty({ loading, count, what }: { loading: boolean; count: number; what: string }) {
  if (loading && count === 0) return <p class="muted">Loading…</p>;
  if (count === 0) return <p class="muted">No {what}.</p>;
  return null;
}
