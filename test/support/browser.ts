import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from './test-app';

/**
 * A real, headless Chromium for tests that need a browser (WebAuthn ceremonies, pages), driven with
 * playwright-core (no bundled browser download: Debian's `chromium` package is used).
 */

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags that matter on these machines: no sandbox (root, no user namespaces), no GPU, no QUIC, and
 * nothing that calls home at start (first-run, background networking, component updates, sync): there
 * is no network but the package registries, and such requests only slow the start down.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the Chromium binary is there. */
export function chromiumAvailable(path: string = CHROMIUM_PATH): boolean {
  return existsSync(path);
}

/**
 * Runtime gate for browser tests (no it.skip): true when Chromium is there. When it is not, the test
 * fails loudly, unless ALLOW_NO_BROWSER=1 is set, in which case this says so on the console and returns
 * false (the caller returns early).
 */
export function requireChromium(what = 'this browser test'): boolean {
  if (chromiumAvailable()) return true;
  const why = `Chromium is not at ${CHROMIUM_PATH}: install it with \`apt-get update && apt-get install -y chromium\``;
  if (process.env.ALLOW_NO_BROWSER === '1') {
    console.warn(`SKIPPED ${what}: ${why} (passing only because ALLOW_NO_BROWSER=1)`);
    return false;
  }
  throw new Error(`${why}, or set ALLOW_NO_BROWSER=1 to let ${what} pass without it`);
}

export interface LaunchOptions {
  executablePath?: string;
  /** Added after CHROMIUM_ARGS. (Not --user-data-dir: playwright refuses it in launch().) */
  extraArgs?: string[];
  /** Launch timeout; default 15 s. */
  timeoutMs?: number;
}

/**
 * Headless Chromium with CHROMIUM_ARGS. playwright's launch() gives every browser a new, empty
 * profile (a fresh `playwright_chromiumdev_profile-*` user-data dir under the temp dir, deleted on
 * close), so nothing leaks between tests. Close it with `browser.close()`.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
    timeout: options.timeoutMs ?? 15_000,
  });
}

export interface VirtualAuthenticatorOptions {
  /** Default 'ctap2'. */
  protocol?: 'ctap2' | 'u2f';
  /** Default 'ctap2_1' (for ctap2). */
  ctap2Version?: 'ctap2_0' | 'ctap2_1' | 'ctap2_2';
  /** Default 'internal' (a platform authenticator: authenticatorAttachment 'platform'). */
  transport?: 'usb' | 'nfc' | 'ble' | 'cable' | 'hybrid' | 'internal';
  /** Discoverable credentials (passkeys). Default true. */
  hasResidentKey?: boolean;
  /** Default true. */
  hasUserVerification?: boolean;
  /** Whether UV succeeds. Default true. */
  isUserVerified?: boolean;
  /** UP succeeds at once (no touch). Default true. */
  automaticPresenceSimulation?: boolean;
  /** BE flag of new credentials. Default false. */
  defaultBackupEligibility?: boolean;
  /** BS flag of new credentials. Default false. */
  defaultBackupState?: boolean;
}

/** A credential as CDP's WebAuthn.getCredentials reports it (binary members are standard base64, not base64url). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
  backupEligibility?: boolean;
  backupState?: boolean;
  userName?: string;
  userDisplayName?: string;
}

export interface VirtualAuthenticator {
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
  /** Credentials it holds, with credentialId/userHandle converted to base64url (as the server sees them). */
  credentials(): Promise<VirtualCredential[]>;
  /** Make UV succeed or fail from now on. */
  setUserVerified(isUserVerified: boolean): Promise<void>;
  /** Remove the authenticator (its credentials go with it). */
  remove(): Promise<void>;
}

/**
 * A CDP virtual authenticator for `page` (CDP's WebAuthn domain is per target: one per page, for the
 * page's frames). WebAuthn.enable comes first; enableUI stays false so no dialog waits for a click.
 */
export async function addVirtualAuthenticator(page: Page, options: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const protocol = options.protocol ?? 'ctap2';
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol,
      ...(protocol === 'ctap2' ? { ctap2Version: options.ctap2Version ?? 'ctap2_1' } : {}),
      transport: options.transport ?? 'internal',
      hasResidentKey: options.hasResidentKey ?? true,
      hasUserVerification: options.hasUserVerification ?? true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: options.automaticPresenceSimulation ?? true,
      defaultBackupEligibility: options.defaultBackupEligibility ?? false,
      defaultBackupState: options.defaultBackupState ?? false,
    },
  });
  return {
    cdp,
    authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials.map((c) => ({
        ...c,
        credentialId: Buffer.from(c.credentialId, 'base64').toString('base64url'),
        ...(c.userHandle !== undefined ? { userHandle: Buffer.from(c.userHandle, 'base64').toString('base64url') } : {}),
      }));
    },
    async setUserVerified(isUserVerified: boolean) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await cdp.detach().catch(() => undefined);
    },
  };
}

/** A page served from one origin and the API listening on another, both on localhost (a secure context). */
export interface CrossOriginSite {
  /** the page's origin, http://localhost:<port>: the API's FRONTEND_URL and CORS origin */
  origin: string;
  /** the API's base URL, http://localhost:<port> */
  api: string;
  app: TestApp;
  close(): Promise<void>;
}

/**
 * Serves `html` at every path of its own origin and starts the real API (startTestApp) listening
 * on another, with that origin as FRONTEND_URL (so WebAuthn's RP) and CORS_ORIGINS.
 */
export async function crossOriginSite(html: string, env: Record<string, string> = {}): Promise<CrossOriginSite> {
  const site = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(site.address() as AddressInfo).port}`;
  const app = await startTestApp({ FRONTEND_URL: origin, CORS_ORIGINS: origin, ...env });
  await app.app.listen(0, '127.0.0.1');
  const api = `http://localhost:${(app.app.getHttpServer().address() as AddressInfo).port}`;
  return {
    origin,
    api,
    app,
    close: async () => {
      await app.close();
      site.closeAllConnections();
      await new Promise<void>((resolve) => site.close(() => resolve()));
    },
  };
}
