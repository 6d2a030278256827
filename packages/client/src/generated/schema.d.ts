/**
 * The Whazz Audio Auth API's paths and schemas, from its OpenAPI document.
 * Written by `npm run client:generate` (test/client/schema-drift.e2e-spec.ts); do not edit.
 */

export interface paths {
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What this service is and where its documentation lives. */
        get: operations["AppController_info"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user's active sessions, most recently used first. */
        get: operations["SessionsController_listSessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Ends one of the signed-in user's sessions, e.g. a lost phone. */
        delete: operations["SessionsController_revokeSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The devices the signed-in user's account knows, most recently used first. */
        get: operations["DevicesController_listDevices"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/devices/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Forgets one of the signed-in user's devices, e.g. a lost phone: its sessions end at once,
         *     and its device token no longer spares it the login backoff or the second factor.
         */
        delete: operations["DevicesController_revokeDevice"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Creates an account. Email and username must be free (username ignoring case). */
        post: operations["AuthController_signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchanges a username or email and a password for an access token, a refresh token and the
         *     device token of this client (the one it sent, if the account knows it).
         */
        post: operations["AuthController_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/mfa/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The second step of a login answered `403 mfa-required`: its `mfa_token` and a code from
         *     the authenticator app, or a recovery code (spent). The token works for 5 minutes and 5
         *     codes, from the client that logged in. `remember_device` spares this device the second
         *     step for the next logins (it answers the `device_token` to present then).
         */
        post: operations["AuthController_verifySecondFactor"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchanges a refresh token for a new pair; the old refresh token stops working. The same
         *     token presented again within REFRESH_REUSE_GRACE_SECONDS (default 10) of its exchange,
         *     while the new one is unused, gets that same new refresh token and a fresh access token
         *     (concurrent refreshes, a lost response). Later, or once the new one was used, presenting
         *     it ends its whole session.
         */
        post: operations["AuthController_refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user, with the roles they hold and the permissions those grant now. */
        get: operations["AuthController_me"];
        put?: never;
        post?: never;
        /**
         * Deletes the account with its sessions and history; the email and username become free.
         *     The only active administrator cannot (409 `last-administrator`).
         */
        delete: operations["AccountController_deleteAccount"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ends this session: its access token and its refresh token stop working at once. */
        post: operations["AuthController_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ends every session of the signed-in user, this one included. */
        post: operations["AuthController_logoutAll"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/roles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every role, with its permissions and how many accounts hold it. */
        get: operations["AdminRolesController_listRoles"];
        put?: never;
        /** Creates a custom role. */
        post: operations["AdminRolesController_createRole"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/roles/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Deletes a custom role. Refused (409 `role-in-use`) while anyone holds it, unless
         *     `reassign_to` names the role they get instead.
         */
        delete: operations["AdminRolesController_deleteRole"];
        options?: never;
        head?: never;
        /** Renames a custom role; built-in roles keep their names (409). */
        patch: operations["AdminRolesController_renameRole"];
        trace?: never;
    };
    "/admin/roles/{name}/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Replaces a role's permissions; `admin` always holds every permission (409). */
        put: operations["AdminRolesController_setRolePermissions"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}/roles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Replaces the account's roles; takes effect on every instance within a second. The last
         *     active administrator cannot lose `admin` (409 `last-administrator`).
         */
        put: operations["AdminUserRolesController_setUserRoles"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every key ever published, newest first, with its state now. */
        get: operations["AdminKeysController_listKeys"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publishes a new key at once; it signs after SIGNING_KEY_ACTIVATION_DELAY_SECONDS, and the
         *     key it replaces is retired once every token it signed has expired. 409 while a rotation is
         *     pending or under JWT_SIGNING_ALGORITHM=HS256.
         */
        post: operations["AdminKeysController_rotateKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{kid}/retire": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Withdraws a key now: the tokens it signed are refused from now on (a key thought
         *     compromised). 409 for the key that signs: rotate first.
         */
        post: operations["AdminKeysController_retireKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publishes a private key brought from elsewhere (a file, an HSM export) on the rotation's
         *     schedule: sealed in the database, in the JWKS at once, signing after the delay. 422 for a
         *     key that cannot sign under JWT_SIGNING_ALGORITHM, 409 for one already in the store or
         *     while a rotation is pending. The response is the public view only.
         */
        post: operations["AdminKeysController_importKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: 200 when the database answers within 1.5 s, 503 (problem details) when not,
         *     and from SIGTERM on while the instance drains (SHUTDOWN_DRAIN_SECONDS).
         */
        get: operations["HealthController_check"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while the process can answer at all; checks nothing else. */
        get: operations["HealthController_live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit log of administrative actions, newest first, with filters. */
        get: operations["AuditController_listAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Accounts, with search, filters, sorting and cursor pagination. */
        get: operations["AdminUsersController_listUsers"];
        put?: never;
        /** Opens an account, optionally mailing it a set-password link. */
        post: operations["AdminUsersController_createUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One account with its roles, active sessions and recent security events. */
        get: operations["AdminUsersController_getUser"];
        put?: never;
        post?: never;
        /** Deletes the account; the last active administrator cannot be deleted (409). */
        delete: operations["AdminUsersController_deleteUser"];
        options?: never;
        head?: never;
        /** Changes the email, username or `is_active` (false disables, as `.../disable` does). */
        patch: operations["AdminUsersController_updateUser"];
        trace?: never;
    };
    "/admin/users/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Disables the account and ends its sessions, until enabled or until `until`. */
        post: operations["AdminUsersController_disableUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enables a disabled account again, lifting a ban before its end. */
        post: operations["AdminUsersController_enableUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}/sessions/revoke-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ends every session of the account, as its owner's logout-all does. */
        post: operations["AdminUsersController_revokeAllSessions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}/password-reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mails the account a password-reset link. */
        post: operations["AdminUsersController_sendPasswordReset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}/mfa/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Removes the account's second factors and recovery codes, for an owner who lost their
         *     authenticator app and proved who they are another way. Every session ends (its devices
         *     are forgotten), the owner is mailed and sees `mfa_reset_by_admin` in their events; the
         *     audit entry records which methods went and `reason`. 409 `mfa-not-enabled` when it has
         *     none. Needs your own second factor within 5 minutes, if you have one.
         */
        post: operations["AdminUsersController_resetSecondFactor"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{id}/impersonate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Opens a session of the account for support and answers its tokens, as a login does. It
         *     ends `IMPERSONATION_MAX_MINUTES` (at most 60) after it starts, refreshes included; its
         *     access tokens carry `act: {"sub": "<your user id>"}` (RFC 8693). It cannot change the
         *     password or email, delete the account, or use any /admin route. The owner sees it in
         *     their sessions and events. Administrators cannot be impersonated (403), nor yourself
         *     (422), nor a disabled account (409).
         */
        post: operations["AdminUsersController_impersonateUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oauth/{provider}/authorize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Starts a sign-in with the provider: answers a redirect to it (with `state`, PKCE S256 and,
         *     for OpenID Connect, `nonce`). The sign-in returns to `redirect_uri` within 10 minutes. A
         *     `redirect_uri` that is not https needs the app's own `code_challenge` (400
         *     `code-challenge-required`).
         */
        get: operations["OAuthController_authorize"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oauth/{provider}/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Where the provider returns. Answers a redirect to the app's `redirect_uri` with a
         *     one-time `code` (a linking: `link_code`), or with `error=` (`access_denied`,
         *     `provider_error`, `invalid_provider_response`, `temporarily_unavailable`); the app's
         *     `state` comes back too. Never a token in a URL. A missing, unknown, expired or used
         *     `state` answers 400 `invalid-oauth-state` as JSON: there is no app to return to.
         */
        get: operations["OAuthController_callback"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oauth/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchanges the one-time code from the redirect for a token pair. A provider account not
         *     yet known whose email belongs to an account is linked only when both sides verified
         *     that address (else `409 identity-link-required`); one matching no account opens one.
         */
        post: operations["OAuthController_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oauth/{provider}/link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Starts linking the provider to the signed-in account: open `authorization_url` in the
         *     browser (a redirect could not carry the bearer token). The provider returns to
         *     `redirect_uri` with a one-time `link_code`, which POST /auth/oauth/link/complete takes
         *     with this account's bearer token. Needs `current_password` when the account has one, else
         *     a sign-in of the last 5 minutes.
         */
        post: operations["OAuthController_link"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oauth/link/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Links the provider account the `link_code` stands for, when this bearer token's account is
         *     the one that started linking. `409 identity-in-use` when it already signs in another.
         */
        post: operations["OAuthController_completeLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/identities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The providers that sign the signed-in user in, oldest link first. */
        get: operations["IdentitiesController_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/identities/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Unlinks a provider; refused (409) when the account would be left no way to sign in. */
        delete: operations["IdentitiesController_unlink"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every endpoint; secrets are never listed. */
        get: operations["AdminWebhooksController_listWebhookEndpoints"];
        put?: never;
        /** Registers an endpoint; the answer carries its signing secret, this once. */
        post: operations["AdminWebhooksController_createWebhookEndpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One endpoint; its secret is never shown again. */
        get: operations["AdminWebhooksController_getWebhookEndpoint"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Changes the URL, event types or description; `enabled` disables or enables it. */
        patch: operations["AdminWebhooksController_updateWebhookEndpoint"];
        trace?: never;
    };
    "/admin/webhooks/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A new signing secret, answered this once; the previous one keeps signing beside it for
         *     `WEBHOOKS_SECRET_OVERLAP_HOURS`.
         */
        post: operations["AdminWebhooksController_rotateWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/webhooks/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queues a `webhook.test` event to this endpoint alone. */
        post: operations["AdminWebhooksController_sendWebhookTest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The endpoint's deliveries, newest first, with status, attempts and response code. */
        get: operations["AdminWebhooksController_listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sends the delivery's event again, as a new delivery with the same `webhook-id`. */
        post: operations["AdminWebhooksController_redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user's security events (logins, failures, logouts...), newest first. */
        get: operations["SecurityEventsController_listEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The public keys (RFC 7517). Cacheable for SIGNING_KEY_ACTIVATION_DELAY_SECONDS: a new key
         *     is published that long before it signs.
         */
        get: operations["WellKnownController_jwks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/openid-configuration": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Discovery (OpenID Connect Discovery 1.0, RFC 8414): issuer, `jwks_uri`, algorithms. */
        get: operations["WellKnownController_openIdConfiguration"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/verify-email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Follows the link of a verification mail, or of a new-address confirmation. */
        post: operations["AccountController_verifyEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/verify-email/request": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mails a new verification link if an account has this address and it is not verified yet;
         *     the answer is the same either way. Needs no session: with REQUIRE_VERIFIED_EMAIL an
         *     unverified account cannot sign in to ask for one.
         */
        post: operations["AccountController_requestVerification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/verify-email/resend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mails a new verification link to the signed-in user; nothing if already verified. */
        post: operations["AccountController_resendVerification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/forgot-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mails a reset link if an account has this address. The answer is the same either way. */
        post: operations["AccountController_forgotPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/reset-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sets a new password with the token from the reset mail; every session is signed out. */
        post: operations["AccountController_resetPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/change-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Changes the password; every other session is signed out, this one stays. An account with
         *     no password (opened through a provider) gets 409 `password-not-set`: forgot password sets
         *     one. So do the email change and the deletion.
         */
        post: operations["AccountController_changePassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/change-email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mails a confirmation link to the new address; the email changes once it is followed. */
        post: operations["AccountController_changeEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/mfa": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What second factors the account has, and how many recovery codes remain. */
        get: operations["MfaController_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/mfa/totp/setup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Starts a TOTP setup: a new secret, its `otpauth://` URI and QR code. Nothing changes
         *     until it is confirmed; 409 `mfa-already-enabled` while one is on (disable it first). An
         *     account without a password (opened through a provider) sends none: a sign-in of the last
         *     5 minutes confirms it instead (else 403 `recent-sign-in-required`).
         */
        post: operations["MfaController_setup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/mfa/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turns TOTP on with a code from the app; answers the recovery codes, shown once. On a
         *     session limited to enrolment (`mfa-enrolment-required`), the next POST /auth/refresh
         *     answers tokens that reach every route, with `amr` `["pwd","otp"]`.
         */
        post: operations["MfaController_confirm"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/mfa/recovery-codes/regenerate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * New recovery codes; the earlier ones stop working. Needs the password (for an account
         *     without one, a sign-in of the last 5 minutes) and a code.
         */
        post: operations["MfaController_regenerateRecoveryCodes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/mfa/totp/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turns TOTP off; every other session is signed out. Needs the password (for an account
         *     without one, a sign-in of the last 5 minutes) and a code.
         */
        post: operations["MfaController_disable"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ServiceInfoDto: {
            /** @example whazz-audio-auth */
            name: string;
            /** @example 2.1.0 */
            version: string;
            /**
             * @description Swagger UI.
             * @example /docs
             */
            docs: string;
            /**
             * @description ReDoc.
             * @example /redoc
             */
            redoc: string;
            /**
             * @description The OpenAPI 3 document.
             * @example /docs-json
             */
            openapi: string;
        };
        SessionResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description When its refresh token was last exchanged (or the login, if never).
             * @example 2026-11-25T09:30:00.000Z
             */
            last_used_at: string;
            /**
             * Format: date-time
             * @description When it ends unless refreshed again.
             * @example 2026-11-25T09:30:00.000Z
             */
            expires_at: string;
            /**
             * Format: date-time
             * @description When that login authenticated; refreshes keep it.
             * @example 2026-11-25T09:30:00.000Z
             */
            auth_time: string;
            id: string;
            /** @description The User-Agent of the client that last used this session. */
            user_agent: string | null;
            /** @description The client address that last used this session. */
            ip_address: string | null;
            /** @description True for the session of the access token that made this request. */
            current: boolean;
            /**
             * @description Opened by an administrator acting as you, for support (issue #19); it ends within the
             *     hour, and you can end it now like any other.
             */
            impersonated: boolean;
            /**
             * @description That administrator's username, when the service is configured to show it
             *     (ADMIN_IDENTITY_VISIBLE_TO_USERS); null otherwise.
             */
            impersonator: string | null;
            /**
             * @description How its login authenticated (RFC 8176): `pwd`, plus `otp` with a second factor. Empty
             *     for a session an administrator opened.
             * @example [
             *       "pwd",
             *       "otp"
             *     ]
             */
            amr: string[];
        };
        KnownDeviceResponseDto: {
            /**
             * Format: date-time
             * @description Its first login.
             * @example 2026-11-25T09:30:00.000Z
             */
            first_login_at: string;
            /**
             * Format: date-time
             * @description Its last login.
             * @example 2026-11-25T09:30:00.000Z
             */
            last_login_at: string;
            /**
             * Format: date-time
             * @description When it is forgotten unless it logs in again.
             * @example 2026-11-25T09:30:00.000Z
             */
            expires_at: string;
            /**
             * Format: date-time
             * @description Until when a login from it skips the second factor ("remember this device"); else null.
             * @example 2026-11-25T09:30:00.000Z
             */
            remembered_until: string | null;
            id: string;
            /** @description The ids of its active sessions (as `GET /auth/sessions` lists them); forgetting it ends them. */
            session_ids: string[];
            /** @description The User-Agent of the last login from it. */
            user_agent: string | null;
            /** @description The client address of the last login from it. */
            ip_address: string | null;
        };
        SignupDto: {
            /**
             * @description Stored trimmed and lower-cased; at most 254 characters.
             * @example alice@example.com
             */
            email: string;
            /**
             * @description 3 to 32 of `A-Z a-z 0-9 _ . -`, at least one a letter or digit; shown as typed. Unique
             *     ignoring case and look-alikes: `biII`, `b1ll` and `BILL` are all `bill`.
             * @example alice
             */
            username: string;
            /**
             * @description At least 8 characters and at most 72 bytes of UTF-8, after NFKC normalisation.
             * @example correct horse battery staple
             */
            password: string;
        };
        UserResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /** @example 3f0c8a52-7f4e-4a55-9d55-0c1a0c3f4d1e */
            id: string;
            /**
             * @description Lower-cased.
             * @example alice@example.com
             */
            email: string;
            /**
             * @description As chosen at signup; unique ignoring case.
             * @example alice
             */
            username: string;
            /** @description False when the account has been disabled; it cannot log in. */
            is_active: boolean;
            /** @description True once the link mailed to `email` was followed. */
            email_verified: boolean;
        };
        LoginDto: {
            /**
             * @description The username or the email address, either in any case.
             * @example alice
             */
            username_or_email: string;
            /** @example correct horse battery staple */
            password: string;
            /**
             * @description The `device_token` an earlier login on this client answered, if it kept one (issue #20):
             *     a device the account knows is not held back by the backoff others cause. A token that is
             *     unknown, expired or another account's counts as none (and a new one is answered).
             * @example Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgcmVhbCB0b2tlbg
             */
            device_token?: string;
            /**
             * @description Ask for a device token (the answer's `device_token`) without having one yet. Off by
             *     default, so that a client that never sends one back gets the FastAPI token pair as before.
             * @example true
             */
            request_device_token?: boolean;
        };
        LoginResponseDto: {
            /**
             * @description Only when the login sent `device_token` or `request_device_token` (issue #20): identifies
             *     this client to later logins, which send it back as `device_token`. It stays the same while
             *     the device is known; keep it as safely as the refresh token.
             */
            device_token?: string;
            /** @description A JWT to send as `Authorization: Bearer <access_token>`. */
            access_token: string;
            /** @description Opaque; exchange it at `POST /auth/refresh` for a new pair. It works once. */
            refresh_token: string;
            /**
             * @description Always `bearer`.
             * @enum {string}
             */
            token_type: "bearer";
            /**
             * @description Seconds until the access token expires.
             * @example 900
             */
            expires_in: number;
        };
        MfaVerifyDto: {
            /** @description The `mfa_token` of the login's `mfa-required` answer. It works for 5 minutes, 5 codes. */
            mfa_token: string;
            /**
             * @description The code the authenticator app shows now.
             * @example 123456
             */
            code?: string;
            /**
             * @description One of the recovery codes, instead of `code`; it is spent.
             * @example abcd-efgh-ijkl-mnop
             */
            recovery_code?: string;
            /**
             * @description Remember this device: its next logins skip the second step for
             *     `MFA_REMEMBER_DEVICE_DAYS` (30 by default). The answer's `device_token` is what the
             *     client presents then (as `device_token` on POST /auth/login).
             * @example true
             */
            remember_device?: boolean;
            /**
             * @description The `device_token` an earlier login on this client answered, if it kept one (issue #20):
             *     a device the account knows is not held back by the backoff others cause. A token that is
             *     unknown, expired or another account's counts as none (and a new one is answered).
             * @example Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgcmVhbCB0b2tlbg
             */
            device_token?: string;
            /**
             * @description Ask for a device token (the answer's `device_token`) without having one yet. Off by
             *     default, so that a client that never sends one back gets the FastAPI token pair as before.
             * @example true
             */
            request_device_token?: boolean;
        };
        RefreshTokenDto: {
            /**
             * @description The refresh token from the last login or refresh. It can be used once. Room for an access
             *     token (an EdDSA one with its `kid` passes 512 characters): sent here by mistake, it is
             *     answered as a wrong token (401), not a malformed body.
             */
            refresh_token: string;
        };
        TokenPairResponseDto: {
            /** @description A JWT to send as `Authorization: Bearer <access_token>`. */
            access_token: string;
            /** @description Opaque; exchange it at `POST /auth/refresh` for a new pair. It works once. */
            refresh_token: string;
            /**
             * @description Always `bearer`.
             * @enum {string}
             */
            token_type: "bearer";
            /**
             * @description Seconds until the access token expires.
             * @example 900
             */
            expires_in: number;
        };
        MeResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /** @example 3f0c8a52-7f4e-4a55-9d55-0c1a0c3f4d1e */
            id: string;
            /**
             * @description Lower-cased.
             * @example alice@example.com
             */
            email: string;
            /**
             * @description As chosen at signup; unique ignoring case.
             * @example alice
             */
            username: string;
            /** @description False when the account has been disabled; it cannot log in. */
            is_active: boolean;
            /** @description True once the link mailed to `email` was followed. */
            email_verified: boolean;
            /**
             * @description The roles the account holds, sorted.
             * @example [
             *       "support"
             *     ]
             */
            roles: string[];
            /**
             * @description Every permission those roles grant, sorted.
             * @example [
             *       "sessions:revoke",
             *       "users:read"
             *     ]
             */
            permissions: string[];
        };
        MessageResponseDto: {
            /** @example Successfully logged out */
            message: string;
        };
        LogoutAllResponseDto: {
            /** @example Successfully logged out */
            message: string;
            /** @description How many sessions were ended, the current one included. */
            revoked_sessions: number;
        };
        RoleResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /** @example support */
            name: string;
            /** @description `admin` and `support`: cannot be renamed or deleted; `admin`'s permissions are fixed. */
            built_in: boolean;
            /**
             * @description Sorted.
             * @example [
             *       "sessions:revoke",
             *       "users:read",
             *       "users:reset-password"
             *     ]
             */
            permissions: string[];
            /** @description How many accounts hold the role. */
            holders: number;
        };
        CreateRoleDto: {
            /** @example billing */
            name: string;
            /**
             * @description Permissions named in code (see GET /admin/roles or docs/api.md); an unknown one is a 422
             *     naming it.
             * @example [
             *       "users:read"
             *     ]
             */
            permissions: string[];
        };
        RenameRoleDto: {
            /**
             * @description The new name.
             * @example billing-support
             */
            name: string;
        };
        SetRolePermissionsDto: {
            /**
             * @description Replaces the role's permissions; an unknown one is a 422 naming it.
             * @example [
             *       "users:read"
             *     ]
             */
            permissions: string[];
        };
        SetUserRolesDto: {
            /**
             * @description Replaces the account's roles; an unknown one is a 422 naming it.
             * @example [
             *       "support"
             *     ]
             */
            roles: string[];
        };
        UserRolesResponseDto: {
            user_id: string;
            /**
             * @description The roles the account now holds, sorted.
             * @example [
             *       "support"
             *     ]
             */
            roles: string[];
        };
        SigningKeyResponseDto: {
            /**
             * @description `pending`: published, signs from `active_from`; `signing`: signs new tokens; `superseded`:
             *     still published for the tokens it signed; `retired`: withdrawn, its tokens are refused.
             * @example signing
             * @enum {string}
             */
            state: "pending" | "signing" | "superseded" | "retired";
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            published_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            active_from: string;
            /**
             * Format: date-time
             * @example null
             */
            retired_at: string | null;
            /**
             * @description The `kid` of the tokens it signs.
             * @example kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k
             */
            kid: string;
            /** @example EdDSA */
            algorithm: string;
        };
        ImportSigningKeyDto: {
            /**
             * @description The private key to publish: a PEM (PKCS #8, `-----BEGIN PRIVATE KEY-----`) or a private
             *     JWK (with `d`) as a JSON string. Ed25519 under EdDSA, P-256 under ES256. Never echoed.
             */
            private_key: string;
        };
        AuditEntryResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            occurred_at: string;
            /** @description The changed fields only; never a password hash or another secret */
            before: {
                [key: string]: unknown;
            } | null;
            /** @description The changed fields only; never a password hash or another secret */
            after: {
                [key: string]: unknown;
            } | null;
            id: string;
            /** @description The administrator's user id; null for the command line or the service itself. */
            actor_user_id: string | null;
            /**
             * @description The administrator's username at the time, or `cli` / `system`.
             * @example alice
             */
            actor: string;
            /** @example user.disabled */
            action: string;
            /** @example user */
            target_type: string;
            target_id: string | null;
            /** @description The reason the administrator gave. */
            reason: string | null;
            /** @description The administrator's client address. */
            ip_address: string | null;
            /** @description The X-Request-Id of the request that made the change. */
            request_id: string | null;
        };
        AuditPageResponseDto: {
            entries: components["schemas"]["AuditEntryResponseDto"][];
            /** @description Pass as `cursor` for the next, older page; null when there is none. */
            next_cursor: string | null;
        };
        AdminUserResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /**
             * Format: date-time
             * @description When a ban lifts by itself; null when not disabled, or disabled until enabled.
             * @example 2026-11-25T09:30:00.000Z
             */
            disabled_until: string | null;
            /**
             * @example [
             *       "support"
             *     ]
             */
            roles: string[];
            /** @example 3f0c8a52-7f4e-4a55-9d55-0c1a0c3f4d1e */
            id: string;
            /**
             * @description Lower-cased.
             * @example alice@example.com
             */
            email: string;
            /**
             * @description As chosen at signup; unique ignoring case.
             * @example alice
             */
            username: string;
            /** @description False when the account has been disabled; it cannot log in. */
            is_active: boolean;
            /** @description True once the link mailed to `email` was followed. */
            email_verified: boolean;
        };
        AdminUserPageResponseDto: {
            users: components["schemas"]["AdminUserResponseDto"][];
            /** @description Pass as `cursor` (with the same filters and order) for the next page; null at the end. */
            next_cursor: string | null;
        };
        SecurityEventResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            id: string;
            /**
             * @example login_failed
             * @enum {string}
             */
            type: "signup" | "email_verified" | "login_succeeded" | "login_failed" | "login_backoff" | "login_rate_limited" | "refresh_token_reused" | "logout" | "logout_all" | "session_revoked" | "email_change_requested" | "email_changed" | "password_changed" | "password_reset_requested" | "password_reset" | "account_created_by_administrator" | "account_updated_by_administrator" | "disabled_by_administrator" | "enabled_by_administrator" | "ban_ended" | "sessions_ended_by_administrator" | "password_reset_sent_by_administrator" | "roles_changed" | "impersonated_by_administrator" | "device_revoked" | "device_remembered" | "oauth_login" | "identity_linked" | "identity_unlinked" | "mfa_enabled" | "mfa_disabled" | "mfa_failed" | "recovery_code_used" | "recovery_codes_regenerated" | "mfa_reset_by_admin";
            /** @description Why, for failures, e.g. `wrong_password`. */
            reason: string | null;
            /** @description The client address, as the service saw it (see TRUST_PROXY). */
            ip_address: string | null;
            user_agent: string | null;
            /** @description The id the service gave the request that caused it: that answer's X-Request-Id header. */
            request_id: string | null;
            /**
             * @description For an administrator's action: their username, when the service is configured to show it
             *     (ADMIN_IDENTITY_VISIBLE_TO_USERS); null otherwise.
             */
            administrator: string | null;
        };
        AdminUserDetailResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /**
             * Format: date-time
             * @description When a ban lifts by itself; null when not disabled, or disabled until enabled.
             * @example 2026-11-25T09:30:00.000Z
             */
            disabled_until: string | null;
            /**
             * @example [
             *       "support"
             *     ]
             */
            roles: string[];
            /** @example 3f0c8a52-7f4e-4a55-9d55-0c1a0c3f4d1e */
            id: string;
            /**
             * @description Lower-cased.
             * @example alice@example.com
             */
            email: string;
            /**
             * @description As chosen at signup; unique ignoring case.
             * @example alice
             */
            username: string;
            /** @description False when the account has been disabled; it cannot log in. */
            is_active: boolean;
            /** @description True once the link mailed to `email` was followed. */
            email_verified: boolean;
            sessions: components["schemas"]["SessionResponseDto"][];
            /** @description The newest first; the rest at the user's own `GET /auth/events`. */
            recent_events: components["schemas"]["SecurityEventResponseDto"][];
        };
        CreateAdminUserDto: {
            /**
             * @description Same rules as signup.
             * @example bob
             */
            username: string;
            /** @example bob@example.com */
            email: string;
            /**
             * @description A first password, same rules as signup. Without it the account has none that anyone
             *     knows: send `send_set_password_link`, or its owner uses "Forgot password".
             */
            password?: string;
            /** @description Mails a set-password link (the password-reset link) to `email`. */
            send_set_password_link?: boolean;
        };
        UpdateAdminUserDto: {
            /** @description Same rules as signup. */
            username?: string;
            /** @description A new address; it is unverified until the link mailed there is followed. */
            email?: string;
            /** @description `false` disables the account as `POST .../disable` does (sessions end); `true` enables it. */
            is_active?: boolean;
        };
        DisableAdminUserDto: {
            /**
             * @description Why, for the audit log (never shown to the user).
             * @example Chargeback fraud, ticket 4711
             */
            reason: string;
            /**
             * Format: date-time
             * @description When the ban lifts by itself (RFC 3339, in the future); absent: until enabled.
             */
            until?: string;
        };
        AdminActionReasonDto: {
            /** @description Why, for the audit log. */
            reason?: string;
        };
        SessionsRevokedResponseDto: {
            /** @description How many sessions were live and are now ended. */
            sessions_revoked: number;
        };
        ResetUserMfaDto: {
            /**
             * @description Why, for the audit log (never shown to the user): how the owner proved who they are.
             * @example Lost phone; identity checked by video call, ticket 4711
             */
            reason: string;
        };
        MfaResetResponseDto: {
            /**
             * @description The second-factor methods the account had, now removed.
             * @example [
             *       "totp",
             *       "recovery_code"
             *     ]
             */
            removed_methods: string[];
            /** @description How many sessions were live and are now ended. */
            sessions_revoked: number;
        };
        ImpersonateUserDto: {
            /**
             * @description Why, for the audit log (never shown to the user): the support ticket, say.
             * @example Ticket 4711: playlist export fails
             */
            reason: string;
        };
        OAuthTokenDto: {
            /**
             * @description The `code` the redirect to the app carried: works once, for 60 seconds.
             * @example p5yq2m0H0b8C3rJwq0mT2b4J6pRzJ3Xx2Wc1L9a8kQ4
             */
            code: string;
            /**
             * @description The PKCE verifier (RFC 7636) whose `code_challenge` went with the authorize request, when
             *     one did; required then.
             * @example dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
             */
            code_verifier?: string;
        };
        LinkProviderDto: {
            /**
             * @description The app URL to return to: exactly one of `OAUTH_REDIRECT_URIS` (no trailing-slash or case
             *     leniency).
             * @example https://app.whazz.audio/oauth/done
             */
            redirect_uri: string;
            /**
             * @description The app's own value, returned unchanged as `state` in the redirect to `redirect_uri`: the
             *     app checks it to know the sign-in is the one it started.
             * @example k3J9x0v2
             */
            state?: string;
            /**
             * @description The app's PKCE challenge (RFC 7636): BASE64URL(SHA-256(code_verifier)). Required when
             *     `redirect_uri` is not https (a custom scheme or loopback http, RFC 8252 §8.1): another app
             *     may register the same scheme and catch the code, which then needs the verifier.
             * @example E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
             */
            code_challenge?: string;
            /**
             * @description Only `S256`; required with `code_challenge`.
             * @example S256
             * @enum {string}
             */
            code_challenge_method?: "S256";
            /**
             * @description The account's password, required when it has one: a stolen access token alone must not
             *     add a way in. An account without one needs a sign-in of the last 5 minutes instead.
             */
            current_password?: string;
        };
        LinkProviderResponseDto: {
            /**
             * @description Open this in the browser; the provider returns to `redirect_uri` with a one-time
             *     `link_code` (for POST /auth/oauth/link/complete) or `error=`.
             * @example https://accounts.google.com/o/oauth2/v2/auth?client_id=...&state=...
             */
            authorization_url: string;
        };
        CompleteLinkDto: {
            /**
             * @description The `link_code` the redirect to the app carried: works once, for 60 seconds, and only with
             *     the bearer token of the account that started linking.
             * @example p5yq2m0H0b8C3rJwq0mT2b4J6pRzJ3Xx2Wc1L9a8kQ4
             */
            code: string;
            /**
             * @description The PKCE verifier whose challenge went with linking's start, when one did.
             * @example dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
             */
            code_verifier?: string;
        };
        IdentityResponseDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            last_used_at: string;
            /** @example 6a1e4a0e-2f6b-4f39-8d7e-3b2a1c0d9e8f */
            id: string;
            /**
             * @description The configured provider name.
             * @example google
             */
            provider: string;
            /**
             * @description The address the provider gave at the last sign-in, if any.
             * @example alice@gmail.com
             */
            email: string | null;
            /** @description Whether the provider said it verified `email`. */
            email_verified: boolean;
        };
        WebhookEndpointResponseDto: {
            /**
             * @description `administrator`, or `failing` (a day of failed deliveries); null while enabled.
             * @example null
             * @enum {string|null}
             */
            disabled_reason: "administrator" | "failing" | null;
            /**
             * Format: date-time
             * @description Until when the previous secret still signs too (after a rotation).
             * @example null
             */
            previous_secret_expires_at: string | null;
            /**
             * Format: date-time
             * @description When the current streak of failed deliveries began; null after a success.
             * @example null
             */
            failing_since: string | null;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /** @example 0b6f3c57-3f0e-4a8e-9a4f-1d2c3b4a5e6f */
            id: string;
            /** @example https://billing.whazz.audio/hooks/auth */
            url: string;
            /** @example Billing: closes subscriptions of deleted accounts */
            description: string | null;
            /**
             * @description Empty: every event type.
             * @example [
             *       "user.created",
             *       "user.deleted"
             *     ]
             */
            events: string[];
            enabled: boolean;
        };
        CreateWebhookEndpointDto: {
            /**
             * @description Where events are POSTed.
             * @example https://billing.whazz.audio/hooks/auth
             */
            url: string;
            /**
             * @description Event types to deliver; omitted or empty: every type.
             * @example [
             *       "user.created",
             *       "user.deleted"
             *     ]
             */
            events?: string[];
            /**
             * @description For administrators' eyes.
             * @example Billing: closes subscriptions of deleted accounts
             */
            description?: string;
        };
        WebhookEndpointWithSecretResponseDto: {
            /**
             * @description `administrator`, or `failing` (a day of failed deliveries); null while enabled.
             * @example null
             * @enum {string|null}
             */
            disabled_reason: "administrator" | "failing" | null;
            /**
             * Format: date-time
             * @description Until when the previous secret still signs too (after a rotation).
             * @example null
             */
            previous_secret_expires_at: string | null;
            /**
             * Format: date-time
             * @description When the current streak of failed deliveries began; null after a success.
             * @example null
             */
            failing_since: string | null;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            updated_at: string;
            /** @example 0b6f3c57-3f0e-4a8e-9a4f-1d2c3b4a5e6f */
            id: string;
            /** @example https://billing.whazz.audio/hooks/auth */
            url: string;
            /** @example Billing: closes subscriptions of deleted accounts */
            description: string | null;
            /**
             * @description Empty: every event type.
             * @example [
             *       "user.created",
             *       "user.deleted"
             *     ]
             */
            events: string[];
            enabled: boolean;
            /**
             * @description Verifies `webhook-signature` (Standard Webhooks). Store it now.
             * @example whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
             */
            secret: string;
        };
        UpdateWebhookEndpointDto: {
            url?: string;
            /**
             * @description Replaces the list; empty: every type.
             * @example [
             *       "user.updated"
             *     ]
             */
            events?: string[];
            /** @description Null removes it. */
            description?: string | null;
            /** @description `false` disables it (events meanwhile are not queued for it); `true` enables it again. */
            enabled?: boolean;
        };
        WebhookDeliveryResponseDto: {
            /**
             * @description `pending` (waiting or retrying), `delivered`, or `failed` (given up).
             * @enum {string}
             */
            status: "pending" | "delivered" | "failed";
            /**
             * Format: date-time
             * @description When a pending delivery is next tried.
             * @example 2026-11-25T09:30:00.000Z
             */
            next_attempt_at: string;
            /**
             * Format: date-time
             * @example null
             */
            last_attempt_at: string | null;
            /**
             * Format: date-time
             * @example null
             */
            delivered_at: string | null;
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            created_at: string;
            /** @example 1042 */
            id: string;
            /**
             * @description The event's id: the `webhook-id` header.
             * @example 5f1d7c9e-2b1a-4c3d-8e9f-0a1b2c3d4e5f
             */
            event_id: string;
            /** @example user.updated */
            event_type: string;
            /** @description The user the event concerns; null for `webhook.test`. */
            user_id: string | null;
            /**
             * @description Attempts made so far.
             * @example 1
             */
            attempts: number;
            /**
             * @description The receiver's HTTP status at the last attempt; null if none answered.
             * @example 200
             */
            response_status: number | null;
            /** @description Why the last attempt failed, in a few words. */
            last_error: string | null;
        };
        SecurityEventPageResponseDto: {
            events: components["schemas"]["SecurityEventResponseDto"][];
            /** @description Pass as `cursor` to get the next, older page; null when there is none. */
            next_cursor: string | null;
        };
        PublicJwkDto: {
            /**
             * @description `OKP` (Ed25519) or `EC` (P-256).
             * @example OKP
             */
            kty: string;
            /**
             * @description `Ed25519` or `P-256`.
             * @example Ed25519
             */
            crv: string;
            /**
             * @description The public key (base64url).
             * @example 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo
             */
            x: string;
            /** @description The second coordinate, for `EC` keys only. */
            y?: string;
            /**
             * @description What the tokens it signs carry in their `kid` header: the RFC 7638 thumbprint.
             * @example kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k
             */
            kid: string;
            /** @example EdDSA */
            alg: string;
            /** @example sig */
            use: string;
        };
        JwksResponseDto: {
            keys: components["schemas"]["PublicJwkDto"][];
        };
        OpenIdConfigurationResponseDto: {
            /**
             * @description AUTH_PUBLIC_URL: the URL this document is served under, and the `iss` of key-signed tokens.
             * @example https://auth.whazz.audio
             */
            issuer: string;
            /** @example https://auth.whazz.audio/.well-known/jwks.json */
            jwks_uri: string;
            /**
             * @description The algorithms tokens may be signed with now.
             * @example [
             *       "EdDSA"
             *     ]
             */
            id_token_signing_alg_values_supported: string[];
            /**
             * @example [
             *       "public"
             *     ]
             */
            subject_types_supported: string[];
            /**
             * @description This service issues no ID tokens through an authorization endpoint.
             * @example []
             */
            response_types_supported: string[];
        };
        VerifyEmailDto: {
            /** @description The `token` query parameter of the link in the mail. */
            token: string;
        };
        VerificationRequestDto: {
            /**
             * @description A new link goes there if it still needs confirming.
             * @example alice@example.com
             */
            email: string;
        };
        ForgotPasswordDto: {
            /** @example alice@example.com */
            email: string;
        };
        ResetPasswordDto: {
            /** @description The `token` query parameter of the link in the reset mail. */
            token: string;
            /**
             * @description The same rules as at signup.
             * @example a brand new pass phrase
             */
            new_password: string;
        };
        ChangePasswordDto: {
            current_password: string;
            /**
             * @description The same rules as at signup.
             * @example a brand new pass phrase
             */
            new_password: string;
        };
        ChangeEmailDto: {
            /**
             * @description Changes only once the link mailed there is followed.
             * @example alice@new.example
             */
            new_email: string;
            password: string;
        };
        DeleteAccountDto: {
            password: string;
        };
        MfaMethodDto: {
            /**
             * Format: date-time
             * @example 2026-11-25T09:30:00.000Z
             */
            confirmed_at: string;
            /**
             * @example totp
             * @enum {string}
             */
            method: "totp";
        };
        MfaStatusResponseDto: {
            /** @description True when login asks for a second factor. */
            enabled: boolean;
            methods: components["schemas"]["MfaMethodDto"][];
            /** @description Recovery codes not used yet. */
            recovery_codes_remaining: number;
        };
        TotpSetupDto: {
            /**
             * @description The account's password. An account without one (opened through a sign-in provider) sends
             *     none: a sign-in within the last 5 minutes confirms the setup instead.
             */
            password?: string;
        };
        TotpSetupResponseDto: {
            /** @description The secret in base32, for typing into an app by hand. Shown only here. */
            secret: string;
            /** @description `otpauth://totp/...`: what the QR code holds. */
            otpauth_uri: string;
            /** @description The `otpauth_uri` as a QR code, an SVG document. */
            qr_code_svg: string;
        };
        ConfirmTotpDto: {
            /**
             * @description The code the authenticator app shows for the new secret.
             * @example 123456
             */
            code: string;
        };
        RecoveryCodesResponseDto: {
            /**
             * @description Ten codes, each working once instead of the app's code. Shown only now: store them safely.
             * @example [
             *       "abcd-efgh-ijkl-mnop"
             *     ]
             */
            recovery_codes: string[];
        };
        SecondFactorCheckDto: {
            /**
             * @description The account's password. An account without one (opened through a sign-in provider) sends
             *     none: a sign-in within the last 5 minutes stands in for it, with the code still needed.
             */
            password?: string;
            /**
             * @description The code the authenticator app shows now.
             * @example 123456
             */
            code?: string;
            /**
             * @description One of the recovery codes, instead of `code`; it is spent.
             * @example abcd-efgh-ijkl-mnop
             */
            recovery_code?: string;
        };
        FieldErrorDto: {
            /** @description The JSON field, e.g. `email`; `body` when the body as a whole is wrong. */
            field: string;
            /** @description What is wrong with it, in a sentence. */
            message: string;
        };
        ProblemDetailsDto: {
            /** @description A URI naming the kind of problem; `about:blank` when the status says it all. */
            type: string;
            /** @description The HTTP status phrase or a short summary. */
            title: string;
            /** @description The HTTP status code. */
            status: number;
            /** @description What went wrong, in a sentence meant for a person. */
            detail: string;
            /** @description The request path. */
            instance?: string;
            /** @description The request id, also sent as the `x-request-id` header; quote it when reporting a problem. */
            request_id?: string;
            /** @description One entry per invalid field (validation problems only). */
            errors?: components["schemas"]["FieldErrorDto"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    AppController_info: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceInfoDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    SessionsController_listSessions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionResponseDto"][];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    SessionsController_revokeSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    DevicesController_listDevices: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KnownDeviceResponseDto"][];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    DevicesController_revokeDevice: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignupDto"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled, or (type `mfa-required`) has two-step verification: the body carries `mfa_token`, `methods` and `expires_in`; continue at POST /auth/mfa/verify
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_verifySecondFactor: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MfaVerifyDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshTokenDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPairResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The refresh token is unknown or its session ended (type `invalid-refresh-token`), or (type `refresh-token-reused`) an exchanged token came back after the grace or after its successor was used: the session is now revoked
             *
             *     Missing, invalid, expired or revoked credentials
             */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_deleteAccount: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeleteAccountDto"];
            };
        };
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuthController_logoutAll: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LogoutAllResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminRolesController_listRoles: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoleResponseDto"][];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `roles:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminRolesController_createRole: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateRoleDto"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoleResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `roles:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminRolesController_deleteRole: {
        parameters: {
            query?: {
                /** @description The role the holders of the deleted one get instead; required while anyone holds it. */
                reassign_to?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `roles:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminRolesController_renameRole: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RenameRoleDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoleResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `roles:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminRolesController_setRolePermissions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetRolePermissionsDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoleResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `roles:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUserRolesController_setUserRoles: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetUserRolesDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserRolesResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `roles:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminKeysController_listKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SigningKeyResponseDto"][];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `keys:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminKeysController_rotateKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SigningKeyResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `keys:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminKeysController_retireKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                kid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SigningKeyResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `keys:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminKeysController_importKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImportSigningKeyDto"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SigningKeyResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `keys:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    HealthController_check: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    HealthController_live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AuditController_listAudit: {
        parameters: {
            query: {
                /** @description Only actions by this administrator (a user id). */
                actor?: string;
                /** @description Only actions on this user (a user id). */
                target_user?: string;
                /** @description Only this action. */
                action?: string;
                /** @description Only entries at or after this time (RFC 3339). */
                from?: string;
                /** @description Only entries before this time (RFC 3339). */
                to?: string;
                /** @description Entries per page. */
                limit: number;
                /** @description `next_cursor` from the previous page, unchanged: an edited cursor is refused (400). */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `audit:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_listUsers: {
        parameters: {
            query: {
                /** @description Accounts whose email or username starts with this, ignoring case. */
                q?: string;
                /** @description Only enabled (`true`) or disabled (`false`) accounts. */
                active?: boolean;
                /** @description Only accounts whose email is (`true`) or is not (`false`) verified. */
                verified?: boolean;
                /** @description Only holders of this role. */
                role?: string;
                /** @description Only accounts created before this time (RFC 3339). */
                created_before?: string;
                /** @description Only accounts created after this time (RFC 3339). */
                created_after?: string;
                /** @description The order of the pages. */
                sort: "email" | "username" | "created_at";
                order: "asc" | "desc";
                /** @description Accounts per page. */
                limit: number;
                /**
                 * @description `next_cursor` from the previous page, with the same filters and order: an edited cursor,
                 *     or one from another query, is refused (400).
                 */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserPageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_createUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateAdminUserDto"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserDetailResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_deleteUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:delete` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_updateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateAdminUserDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_disableUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DisableAdminUserDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_enableUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminActionReasonDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_revokeAllSessions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminActionReasonDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionsRevokedResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `sessions:revoke` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_sendPasswordReset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminActionReasonDto"];
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:reset-password` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_resetSecondFactor: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResetUserMfaDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MfaResetResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account lacks the permission `users:reset-mfa`
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminUsersController_impersonateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImpersonateUserDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPairResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `users:impersonate` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    OAuthController_authorize: {
        parameters: {
            query: {
                /**
                 * @description The app URL to return to: exactly one of `OAUTH_REDIRECT_URIS` (no trailing-slash or case
                 *     leniency).
                 */
                redirect_uri: string;
                /**
                 * @description The app's own value, returned unchanged as `state` in the redirect to `redirect_uri`: the
                 *     app checks it to know the sign-in is the one it started.
                 */
                state?: string;
                /**
                 * @description The app's PKCE challenge (RFC 7636): BASE64URL(SHA-256(code_verifier)). Required when
                 *     `redirect_uri` is not https (a custom scheme or loopback http, RFC 8252 §8.1): another app
                 *     may register the same scheme and catch the code, which then needs the verifier.
                 */
                code_challenge?: string;
                /** @description Only `S256`; required with `code_challenge`. */
                code_challenge_method?: "S256";
            };
            header?: never;
            path: {
                provider: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description To the provider; `Location` holds its authorization URL */
            302: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    OAuthController_callback: {
        parameters: {
            query?: {
                error?: string;
                code?: string;
                state?: string;
            };
            header?: never;
            path: {
                provider: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description To the app; `Location` holds `redirect_uri` and the answer */
            302: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    OAuthController_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OAuthTokenDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPairResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    OAuthController_link: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path: {
                provider: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LinkProviderDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LinkProviderResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    OAuthController_completeLink: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CompleteLinkDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentityResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    IdentitiesController_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentityResponseDto"][];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    IdentitiesController_unlink: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_listWebhookEndpoints: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointResponseDto"][];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_createWebhookEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhookEndpointDto"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointWithSecretResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_getWebhookEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_updateWebhookEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateWebhookEndpointDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_rotateWebhookSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointWithSecretResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_sendWebhookTest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_listWebhookDeliveries: {
        parameters: {
            query?: {
                /** @description Only deliveries in this state. */
                status?: "pending" | "delivered" | "failed";
                /** @description Deliveries older than this delivery id: the next page. */
                before?: string;
                /** @description Deliveries per page. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryResponseDto"][];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:read` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AdminWebhooksController_redeliverWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                deliveryId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account lacks the permission `webhooks:write` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    SecurityEventsController_listEvents: {
        parameters: {
            query: {
                /** @description Events per page. */
                limit: number;
                /** @description `next_cursor` from the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecurityEventPageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    WellKnownController_jwks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JwksResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    WellKnownController_openIdConfiguration: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenIdConfigurationResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_verifyEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VerifyEmailDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_requestVerification: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VerificationRequestDto"];
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_resendVerification: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_forgotPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForgotPasswordDto"];
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_resetPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResetPasswordDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_changePassword: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePasswordDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    AccountController_changeEmail: {
        parameters: {
            query?: never;
            header?: {
                /** @description For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent). */
                "X-MFA-Code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangeEmailDto"];
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /**
             * @description Malformed JSON
             *
             *     Malformed JSON
             *
             *     Malformed JSON
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The account is disabled
             *
             *     The account is disabled
             */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             *
             *     The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes
             */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Body larger than 100 kB
             *
             *     Body larger than 100 kB
             *
             *     Body larger than 100 kB
             */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             *
             *     The body failed validation; `errors` lists each field
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             *
             *     Too many requests: wait the seconds in `Retry-After`
             */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /**
             * @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             *
             *     The database, password hashing or token signing is unavailable for now: retry after `Retry-After`
             */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    MfaController_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MfaStatusResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    MfaController_setup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TotpSetupDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TotpSetupResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    MfaController_confirm: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConfirmTotpDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveryCodesResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    MfaController_regenerateRecoveryCodes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecondFactorCheckDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveryCodesResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
    MfaController_disable: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecondFactorCheckDto"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageResponseDto"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Missing, invalid, expired or revoked credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The account is disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Conflicts with an existing record */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Body larger than 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The body failed validation; `errors` lists each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description Too many requests: wait the seconds in `Retry-After` */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
            /** @description The database, password hashing or token signing is unavailable for now: retry after `Retry-After` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ProblemDetailsDto"];
                };
            };
        };
    };
}
