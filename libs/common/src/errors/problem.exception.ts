import { HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * A domain error with a stable machine `code` (see API.md). Services throw these; the global
 * filter renders them as RFC 9457 problem details.
 */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
  }

  static badRequest(code: string, detail: string, errors?: FieldError[]) {
    return new ProblemException(HttpStatus.BAD_REQUEST, code, detail, { errors });
  }
  static validation(errors: FieldError[], detail = 'The request is invalid') {
    return new ProblemException(HttpStatus.BAD_REQUEST, 'validation_failed', detail, { errors });
  }
  static unauthorized(code: string, detail: string) {
    return new ProblemException(HttpStatus.UNAUTHORIZED, code, detail);
  }
  static forbidden(code: string, detail: string) {
    return new ProblemException(HttpStatus.FORBIDDEN, code, detail);
  }
  static notFound(detail = 'The resource was not found') {
    return new ProblemException(HttpStatus.NOT_FOUND, 'not_found', detail);
  }
  static conflict(code: string, detail: string) {
    return new ProblemException(HttpStatus.CONFLICT, code, detail);
  }
  static unavailable(detail = 'A required service is unavailable') {
    return new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, 'service_unavailable', detail);
  }
}
