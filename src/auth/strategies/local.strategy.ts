import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { User } from '../../users/entities/user.entity.js';
import { AuthService } from '../auth.service.js';

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username_or_email', passwordField: 'password' });
  }

  validate(usernameOrEmail: string, password: string): Promise<User> {
    return this.auth.verifyCredentials(usernameOrEmail, password);
  }
}
