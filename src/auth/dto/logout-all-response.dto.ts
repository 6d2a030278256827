import { MessageResponseDto } from '../../common/dto/message-response.dto.js';

export class LogoutAllResponseDto extends MessageResponseDto {
  /** How many sessions were ended, the current one included. */
  revoked_sessions: number;
}
