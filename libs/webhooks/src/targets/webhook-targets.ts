import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { isPublicAddress } from './address-policy';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Every address a host name resolves to, from the system resolver (as a connection would ask it).
 * A provider of its own: DNS is outside our control, so tests answer for it.
 */
@Injectable()
export class HostResolver {
  async lookup(hostname: string): Promise<ResolvedAddress[]> {
    return (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  }
}

/** A delivery target this process must not reach (a private address without WEBHOOKS_ALLOW_PRIVATE, or a scheme). */
export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** How long a save waits for the resolver; a name that does not resolve yet is checked again at delivery. */
const SAVE_LOOKUP_MS = 3000;

/**
 * Where webhooks may go. Without WEBHOOKS_ALLOW_PRIVATE: https only, and every address the host
 * resolves to must be public (address-policy.ts) — checked when an endpoint is saved and again
 * before every delivery, whose connection then goes to the very address that was checked (no
 * second lookup a rebinding DNS server could answer differently).
 */
@Injectable()
export class WebhookTargets {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly resolver: HostResolver,
  ) {}

  /** Why `url` cannot be saved as an endpoint, or null. */
  async problemWith(url: string): Promise<string | null> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'must be an absolute URL';
    }
    const scheme = this.schemeProblem(parsed);
    if (scheme) return scheme;
    if (parsed.username || parsed.password) return 'must not carry credentials (user:password@)';
    if (this.config.webhooks.allowPrivate) return null;
    const host = hostOf(parsed);
    if (isIP(host)) return isPublicAddress(host) ? null : PRIVATE;
    if (host === 'localhost' || host.endsWith('.localhost')) return PRIVATE;
    const addresses = await Promise.race([
      this.resolver.lookup(host).catch(() => null),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), SAVE_LOOKUP_MS).unref()),
    ]);
    return addresses?.some((a) => !isPublicAddress(a.address)) ? PRIVATE : null;
  }

  /** The address a delivery to `url` connects to: resolved now and checked; TargetRefusedError when it may not go there. */
  async resolve(url: URL): Promise<ResolvedAddress> {
    const scheme = this.schemeProblem(url);
    if (scheme) throw new TargetRefusedError(`URL ${scheme}`);
    const host = hostOf(url);
    const family = isIP(host);
    const addresses: ResolvedAddress[] = family ? [{ address: host, family: family as 4 | 6 }] : await this.resolver.lookup(host);
    if (addresses.length === 0) throw new Error(`${host} resolves to no address`);
    if (!this.config.webhooks.allowPrivate) {
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused) throw new TargetRefusedError(`${host} resolves to ${refused.address}, which is not a public address`);
    }
    return addresses[0];
  }

  private schemeProblem(url: URL): string | null {
    if (url.protocol === 'https:') return null;
    if (url.protocol === 'http:' && this.config.webhooks.allowPrivate) return null;
    return this.config.webhooks.allowPrivate ? 'must start with https:// or http://' : 'must start with https://';
  }
}

const PRIVATE = 'must point at a public address (not loopback, private, link-local or unique-local)';

/** The URL's host without the brackets of an IPv6 literal, lower case. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
