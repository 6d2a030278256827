import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { dataSourceOptions } from './data-source-options.js';
import { DATABASE_SERVER, openDatabaseServer, type DatabaseServer } from './database-server.js';
import { runPendingMigrations } from './migrations-runner.js';

/** Resolved once pending migrations are applied; nothing serves before that. */
const MIGRATIONS_APPLIED = Symbol('MIGRATIONS_APPLIED');

/**
 * The pool first, then the server under it. Nest runs shutdown hooks from the root module
 * down and global modules last, so TypeORM's (global) pool used to close after the server's
 * own module had stopped the embedded database under it ("Connection terminated
 * unexpectedly" at every shutdown).
 */
@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_SERVER) private readonly server: DatabaseServer,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.server.close();
  }
}

@Module({
  providers: [
    {
      provide: DATABASE_SERVER,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<Configuration, true>) => {
        const server = await openDatabaseServer(config.get('database', { infer: true }));
        new Logger('Database').log(`Using ${server.description}`);
        return server;
      },
    },
  ],
  exports: [DATABASE_SERVER],
})
class DatabaseServerModule {}

@Module({
  imports: [
    DatabaseServerModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseServerModule],
      inject: [ConfigService, DATABASE_SERVER],
      useFactory: (config: ConfigService<Configuration, true>, server: DatabaseServer) => {
        const { poolSize } = config.get('database', { infer: true });
        // PGlite is one session: several pooled connections would interleave transactions.
        return dataSourceOptions({ url: server.url, poolSize: server.embedded ? 1 : poolSize });
      },
      dataSourceFactory: (options) => new DataSource(options!).initialize(),
    }),
  ],
  providers: [
    {
      provide: MIGRATIONS_APPLIED,
      inject: [DataSource, ConfigService],
      useFactory: async (dataSource: DataSource, config: ConfigService<Configuration, true>) => {
        if (!config.get('database', { infer: true }).runMigrations) return [];
        const applied = await runPendingMigrations(dataSource);
        if (applied.length > 0) {
          new Logger('Database').log(
            `Applied migrations: ${applied.map((m) => m.name).join(', ')}`,
          );
        }
        return applied;
      },
    },
    DatabaseCloser,
  ],
})
export class DatabaseModule {}
