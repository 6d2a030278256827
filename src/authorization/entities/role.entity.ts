import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A named set of permissions; `admin` and `support` are built in (issue #19). */
@Entity({ name: 'roles' })
@Index('UQ_roles_name', ['name'], { unique: true })
export class Role {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_roles' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  /** Seeded by a migration: cannot be renamed or deleted. */
  @Column({ name: 'built_in', type: 'boolean', default: false })
  builtIn: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
