import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeProvider = 'google' | 'github';

export interface GoogleUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface GithubUser {
  id: number;
  login: string;
  name?: string | null;
}

export interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility?: string | null;
}

/** One request to an authorize endpoint, as the browser would have sent it. */
export interface AuthorizeRequest {
  provider: FakeProvider;
  query: Record<string, string>;
}

interface IssuedCode {
  provider: FakeProvider;
  clientId: string;
  redirectUri: string;
  challenge?: string;
  challengeMethod?: string;
  user: unknown;
}

const CLIENTS: Record<FakeProvider, { id: string; secret: string }> = {
  google: { id: 'google-client-id', secret: 'google-client-secret' },
  github: { id: 'github-client-id', secret: 'github-client-secret' },
};

/**
 * Google and GitHub, as far as an OAuth client sees them, on one local HTTP server:
 * authorize (records the query, redirects back with `code` + `state`, or `error=access_denied`
 * when told to), token (checks the code, client credentials, redirect_uri and the PKCE verifier),
 * Google userinfo, GitHub user and emails. Each test sets the account the next authorize returns.
 */
export class FakeOAuthServer {
  private server?: Server;
  url = '';
  readonly authorizeRequests: AuthorizeRequest[] = [];
  /** token requests as received (form fields), for assertions */
  readonly tokenRequests: { provider: FakeProvider; form: Record<string, string> }[] = [];
  private readonly codes = new Map<string, IssuedCode>();
  private readonly tokens = new Map<string, { provider: FakeProvider; user: unknown }>();
  private googleUser: GoogleUser = { sub: 'g-0', email: 'nobody@example.com', email_verified: true, name: 'Nobody' };
  private githubUser: { user: GithubUser; emails: GithubEmail[] } = { user: { id: 0, login: 'nobody' }, emails: [] };
  private readonly denyNext = new Set<FakeProvider>();
  private readonly failTokenNext = new Set<FakeProvider>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The environment that points the app at this server for `providers`. */
  env(providers: FakeProvider[] = ['google', 'github']): Record<string, string> {
    const env: Record<string, string> = {};
    if (providers.includes('google')) {
      Object.assign(env, {
        GOOGLE_CLIENT_ID: CLIENTS.google.id,
        GOOGLE_CLIENT_SECRET: CLIENTS.google.secret,
        GOOGLE_AUTHORIZATION_URL: `${this.url}/google/authorize`,
        GOOGLE_TOKEN_URL: `${this.url}/google/token`,
        GOOGLE_USERINFO_URL: `${this.url}/google/userinfo`,
      });
    }
    if (providers.includes('github')) {
      Object.assign(env, {
        GITHUB_CLIENT_ID: CLIENTS.github.id,
        GITHUB_CLIENT_SECRET: CLIENTS.github.secret,
        GITHUB_AUTHORIZATION_URL: `${this.url}/github/authorize`,
        GITHUB_TOKEN_URL: `${this.url}/github/token`,
        GITHUB_USER_URL: `${this.url}/github/user`,
        GITHUB_EMAILS_URL: `${this.url}/github/emails`,
      });
    }
    return env;
  }

  setGoogleUser(user: GoogleUser): void {
    this.googleUser = user;
  }

  setGithubUser(user: GithubUser, emails: GithubEmail[]): void {
    this.githubUser = { user, emails };
  }

  /** The next authorize of `provider` answers `error=access_denied` (the user declined). */
  denyConsent(provider: FakeProvider): void {
    this.denyNext.add(provider);
  }

  /** The next token request of `provider` gets a 500. */
  failToken(provider: FakeProvider): void {
    this.failTokenNext.add(provider);
  }

  lastAuthorize(provider: FakeProvider): AuthorizeRequest | undefined {
    return [...this.authorizeRequests].reverse().find((r) => r.provider === provider);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const [, provider, endpoint] = url.pathname.split('/') as [string, FakeProvider, string];
    if (provider !== 'google' && provider !== 'github') return json(res, 404, { error: 'not_found' });

    if (endpoint === 'authorize' && req.method === 'GET') return this.authorize(provider, url, res);
    if (endpoint === 'token' && req.method === 'POST') return this.token(provider, await readForm(req), res);

    const token = bearerOf(req) ?? url.searchParams.get('access_token');
    const grant = token ? this.tokens.get(token) : undefined;
    if (!grant || grant.provider !== provider) return json(res, 401, { error: 'invalid_token' });
    if (provider === 'google' && endpoint === 'userinfo') return json(res, 200, grant.user);
    const github = grant.user as { user: GithubUser; emails: GithubEmail[] };
    if (provider === 'github' && endpoint === 'user') {
      if (!req.headers['user-agent']) return json(res, 403, { message: 'User-Agent required' });
      return json(res, 200, { ...github.user, email: null });
    }
    if (provider === 'github' && endpoint === 'emails') return json(res, 200, github.emails);
    return json(res, 404, { error: 'not_found' });
  }

  private authorize(provider: FakeProvider, url: URL, res: ServerResponse): void {
    const query = Object.fromEntries(url.searchParams);
    this.authorizeRequests.push({ provider, query });
    const back = new URL(query.redirect_uri);
    if (query.state !== undefined) back.searchParams.set('state', query.state);
    if (this.denyNext.delete(provider)) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user denied access');
    } else if (query.client_id !== CLIENTS[provider].id || query.response_type !== 'code') {
      back.searchParams.set('error', 'invalid_request');
    } else {
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, {
        provider,
        clientId: query.client_id,
        redirectUri: query.redirect_uri,
        challenge: query.code_challenge,
        challengeMethod: query.code_challenge_method,
        user: provider === 'google' ? { ...this.googleUser } : structuredClone(this.githubUser),
      });
      back.searchParams.set('code', code);
      // real Google adds parameters of its own to the callback
      if (provider === 'google') {
        back.searchParams.set('scope', query.scope ?? '');
        back.searchParams.set('authuser', '0');
        back.searchParams.set('prompt', 'consent');
      }
    }
    res.writeHead(302, { Location: back.toString() }).end();
  }

  private token(provider: FakeProvider, form: Record<string, string>, res: ServerResponse): void {
    this.tokenRequests.push({ provider, form });
    if (this.failTokenNext.delete(provider)) return json(res, 500, { error: 'server_error' });
    const issued = this.codes.get(form.code);
    this.codes.delete(form.code);
    const client = CLIENTS[provider];
    if (!issued || issued.provider !== provider) return json(res, 400, { error: 'invalid_grant', error_description: 'unknown or used code' });
    if (form.client_id !== client.id || form.client_secret !== client.secret || form.client_id !== issued.clientId) {
      return json(res, 401, { error: 'invalid_client' });
    }
    if (form.grant_type !== 'authorization_code' || form.redirect_uri !== issued.redirectUri) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
    }
    if (issued.challenge !== undefined) {
      if (issued.challengeMethod !== 'S256' || !form.code_verifier) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE required' });
      const computed = createHash('sha256').update(form.code_verifier).digest('base64url');
      if (computed !== issued.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    const accessToken = randomBytes(16).toString('hex');
    this.tokens.set(accessToken, { provider, user: issued.user });
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3599, scope: 'openid email profile' });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}
