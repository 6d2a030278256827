/**
 * An OpenID Connect provider that answers the token request with whatever id_token the test
 * forges (issue #21's attacks): discovery and a JWKS as a real one, then a wrong `aud`, a
 * foreign key, `alg: none`... The service must refuse each as it would from a real issuer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface IdTokenForgery {
  claims?: JWTPayload;
  /** Sign with a key the JWKS does not publish (same `kid`). */
  foreignKey?: boolean;
  /** An unsigned token, `alg: none`. */
  unsigned?: boolean;
}

export interface ForgingOidcServer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The id_token claims a correct provider would send for this nonce. */
  honestClaims(nonce: string, sub?: string): JWTPayload;
  /** What the next token response carries. */
  forge(forgery: IdTokenForgery): void;
  /** While on, discovery answers 503: the provider is down for a service that has not met it. */
  failDiscovery(on: boolean): void;
  close(): Promise<void>;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startForgingOidcServer(): Promise<ForgingOidcServer> {
  const clientId = 'forge-client';
  const clientSecret = 'forge-client-secret-0123456789';
  const own = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(own.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let next: IdTokenForgery = {};
  let issuer = '';
  let discoveryDown = false;

  const sign = (claims: JWTPayload, key: CryptoKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);

  const server = createServer((request, response) => {
    const json = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    void (async () => {
      const path = new URL(request.url ?? '/', issuer).pathname;
      if (path === '/.well-known/openid-configuration') {
        if (discoveryDown) return void response.writeHead(503).end();
        return json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (path === '/jwks') return json({ keys: [publicJwk] });
      if (path === '/token') {
        request.resume();
        await new Promise((resolve) => request.on('end', resolve));
        const claims = next.claims ?? {};
        const idToken = next.unsigned
          ? `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`
          : await sign(claims, next.foreignKey ? foreign.privateKey : own.privateKey);
        return json({ access_token: 'at-forged', token_type: 'Bearer', id_token: idToken });
      }
      response.writeHead(404).end();
    })().catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    clientId,
    clientSecret,
    honestClaims: (nonce, sub = `forged-${Math.random().toString(36).slice(2)}`) => {
      const now = Math.floor(Date.now() / 1000);
      return {
        iss: issuer,
        aud: clientId,
        sub,
        nonce,
        iat: now,
        exp: now + 300,
        email: `${sub}@example.com`,
        email_verified: true,
      };
    },
    forge(forgery) {
      next = forgery;
    },
    failDiscovery(on) {
      discoveryDown = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
