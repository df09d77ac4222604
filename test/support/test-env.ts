/** Set by global-setup.ts: a database URL on a server where the tests may create and drop databases. */
export const ADMIN_URL_ENV = 'TASK_SERVICE_TEST_ADMIN_URL';
/** Every database this run creates starts with this prefix, so the teardown can drop them all. */
export const RUN_PREFIX_ENV = 'TASK_SERVICE_TEST_DB_PREFIX';
/** Set by global-setup.ts: the service's URL (any database): an ordinary role, so row-level security holds for it. */
export const APP_URL_ENV = 'TASK_SERVICE_TEST_APP_URL';
/** Set by global-setup.ts: a superuser's URL, to arrange and check rows past row-level security. */
export const SUPERUSER_URL_ENV = 'TASK_SERVICE_TEST_SUPERUSER_URL';
