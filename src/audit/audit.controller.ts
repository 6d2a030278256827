import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../authorization/require-permissions.decorator.js';
import { AuditService } from './audit.service.js';
import { AuditEntryResponseDto, AuditPageResponseDto } from './dto/audit-entry-response.dto.js';
import { ListAuditQueryDto } from './dto/list-audit-query.dto.js';

@ApiTags('admin')
@Controller('admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The audit log of administrative actions, newest first, with filters. */
  @Get()
  @RequirePermissions('audit:read')
  async listAudit(@Query() query: ListAuditQueryDto): Promise<AuditPageResponseDto> {
    const page = await this.audit.list(
      {
        actorUserId: query.actor,
        targetId: query.target_user,
        action: query.action,
        from: query.from,
        to: query.to,
      },
      query.limit,
      query.cursor,
    );
    return {
      entries: page.entries.map((entry) => AuditEntryResponseDto.from(entry)),
      next_cursor: page.nextCursor,
    };
  }
}
