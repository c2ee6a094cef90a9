import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildProblem, defaultCode, sendProblem } from './problem-details';
import { ProblemException } from './problem.exception';

const SAFE_DETAIL: Record<number, string> = {
  401: 'Authentication is required',
  403: 'You are not allowed to do this',
  404: 'The resource was not found',
  405: 'Method not allowed',
  413: 'The request body is too large',
  429: 'Too many requests; retry later',
  503: 'A required service is unavailable',
};

/**
 * The one place every error becomes an RFC 9457 problem response: domain exceptions keep their
 * code, Nest's own HTTP exceptions get the code of their status, and anything unknown is logged
 * with its stack and answered as a bare 500 that leaks nothing.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest | { id?: unknown } | undefined>();
    const res = ctx.getResponse<FastifyReply | ServerResponse>();
    const requestId = req?.id === undefined ? undefined : String(req.id);

    if (exception instanceof ProblemException) {
      const { status, code, detail, options } = exception;
      return sendProblem(res, buildProblem(status, code, detail, requestId, options.errors), options.headers);
    }
    if (exception instanceof ThrottlerException) {
      return sendProblem(res, buildProblem(429, 'rate_limited', SAFE_DETAIL[429], requestId));
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status >= 500 && status !== 503) this.logger.error(exception);
      return sendProblem(res, buildProblem(status, defaultCode(status), this.detailOf(exception, status), requestId));
    }
    this.logger.error({ err: exception, requestId }, 'Unhandled error');
    sendProblem(res, buildProblem(500, 'internal_error', 'An unexpected error occurred', requestId));
  }

  private detailOf(exception: HttpException, status: number): string {
    if (SAFE_DETAIL[status]) return SAFE_DETAIL[status];
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    return typeof message === 'string' ? message : exception.message;
  }
}
