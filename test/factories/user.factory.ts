import { randomBytes } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent.js';
import { expect } from 'vitest';

export interface SignupInput {
  email: string;
  username: string;
  password: string;
}

export interface SignedUpUser extends SignupInput {
  id: string;
}

export interface LoggedInUser extends SignedUpUser {
  accessToken: string;
  refreshToken: string;
}

/** Unique per call, so test files can share one database. */
export function newSignup(overrides: Partial<SignupInput> = {}): SignupInput {
  const tag = randomBytes(5).toString('hex');
  return {
    email: `user.${tag}@example.com`,
    username: `user_${tag}`,
    password: `pass phrase ${tag}`,
    ...overrides,
  };
}

export async function signUp(
  http: TestAgent,
  overrides: Partial<SignupInput> = {},
): Promise<SignedUpUser> {
  const input = newSignup(overrides);
  const response = await http.post('/auth/signup').send(input);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { ...input, id: response.body.id as string };
}

export async function logIn(
  http: TestAgent,
  user: SignupInput,
  userAgent = 'vitest',
): Promise<{ accessToken: string; refreshToken: string }> {
  const response = await http
    .post('/auth/login')
    .set('User-Agent', userAgent)
    .send({ username_or_email: user.username, password: user.password });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return {
    accessToken: response.body.access_token as string,
    refreshToken: response.body.refresh_token as string,
  };
}

export async function signUpAndLogIn(
  http: TestAgent,
  overrides: Partial<SignupInput> = {},
): Promise<LoggedInUser> {
  const user = await signUp(http, overrides);
  return { ...user, ...(await logIn(http, user)) };
}
