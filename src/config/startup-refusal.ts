/**
 * A reason not to start that only a module can see once it reaches the database (issue #20:
 * TOTP secrets exist but no key can read them), as configuration's own problems are reasons
 * seen before. main.ts prints both the same way: one line a problem, no stack trace, exit 1.
 */
export class StartupRefusalError extends Error {
  constructor(readonly problems: string[]) {
    super(`Refusing to start:\n  - ${problems.join('\n  - ')}`);
    this.name = 'StartupRefusalError';
  }
}
