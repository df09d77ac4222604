import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Owner isolation, enforced at lint time: MikroORM applies the `owner` filter only to the calls that apply
 * filters (find, findOne, count, nativeUpdate, nativeDelete, and a QueryBuilder after applyFilters()), so only
 * the tasks data-access file may query Task, and nothing may bypass the ORM. Each rule below has a name, so a
 * file that needs one exception is exempted from that rule alone (see EXEMPTIONS); src/lint-rules.spec.ts shows
 * every rule failing on a bad line.
 */
const SQL_TEXT = String.raw`/\b(select\s[\s\S]*\bfrom\s|insert\s+into|update\s+"?\w+"?\s+set|delete\s+from|alter\s+(table|database|role)|create\s+(table|index|database|role)|drop\s+(table|database|role)|truncate\s)/i`;

export const OWNER_ISOLATION_RULES = {
  taskOutsideDataAccess: [
    ':matches(CallExpression, NewExpression) > Identifier.arguments[name="Task"]',
    ':matches(CallExpression, NewExpression) > Literal.arguments[value="Task"]',
    ':matches(CallExpression, NewExpression) > MemberExpression.arguments[object.name="Task"][property.name="name"]',
    'NewExpression[callee.name="Task"]',
  ].map((selector) => ({
    selector,
    message: 'Task is queried or built only in src/tasks/task.repository.ts, where every query carries the owner filter.',
  })),
  queryBuilderOrRawAccess: [{
    selector: 'CallExpression[callee.property.name=/^(createQueryBuilder|qb|execute|getKysely|getConnection|getEntityManager)$/]',
    message: 'QueryBuilders, execute(), getKysely(), getConnection() and getEntityManager() bypass the owner filter: only src/tasks/task.repository.ts may use them (and must call applyFilters()).',
  }],
  unfilteredWrites: [{
    selector: 'CallExpression[callee.property.name=/^(upsert|upsertMany|insert|insertMany|nativeInsert|getReference|merge)$/]',
    message: 'These calls take no filter (an owner could come from the client): write owned rows through their data-access file.',
  }],
  perCallFilters: [{
    selector: 'CallExpression[callee.type="MemberExpression"] > ObjectExpression.arguments > Property:matches([key.name="filters"], [key.value="filters"])',
    message: 'Per-call `filters` options can switch off or replace the owner filter.',
  }],
  ownerParameter: [{
    selector: 'CallExpression[callee.property.name=/^(setFilterParams|addFilter)$/]',
    message: "The owner filter's parameter is set only by OwnerFilterInterceptor, from the authenticated user.",
  }],
  sqlText: [
    { selector: `TemplateElement[value.raw=${SQL_TEXT}]`, message: 'No SQL text in src/: go through MikroORM (EntityManager, repository, QueryBuilder).' },
    { selector: `Literal[value=${SQL_TEXT}]`, message: 'No SQL text in src/: go through MikroORM (EntityManager, repository, QueryBuilder).' },
  ],
};

/** The few files allowed an exception, each with why. */
const EXEMPTIONS = {
  // the data-access layer itself: its QueryBuilders call applyFilters(), its insert takes the filter's parameter
  'src/tasks/task.repository.ts': ['taskOutsideDataAccess', 'queryBuilderOrRawAccess', 'unfilteredWrites'],
  // the index's DDL for the migration generator: MikroORM has no option for a descending index column
  'src/tasks/task.entity.ts': ['sqlText'],
  // the migration lock (pg_advisory_xact_lock), which no ORM API offers
  'src/database/migrate.ts': ['queryBuilderOrRawAccess', 'sqlText'],
  // the embedded database's bootstrap: it creates its role and database (and moves an older layout's tables
  // to them) before any ORM can connect
  'src/database/embedded/app-database.ts': ['sqlText'],
  'src/database/embedded/legacy-layout.ts': ['sqlText'],
  // reads the pool's counters for the metrics (pg's Pool through getNativeClient()); runs no query
  'src/database/connection-pool.ts': ['queryBuilderOrRawAccess'],
  // row_security_active() and current_user at start-up: no ORM API reads them
  'src/database/row-level-security.ts': ['queryBuilderOrRawAccess'],
  // the one place that sets the owner
  'src/database/owner-filter.interceptor.ts': ['ownerParameter'],
};

const restrictedSyntax = (exempt = []) => [
  'error',
  ...Object.entries(OWNER_ISOLATION_RULES).filter(([name]) => !exempt.includes(name)).flatMap(([, rules]) => rules),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'bench/results/**', 'test/.tmp/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/**/*.spec.ts'], rules: { 'no-restricted-syntax': restrictedSyntax() } },
  ...Object.entries(EXEMPTIONS).map(([file, exempt]) => ({ files: [file], rules: { 'no-restricted-syntax': restrictedSyntax(exempt) } })),
);
