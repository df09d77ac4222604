// the embedded development database: what the service, the migration CLI, the tests and the bench use of it
export { APP_DATABASE, APP_ROLE } from './app-database';
export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres';
export { EmbeddedPostgresError } from './errors';
