import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RequirePermissions } from '../authorization/require-permissions.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import { AdminWebhooksService } from './admin-webhooks.service.js';
import { DeliveryIdParam, EndpointIdParam } from './webhook-params.js';
import {
  CreateWebhookEndpointDto,
  ListWebhookDeliveriesQueryDto,
  UpdateWebhookEndpointDto,
} from './dto/webhook-endpoint.dto.js';
import {
  WebhookDeliveryResponseDto,
  WebhookEndpointResponseDto,
  WebhookEndpointWithSecretResponseDto,
} from './dto/webhook-endpoint-response.dto.js';

const DEFAULT_DELIVERIES_PAGE = 50;

/** Webhook endpoints, their secrets and deliveries (issue #22). Every change is audited. */
@ApiTags('admin')
@Controller('admin/webhooks')
export class AdminWebhooksController {
  constructor(private readonly webhooks: AdminWebhooksService) {}

  /** Every endpoint; secrets are never listed. */
  @Get()
  @RequirePermissions('webhooks:read')
  async listWebhookEndpoints(): Promise<WebhookEndpointResponseDto[]> {
    return (await this.webhooks.list()).map((endpoint) =>
      WebhookEndpointResponseDto.from(endpoint),
    );
  }

  /** Registers an endpoint; the answer carries its signing secret, this once. */
  @Post()
  @RequirePermissions('webhooks:write')
  @ApiProblemResponses()
  async createWebhookEndpoint(
    @Body() body: CreateWebhookEndpointDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<WebhookEndpointWithSecretResponseDto> {
    const { endpoint, secret } = await this.webhooks.create({ principal, client }, body);
    return WebhookEndpointWithSecretResponseDto.withSecret(endpoint, secret);
  }

  /** One endpoint; its secret is never shown again. */
  @Get(':id')
  @RequirePermissions('webhooks:read')
  @ApiProblemResponses(404)
  async getWebhookEndpoint(@EndpointIdParam() id: string): Promise<WebhookEndpointResponseDto> {
    return WebhookEndpointResponseDto.from(await this.webhooks.get(id));
  }

  /** Changes the URL, event types or description; `enabled` disables or enables it. */
  @Patch(':id')
  @RequirePermissions('webhooks:write')
  @ApiProblemResponses(404)
  async updateWebhookEndpoint(
    @EndpointIdParam() id: string,
    @Body() body: UpdateWebhookEndpointDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<WebhookEndpointResponseDto> {
    const endpoint = await this.webhooks.update({ principal, client }, id, body);
    return WebhookEndpointResponseDto.from(endpoint);
  }

  /**
   * A new signing secret, answered this once; the previous one keeps signing beside it for
   * `WEBHOOKS_SECRET_OVERLAP_HOURS`.
   */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequirePermissions('webhooks:write')
  @ApiProblemResponses(404)
  async rotateWebhookSecret(
    @EndpointIdParam() id: string,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<WebhookEndpointWithSecretResponseDto> {
    const { endpoint, secret } = await this.webhooks.rotateSecret({ principal, client }, id);
    return WebhookEndpointWithSecretResponseDto.withSecret(endpoint, secret);
  }

  /** Queues a `webhook.test` event to this endpoint alone. */
  @Post(':id/test')
  @HttpCode(202)
  @RequirePermissions('webhooks:write')
  @ApiProblemResponses(404)
  async sendWebhookTest(
    @EndpointIdParam() id: string,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<WebhookDeliveryResponseDto> {
    return WebhookDeliveryResponseDto.from(await this.webhooks.sendTest({ principal, client }, id));
  }

  /** The endpoint's deliveries, newest first, with status, attempts and response code. */
  @Get(':id/deliveries')
  @RequirePermissions('webhooks:read')
  @ApiProblemResponses(404)
  async listWebhookDeliveries(
    @EndpointIdParam() id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<WebhookDeliveryResponseDto[]> {
    const limit = query.limit ?? DEFAULT_DELIVERIES_PAGE;
    const deliveries = await this.webhooks.deliveries(id, { ...query, limit });
    return deliveries.map((delivery) => WebhookDeliveryResponseDto.from(delivery));
  }

  /** Sends the delivery's event again, as a new delivery with the same `webhook-id`. */
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @RequirePermissions('webhooks:write')
  @ApiProblemResponses(404)
  async redeliverWebhook(
    @EndpointIdParam() id: string,
    @DeliveryIdParam() deliveryId: string,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<WebhookDeliveryResponseDto> {
    const delivery = await this.webhooks.redeliver({ principal, client }, id, deliveryId);
    return WebhookDeliveryResponseDto.from(delivery);
  }
}
