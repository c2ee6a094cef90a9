import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CommonErrors } from '../errors/common-errors';
import { isFormBody } from './body-parser';

const ACCEPTS_FORM = 'http:accepts-form';

/** This route also takes a form-encoded body (a browser form post, an RFC 7662 client). */
export const AcceptsForm = () => SetMetadata(ACCEPTS_FORM, true);

/** Global: a form-encoded body reaches only routes marked `@AcceptsForm()`; elsewhere it is 415. */
@Injectable()
export class FormBodyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (!isFormBody(context.switchToHttp().getRequest<FastifyRequest>())) return true;
    if (this.reflector.getAllAndOverride<boolean>(ACCEPTS_FORM, [context.getHandler(), context.getClass()])) return true;
    throw CommonErrors.unsupportedMediaType();
  }
}
