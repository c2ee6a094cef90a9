import { isEmail, ValidateBy, type ValidationOptions } from 'class-validator';
import { canonicalEmail, EmailFormatError } from '../util/email';

/** The reason `value` is not acceptable, or null. */
function emailProblem(value: unknown, strict: boolean): string | null {
  if (typeof value !== 'string') return 'must be a string';
  let canonical: string;
  try {
    canonical = canonicalEmail(value);
  } catch (err) {
    if (err instanceof EmailFormatError) return err.message;
    throw err;
  }
  if (strict && !isEmail(canonical)) return 'must be a valid email address';
  return null;
}

function emailValidator(name: string, strict: boolean, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value) => emailProblem(value, strict) === null,
        defaultMessage: (args) => `$property ${emailProblem(args?.value, strict) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/**
 * An address we can store and mail: it has a canonical form (no control or invisible
 * characters, a domain IDNA can convert) and that form is a valid email address. The address
 * itself is kept as typed (trimmed); the check runs on the canonical form, so fullwidth and
 * other compatibility characters are judged by what they mean.
 */
export const IsEmailAddress = (options?: ValidationOptions) => emailValidator('isEmailAddress', true, options);

/**
 * Login's email: anything that could be an address we hold. Control or invisible characters and
 * domains IDNA cannot convert are refused (400); anything else without an account answers 401
 * like any unknown email, so the answer says nothing about the address's format beyond that.
 */
export const IsLoginEmail = (options?: ValidationOptions) => emailValidator('isLoginEmail', false, options);

/** Text a person typed for others to read (a name): no control or invisible characters. */
export const IsPlainText = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isPlainText',
      validator: {
        validate: (value) => typeof value === 'string' && !/[\p{Cc}\p{Cf}\p{Cs}]/u.test(value),
        defaultMessage: () => '$property must not contain control or invisible characters',
      },
    },
    options,
  );
