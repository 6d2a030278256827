import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Role } from './role.entity.js';

/**
 * One permission a role grants. Stored by name: the names are defined in code. The relation is
 * one-way: a pair of entity modules importing each other fails under ESM decorator metadata.
 */
@Entity({ name: 'role_permissions' })
export class RolePermission {
  @PrimaryColumn({ name: 'role_id', type: 'uuid', primaryKeyConstraintName: 'PK_role_permissions' })
  roleId: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_role_permissions' })
  permission: string;

  @ManyToOne(() => Role, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'role_id', foreignKeyConstraintName: 'FK_role_permissions_role' })
  role?: Role;
}
