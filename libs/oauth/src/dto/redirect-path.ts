import { ValidateBy, type ValidationOptions } from 'class-validator';

const PROBE_ORIGIN = 'http://frontend.invalid';

/**
 * A path on FRONTEND_URL: starts with one `/` (not `//`, which browsers read as another host),
 * no backslash (which some read as `/`), no whitespace or control character, and resolving it
 * against an origin leaves that origin unchanged. Anything with a scheme or host fails.
 */
export function isRedirectPath(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return false;
  if (!value.startsWith('/') || value.startsWith('//')) return false;
  if (/[\\\s\u0000-\u001f\u007f]/.test(value)) return false;
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
        defaultMessage: () => 'must be a path on FRONTEND_URL, starting with a single "/" (no scheme, host or backslash)',
      },
    },
    options,
  );
}
