import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ProblemException } from './problem.exception';

/** Flattens class-validator errors into `{field, message}` pairs with dotted paths; a missing field is "is required". */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // a field that is not there gets "is required", not whichever of its rules happened to run first
    if ((error.value === undefined || error.value === null) && error.constraints && !error.children?.length) {
      out.push({ field, message: 'is required' });
      continue;
    }
    for (const message of Object.values(error.constraints ?? {})) {
      const trimmed = message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message;
      out.push({ field, message: trimmed });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

const PRIMITIVES: unknown[] = [String, Boolean, Number, Array, Object];

/**
 * The global pipe: whitelist + forbid unknown fields + transform, and a body that is not a JSON
 * object (an array, a string, nothing) is a validation failure rather than a crash.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: true,
      exceptionFactory: (errors) => ProblemException.validation(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const isDto = metadata.metatype && !PRIMITIVES.includes(metadata.metatype);
    if (isDto && (metadata.type === 'body' || metadata.type === 'query')) {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw ProblemException.validation([{ field: metadata.type, message: 'must be a JSON object' }]);
      }
    }
    return super.transform(value, metadata);
  }
}
