import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { APP_CONFIG, AppConfig } from '@app/config';
import { safeEqual, sha256 } from '@app/common';

/**
 * The service clients of SERVICE_CLIENTS (id and the hash of its secret): HTTP Basic
 * credentials checked in constant time (SHA-256 hex compared with timingSafeEqual, or argon2id
 * verify). An unknown id costs a comparison against a dummy hash too.
 */
@Injectable()
export class ServiceClients {
  private readonly dummy = sha256('not a client');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The client id for a valid `Authorization: Basic …`, else null. */
  async authenticate(header: string | undefined): Promise<string | null> {
    const creds = parseBasic(header);
    if (!creds) return null;
    const client = this.config.keys.serviceClients.find((c) => c.id === creds.id);
    const hash = client?.hash ?? this.dummy;
    let ok: boolean;
    if (hash.startsWith('$argon2')) ok = await argon2.verify(hash, creds.secret).catch(() => false);
    else ok = safeEqual(sha256(creds.secret), hash);
    return client && ok ? client.id : null;
  }
}

/** RFC 7617, with RFC 6749 2.3.1's form-encoding of id and secret. */
function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at <= 0) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, at).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(at + 1).replace(/\+/g, ' ')) };
  } catch {
    return null;
  }
}
