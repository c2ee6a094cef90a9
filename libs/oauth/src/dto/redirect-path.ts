import { ValidateBy, type ValidationOptions } from 'class-validator';

const PROBE_ORIGIN = 'http://frontend.invalid';
/** Decoding rounds checked; a value still encoded after them is refused rather than guessed at. */
const MAX_DECODES = 3;

/**
 * A path on FRONTEND_URL: starts with one `/` (not `//`, which browsers read as another host),
 * no backslash (which some read as `/`), no whitespace or control character, and resolving it
 * against an origin leaves that origin unchanged. Anything with a scheme or host fails.
 *
 * The front end may percent-decode the value (once, or more) before it navigates, so the same
 * rules hold for every decoded form: `/%2F%2Fevil.example` and `/%5Cevil.example` are refused,
 * as is an encoding that does not decode.
 */
export function isRedirectPath(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return false;
  if (/\s/.test(value) || !isSafePath(value)) return false;
  let current = value;
  for (let round = 0; round < MAX_DECODES; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return false;
    }
    if (decoded === current) return true;
    if (!isSafePath(decoded)) return false;
    current = decoded;
  }
  return false;
}

function isSafePath(value: string): boolean {
  if (!value.startsWith('/') || value.startsWith('//')) return false;
  // control characters are exactly what this refuses
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return false;
  try {
    return new URL(value, PROBE_ORIGIN).origin === PROBE_ORIGIN;
  } catch {
    return false;
  }
}

export function IsRedirectPath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRedirectPath',
      validator: {
        validate: (value) => isRedirectPath(value),
        defaultMessage: () => 'must be a path on FRONTEND_URL, starting with a single "/" (no scheme, host or backslash, also once percent-decoded)',
      },
    },
    options,
  );
}
