import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { createValidationPipe } from '../../common/request-validation.js';
import { InvalidCredentialsError } from '../auth.errors.js';
import { LoginDto } from '../dto/login.dto.js';

/**
 * Guards run before pipes, so the login body is validated here; otherwise passport-local
 * would answer a missing field with its own bare 400 instead of our 422.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  private readonly validation = createValidationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.body = await this.validation.transform(request.body, {
      type: 'body',
      metatype: LoginDto,
    });
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error)
      throw error instanceof Error
        ? error
        : new Error('Passport reported a failure that is not an Error');
    if (!user) throw new InvalidCredentialsError();
    return user;
  }
}
