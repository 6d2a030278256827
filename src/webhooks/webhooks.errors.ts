import { ProblemException } from '../common/problem.exception.js';

export class WebhookEndpointNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'webhook-endpoint-not-found',
      title: 'Not Found',
      detail: 'No webhook endpoint has this id.',
    });
  }
}

export class WebhookDeliveryNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'webhook-delivery-not-found',
      title: 'Not Found',
      detail: 'This endpoint has no delivery with this id, or its event was pruned.',
    });
  }
}

/**
 * The URL's host is, or resolves to, a private, loopback or link-local address, and
 * WEBHOOKS_ALLOW_PRIVATE_NETWORKS is off (issue #22: no requests into the service's network).
 */
export class WebhookDestinationRefusedError extends ProblemException {
  constructor(reason: string) {
    super({
      status: 422,
      code: 'webhook-destination-refused',
      title: 'Unprocessable Content',
      detail: `url: ${reason}`,
      errors: [{ field: 'url', message: reason }],
    });
  }
}

/** Production without SIGNING_KEY_ENCRYPTION_KEY: a secret could not be stored sealed. */
export class WebhookSecretsUnavailableError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'webhook-secrets-unavailable',
      title: 'Service Unavailable',
      detail: 'Webhook endpoints cannot be set up on this server yet.',
    });
  }
}
