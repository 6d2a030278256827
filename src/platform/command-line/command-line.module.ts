import { Global, Module } from '@nestjs/common';

/**
 * Present (true) when the modules run for `npm run admin` or `npm run keys`, not as the service:
 * background work a running instance owns (key housekeeping, issue #22 review) stays off, so a
 * shell with other settings changes nothing it was not asked to.
 */
export const COMMAND_LINE = Symbol('COMMAND_LINE');

@Global()
@Module({
  providers: [{ provide: COMMAND_LINE, useValue: true }],
  exports: [COMMAND_LINE],
})
export class CommandLineModule {}
