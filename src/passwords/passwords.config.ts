import { availableParallelism } from 'node:os';
import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class PasswordsVariables {
  /** bcrypt work factor; 4 is only for tests, production refuses anything under 10. */
  @IntegerSetting(4, 15)
  BCRYPT_COST = 12;

  /** Threads that hash passwords; 0 means one per core (divided among WEB_CONCURRENCY workers). */
  @IntegerSetting(0, 64)
  PASSWORD_HASH_THREADS = 0;
}

const MIN_PRODUCTION_BCRYPT_COST = 10;

/** Password hashing. */
export const passwordsConfig = defineFeatureConfig({
  namespace: 'passwords',
  title: 'Passwords',
  variables: PasswordsVariables,
  settings: (env, { environment, webConcurrency, problems }) => {
    if (environment === 'production' && env.BCRYPT_COST < MIN_PRODUCTION_BCRYPT_COST) {
      problems.push(
        `BCRYPT_COST: must be at least ${MIN_PRODUCTION_BCRYPT_COST} when NODE_ENV=production`,
      );
    }
    return {
      bcryptCost: env.BCRYPT_COST,
      // Workers share the cores: each gets its part unless told otherwise.
      hashThreads:
        env.PASSWORD_HASH_THREADS ||
        Math.max(1, Math.floor(availableParallelism() / webConcurrency)),
    };
  },
});

export type PasswordsConfig = ReturnType<typeof passwordsConfig.settings>;
