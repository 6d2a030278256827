/** What `GET /` answers. */
export class ServiceInfoDto {
  /** @example "whazz-audio-auth" */
  name: string;
  /** @example "2.1.0" */
  version: string;
  /** Swagger UI. @example "/docs" */
  docs: string;
  /** ReDoc. @example "/redoc" */
  redoc: string;
  /** The OpenAPI 3 document. @example "/docs-json" */
  openapi: string;
}
