import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { clientOf } from '../../common/http/client-address.js';
import type { User } from '../../users/entities/user.entity.js';
import { AuthService } from '../auth.service.js';
import type { LoginDto } from '../dto/login.dto.js';

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({
      usernameField: 'username_or_email',
      passwordField: 'password',
      // The request, for the address and User-Agent a failed login's security event records.
      passReqToCallback: true,
    });
  }

  /** The body has passed LoginDto's validation (LocalAuthGuard), `device_token` included. */
  validate(request: FastifyRequest, usernameOrEmail: string, password: string): Promise<User> {
    const { device_token: deviceToken } = request.body as LoginDto;
    return this.auth.verifyCredentials(usernameOrEmail, password, clientOf(request), deviceToken);
  }
}
