import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProblemDetails } from '../errors/problem-details';
import type { FieldError } from '../errors/problem.exception';

/** One field of a validation failure, in the OpenAPI document (schema `ProblemFieldError`). */
export class ProblemFieldError implements FieldError {
  @ApiProperty({ description: 'the field, as a dotted path (`body`, `query` for the input as a whole)', example: 'password' })
  field: string;

  @ApiProperty({ example: 'must be at least 8 characters' })
  message: string;
}

/**
 * The body of every error response (`application/problem+json`, RFC 9457), in the OpenAPI
 * document (schema `Problem`): what `buildProblem` writes. Each response narrows `code` to the
 * codes it can carry.
 */
export class Problem implements ProblemDetails {
  @ApiProperty({ example: 'about:blank' })
  type: string;

  @ApiProperty({ description: "the status's reason phrase", example: 'Unauthorized' })
  title: string;

  @ApiProperty({ type: 'integer', example: 401 })
  status: number;

  @ApiProperty({ description: 'stable lower_snake machine code: what clients branch on', example: 'invalid_credentials' })
  code: string;

  @ApiProperty({ description: 'for humans; may change', example: 'Invalid email or password' })
  detail: string;

  @ApiPropertyOptional({ description: "the request's X-Request-Id", example: '0f6c2b9e-5d7a-4c1e-9b8f-3a2d1e0c4b5a' })
  request_id?: string;

  @ApiPropertyOptional({ type: [ProblemFieldError], description: 'only with `validation_failed`: one entry per refused field' })
  errors?: ProblemFieldError[];
}
