export class MessageResponseDto {
  /** @example "Successfully logged out" */
  message: string;
}
