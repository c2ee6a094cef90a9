import { domainToASCII } from 'node:url';

/** Why an address has no canonical form; the message reads after the field name ("email …"). */
export class EmailFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailFormatError';
  }
}

/** Control (Cc), format/invisible (Cf: zero-width joiners, bidi marks) and lone surrogate code points. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}]/u;
/** ASCII that has no place in a domain: URL syntax that `domainToASCII` would decode or accept. */
// eslint-disable-next-line no-control-regex -- control characters are part of what is refused
const DOMAIN_ASCII_JUNK = /[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/;
/** The column size of canonical addresses (users.email_canonical, login_attempts.email_key). */
export const MAX_CANONICAL_LENGTH = 320;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The one canonical form of an email address, used for uniqueness, every lookup, lockout and
 * throttle keys and OAuth matching: trimmed, Unicode NFKC, lower-cased, the domain converted to
 * ASCII by IDNA (UTS #46, as browsers do). PostgreSQL's lower() and JavaScript's toLowerCase()
 * disagree on characters such as U+0130 (İ), so the database never lower-cases an address: it
 * compares this form, computed here once.
 *
 * Throws EmailFormatError for control or invisible characters (a NUL would otherwise reach
 * PostgreSQL, zero-width characters make look-alikes) and for a domain IDNA cannot convert.
 * A string without `@` is returned lower-cased: it is no address, so it matches nobody (login
 * answers it like an unknown email).
 */
export function canonicalEmail(raw: string): string {
  if (INVISIBLE_OR_CONTROL.test(raw)) throw new EmailFormatError('must not contain control or invisible characters');
  const value = raw.trim().normalize('NFKC').toLowerCase();
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!local || !domain) throw new EmailFormatError('must be a valid email address');
  if (DOMAIN_ASCII_JUNK.test(domain)) throw new EmailFormatError('has a domain with characters a domain cannot contain');
  const ascii = domainToASCII(domain);
  if (!ascii || !ascii.split('.').every((label) => LABEL.test(label))) {
    throw new EmailFormatError('has a domain that cannot be converted to ASCII (IDNA)');
  }
  const canonical = `${local}@${ascii}`;
  if (ascii.length > 253 || canonical.length > MAX_CANONICAL_LENGTH) throw new EmailFormatError('is too long once its domain is converted to ASCII');
  return canonical;
}

/** The canonical form, or null when the address has none (for keys that must never throw). */
export function tryCanonicalEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  try {
    return canonicalEmail(raw);
  } catch {
    return null;
  }
}
