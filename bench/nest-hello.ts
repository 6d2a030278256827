/**
 * The framework's floor, for `npm run bench`: NestJS 12 answering GET /auth/me with a fixed
 * user, with no guards, logging, headers or database. The ratio of the real `/auth/me` to this
 * one is what the service adds on top of the framework. ADAPTER=express runs the same app on
 * the Express adapter: the measurement behind the service's choice of Fastify.
 */
import 'reflect-metadata';
import cluster from 'node:cluster';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller('auth')
class HelloController {
  @Get('me')
  me() {
    return {
      id: '5f0c6a0e-8b1a-4f3e-9d2c-0a1b2c3d4e5f',
      email: 'alice@example.com',
      username: 'alice',
      is_active: true,
      email_verified: true,
      created_at: '2026-11-25T00:00:00.000Z',
    };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

const workers = Number(process.env.WORKERS ?? 1);
if (workers > 1 && cluster.isPrimary) {
  // As many workers as the service runs, so the two are compared like for like.
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const app =
    process.env.ADAPTER === 'express'
      ? await NestFactory.create<NestExpressApplication>(HelloModule, { logger: false })
      : await NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter(), {
          logger: false,
        });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}
