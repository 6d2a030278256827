import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  validateSync,
  type ValidationError,
} from 'class-validator';

/** What start-up knows before any feature's settings are built. */
export interface SettingsContext {
  environment: 'development' | 'production' | 'test';
  /** Worker processes sharing the port (WEB_CONCURRENCY resolved). */
  webConcurrency: number;
  /** Add a sentence per problem; start-up reports them all at once and refuses to serve. */
  problems: string[];
  /**
   * The whole environment, for variables named by another one (`OAUTH_<NAME>_ISSUER` for each
   * name in `OAUTH_PROVIDERS`, issue #21). Every fixed name is declared in the class instead.
   */
  source: Readonly<Record<string, unknown>>;
}

/** Whose requests a rate limit counts. */
export type RateLimitSubject =
  /** The client address (its /64 for IPv6); the caller sees this count in RateLimit headers. */
  | { per: 'address' }
  /**
   * The account a request names (a login name, an email), folded as the login lookup folds it.
   * Counted by the feature's service once the body has passed validation, so a request refused
   * with 422 spends none of the owner's budget (issue #18); never shown.
   */
  | { per: 'account' }
  /** Counted by the feature's service, which knows the signed-in user; never on a route. */
  | { per: 'signed-in-user' };

export interface RateLimitDeclaration {
  /** The environment variable that sets it: `<requests>/<window>` or `off`. */
  variable: `RATE_LIMIT_${string}`;
  default: string;
  subject: RateLimitSubject;
}

/**
 * One feature's settings: the environment variables it reads (a class-validator class whose
 * property initialisers are the defaults), the typed settings built from them under
 * `namespace` (read with `config.get(namespace, { infer: true })`), and the rate limits its
 * routes count. Listed once in configuration.ts; docs/configuration.md is checked against it.
 */
export interface FeatureConfig<
  Namespace extends string = string,
  Variables extends object = object,
  Settings = unknown,
  LimitName extends string = string,
> {
  namespace: Namespace;
  /** The heading of its table in docs/configuration.md. */
  title: string;
  /** Absent when the feature has no variables of its own besides its rate limits. */
  variables?: new () => Variables;
  /** Variables whose values never reach a log line, not even in an error about them. */
  secrets?: readonly (keyof Variables & string)[];
  rateLimits?: Readonly<Record<LimitName, RateLimitDeclaration>>;
  settings(variables: Variables, context: SettingsContext): Settings;
}

/** Keeps the literal types of a feature's declaration (its namespace and limit names). */
export function defineFeatureConfig<
  Namespace extends string,
  Variables extends object,
  Settings,
  LimitName extends string = never,
>(
  config: FeatureConfig<Namespace, Variables, Settings, LimitName>,
): FeatureConfig<Namespace, Variables, Settings, LimitName> {
  return config;
}

/** Every variable the class declares, with or without a default. */
export function declaredVariables(variables: new () => object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(variables, '', true, false);
  return [...new Set(metadata.map((entry) => entry.propertyName))];
}

function describeProblems(errors: ValidationError[], secrets: ReadonlySet<string>): string[] {
  return errors.map((error) => {
    const reasons = Object.values(error.constraints ?? {}).join('; ');
    const shown = secrets.has(error.property) ? 'a hidden value' : JSON.stringify(error.value);
    return `${error.property}: ${reasons} (got ${shown})`;
  });
}

/** Parses and checks the variables one class declares; problems are added, not thrown. */
export function readVariables<Variables extends object>(
  variables: new () => Variables,
  source: Record<string, unknown>,
  secrets: readonly string[],
  problems: string[],
): Variables {
  const given = Object.fromEntries(
    declaredVariables(variables)
      .filter((name) => source[name] !== undefined)
      .map((name) => [name, source[name]]),
  );
  const parsed = plainToInstance(variables, given, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { whitelist: true, forbidUnknownValues: true });
  problems.push(...describeProblems(errors, new Set(secrets)));
  return parsed;
}

export const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  return value;
};

export const emptyAsUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function allOf(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}

/** A whole number from `min` to `max`, read from the variable's text. */
export function IntegerSetting(min: number, max: number): PropertyDecorator {
  return allOf([Type(() => Number), IsInt(), Min(min), Max(max)]);
}

/**
 * A whole number that may be absent; set to an empty string, it counts as absent. One transform
 * does both: with `@Type(() => Number)` beside it, an empty value became 0 before it was seen.
 */
export function OptionalIntegerSetting(min: number, max: number): PropertyDecorator {
  const toNumber = ({ value }: { value: unknown }): unknown => {
    const given = emptyAsUndefined({ value });
    return typeof given === 'string' ? Number(given) : given;
  };
  return allOf([Transform(toNumber), IsOptional(), IsInt(), Min(min), Max(max)]);
}

/** Text that may be absent; set to an empty string, it counts as absent. */
export function OptionalText(): PropertyDecorator {
  return allOf([Transform(emptyAsUndefined), IsOptional(), IsString()]);
}
