import { type PublicKeyCredentialRequestOptionsJSON, startAuthentication } from '@simplewebauthn/browser';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, client, problemText, type User } from './api';
import { ErrorText } from './ui';

type Step = { kind: 'password' } | { kind: 'second-factor'; mfaToken: string; methods: string[] };

/** The browser's passkey prompt for options the API made (WebAuthn, via @simplewebauthn/browser). */
function assertion(options: unknown) {
  return startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON });
}

/** Whether this browser can use passkeys at all (a secure context with WebAuthn). */
const passkeysAvailable = typeof window.PublicKeyCredential === 'function';

/**
 * Sign-in with the admin's own account (cookie mode): email and password, then — for an account
 * with a second factor — an authenticator code, a recovery code or a passkey; or a passkey alone.
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
      if (result.mfa_required) {
        setUseRecovery(!result.challenge.methods.includes('totp'));
        setStep({ kind: 'second-factor', mfaToken: result.challenge.mfa_token, methods: result.challenge.methods });
      } else await finish();
    });
  };

  /** Passwordless: a discoverable passkey of this site (POST /auth/passkeys/login/options, then verify). */
  const passkeySignIn = () =>
    attempt(async () => {
      const { challenge_id, options } = await call(api.POST('/api/v1/auth/passkeys/login/options', { body: {} }));
      const response = await assertion(options);
      await client.signInWithPasskey({ challenge_id, response: response as never });
      await finish();
    });

  /** A passkey as the second factor of a password sign-in. */
  const passkeySecondFactor = () => {
    if (step.kind !== 'second-factor') return;
    return attempt(async () => {
      const options = await call(api.POST('/api/v1/auth/mfa/webauthn/options', { body: { mfa_token: step.mfaToken } }));
      const response = await assertion(options);
      await client.verifyMfa({ mfa_token: step.mfaToken, webauthn: response as never });
      await finish();
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

  const hasCodes = step.kind === 'second-factor' && (step.methods.includes('totp') || step.methods.includes('recovery_code'));
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
          {passkeysAvailable && (
            <button type="button" onClick={passkeySignIn} disabled={busy}>
              Sign in with a passkey
            </button>
          )}
        </form>
      ) : (
        <form onSubmit={submitCode} class="stack">
          {hasCodes && (
            <>
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
            </>
          )}
          {passkeysAvailable && step.methods.includes('webauthn') && (
            <button type="button" onClick={passkeySecondFactor} disabled={busy}>
              {hasCodes ? 'Use a passkey instead' : 'Use your passkey'}
            </button>
          )}
          {step.methods.includes('recovery_code') && step.methods.includes('totp') && (
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
