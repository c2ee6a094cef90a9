/**
 * The ceilings the product's numbers are divided by: the cheapest Nest app this machine can run.
 * (a) GET /plain: a bare Nest (Express) endpoint returning a User-sized JSON object;
 * (b) GET /guarded: the same behind a minimal guard that verifies an HS256 access token with
 *     jsonwebtoken and a KeyObject (alg pinned, iss, aud, exp), as the product's guard must.
 * Started by bench/lib/servers.ts in its own process, pinned like the product (taskset -c 0).
 * Env: PORT, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, ADAPTER (fastify, the product's adapter, by default; or express).
 */
import 'reflect-metadata';
import { createSecretKey, KeyObject } from 'node:crypto';
import { CanActivate, Controller, ExecutionContext, Get, Injectable, Module, UnauthorizedException, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import * as jwt from 'jsonwebtoken';

const key: KeyObject = createSecretKey(Buffer.from(process.env.JWT_SECRET ?? 'x'.repeat(48)));
const verifyOptions: jwt.VerifyOptions = { algorithms: ['HS256'], issuer: process.env.JWT_ISSUER, audience: process.env.JWT_AUDIENCE };

@Injectable()
class MinimalJwtGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) throw new UnauthorizedException();
    try {
      req.user = jwt.verify(header.slice(7), key as unknown as jwt.Secret, verifyOptions);
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

const user = () => ({
  id: '6f1c2d0e-8a3b-4c5d-9e7f-0a1b2c3d4e5f',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  role: 'user',
  email_verified: true,
  is_active: true,
  created_at: new Date(0).toISOString(),
  updated_at: new Date(0).toISOString(),
  last_signin_at: null,
});

@Controller()
class CeilingController {
  @Get('plain')
  plain() {
    return user();
  }

  @Get('guarded')
  @UseGuards(MinimalJwtGuard)
  guarded() {
    return user();
  }
}

@Module({ controllers: [CeilingController] })
class CeilingModule {}

async function main(): Promise<void> {
  // the product's adapter (Fastify) unless ADAPTER=express (the adapter trial)
  const app =
    process.env.ADAPTER !== 'express'
      ? await NestFactory.create<NestFastifyApplication>(CeilingModule, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create<NestExpressApplication>(CeilingModule, { logger: ['error'] });
  if (process.env.ADAPTER === 'express') (app as NestExpressApplication).disable('x-powered-by');
  await app.listen(Number(process.env.PORT ?? 3100), '127.0.0.1');
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
