/**
 * The DataSource the TypeORM CLI uses (`npm run migration:*`): same env validation and the
 * same options function as the app, so the two cannot drift apart. With no DATABASE_URL it
 * opens the embedded database; stop the service first, as PGlite allows one process per folder.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfiguration } from './src/config/configuration.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { openDatabaseServer } from './src/database/database-server.js';

const { database } = loadConfiguration();
const server = await openDatabaseServer(database);

export default new DataSource(
  dataSourceOptions({ url: server.url, poolSize: server.embedded ? 1 : 2 }),
);
