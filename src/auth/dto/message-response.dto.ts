export class MessageResponseDto {
  /** @example "Successfully logged out" */
  message: string;
}

export class LogoutAllResponseDto extends MessageResponseDto {
  /** How many sessions were ended, the current one included. */
  revoked_sessions: number;
}
