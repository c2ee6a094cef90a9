import { useEffect, useRef, useState } from 'preact/hooks';
import { client, problemText, type User } from './api';
import { ErrorText } from './ui';

type Step = { kind: 'password' } | { kind: 'second-factor'; mfaToken: string; methods: string[] };

/**
 * Sign-in with the admin's own account (cookie mode): email and password, then — for an account
 * with a second factor — an authenticator code or a recovery code.
 */
export function SignIn({ onSignedIn, initialError }: { onSignedIn: (user: User) => void; initialError?: string }) {
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [error, setError] = useState<string | null>(initialError ?? null);
  const [busy, setBusy] = useState(false);
  const [useRecovery, setUseRecovery] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Identity console';
    heading.current?.focus();
  }, [step.kind]);

  async function attempt(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  }

  const finish = async () => onSignedIn(await client.me());

  const submitPassword = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    return attempt(async () => {
      const result = await client.login({ email: String(form.get('email')), password: String(form.get('password')) });
      if (result.mfa_required) setStep({ kind: 'second-factor', mfaToken: result.challenge.mfa_token, methods: result.challenge.methods });
      else await finish();
    });
  };

  const submitCode = (e: Event) => {
    e.preventDefault();
    if (step.kind !== 'second-factor') return;
    const value = String(new FormData(e.currentTarget as HTMLFormElement).get('code')).trim();
    return attempt(async () => {
      await client.verifyMfa(useRecovery ? { mfa_token: step.mfaToken, recovery_code: value } : { mfa_token: step.mfaToken, code: value });
      await finish();
    });
  };

  return (
    <main class="narrow">
      <h1 id="page-title" tabIndex={-1} ref={heading}>
        {step.kind === 'password' ? 'Sign in to the identity console' : 'Second factor'}
      </h1>
      <ErrorText error={error} />
      {step.kind === 'password' ? (
        <form onSubmit={submitPassword} class="stack">
          <label>
            Email
            <input name="email" type="email" autoComplete="username" required />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      ) : (
        <form onSubmit={submitCode} class="stack">
          <label>
            {useRecovery ? 'Recovery code' : 'Code from your authenticator app'}
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode={useRecovery ? 'text' : 'numeric'}
              pattern={useRecovery ? undefined : '[0-9]{6}'}
              required
              key={useRecovery ? 'recovery' : 'totp'}
            />
          </label>
          <button type="submit" disabled={busy}>
            Verify
          </button>
          {step.methods.includes('recovery_code') && (
            <button type="button" class="link" onClick={() => setUseRecovery(!useRecovery)}>
              {useRecovery ? 'Use an authenticator code instead' : 'Use a recovery code instead'}
            </button>
          )}
          <button type="button" class="link" onClick={() => setStep({ kind: 'password' })}>
            Start again
          </button>
        </form>
      )}
    </main>
  );
}
