import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The owner filter only guards the operations that apply it. QueryBuilder, raw SQL, getReference, upsert,
 * entities built by hand and per-call filter options all bypass it, so only the tasks data-access layer
 * (src/tasks/task.repository.ts) may touch Task; the filter's parameter is set only by the interceptor.
 */
const SRC = __dirname;
const DATA_ACCESS_LAYER = 'tasks/task.repository.ts';
const FILTER_PARAMS_SETTER = 'database/owner-filter.interceptor.ts';

export interface Violation {
  line: number;
  rule: string;
  text: string;
}

interface Rule {
  name: string;
  pattern: RegExp;
  /** Only in files where this matches (e.g. those that hold a TaskRepository). */
  onlyIf?: RegExp;
  /** Files (relative to src/) where the rule does not apply. */
  exempt: string[];
}

const TASK_ARG = String.raw`(?:Task|['"\x60]Task['"\x60])\s*[,)]`;
const EM_METHODS = [
  'find', 'findOne', 'findOneOrFail', 'findAll', 'findAndCount', 'findByCursor', 'count', 'countBy', 'stream',
  'nativeUpdate', 'nativeDelete', 'nativeInsert', 'insert', 'insertMany', 'upsert', 'upsertMany',
  'createQueryBuilder', 'qb', 'getRepository', 'getReference', 'create', 'merge', 'map', 'lock', 'refresh', 'persist', 'remove',
].join('|');
/** EntityRepository methods a TaskRepository inherits that write or read without the filter. */
const UNFILTERED_REPOSITORY_METHODS = ['createQueryBuilder', 'qb', 'getReference', 'upsert', 'upsertMany', 'insert', 'insertMany', 'nativeInsert', 'create', 'merge', 'execute', 'getKnex', 'raw'].join('|');

const RULES: Rule[] = [
  {
    name: 'EntityManager/repository call on Task',
    pattern: new RegExp(String.raw`\.\s*(?:${EM_METHODS})\s*(?:<[^()]*>)?\s*\(\s*${TASK_ARG}`, 'g'),
    exempt: [DATA_ACCESS_LAYER],
  },
  {
    name: 'raw SQL on the tasks table',
    pattern: /\b(?:from|join|into|update|table|truncate)\b[\s('"`]+(?:"?public"?\s*\.\s*)?"?tasks\b/gi,
    exempt: [DATA_ACCESS_LAYER],
  },
  {
    name: 'unfiltered operation in a file that holds the TaskRepository',
    pattern: new RegExp(String.raw`\.\s*(?:${UNFILTERED_REPOSITORY_METHODS})\s*(?:<[^()]*>)?\s*\(`, 'g'),
    onlyIf: /\bTaskRepository\b|Repository\s*\(\s*Task\s*\)/,
    exempt: [DATA_ACCESS_LAYER],
  },
  {
    name: 'Task built outside the data-access layer (its owner would not come from the request)',
    pattern: /\bnew\s+Task\s*\(/g,
    exempt: [DATA_ACCESS_LAYER],
  },
  {
    name: 'per-call filter options that switch off or replace the owner filter',
    pattern: /\bfilters\s*:\s*(?:false\b|\{[^}]*(?:owner|OWNER_FILTER)[^}:]*\]?\s*:\s*(?:false\b|\{))/g,
    exempt: [],
  },
  {
    name: "the owner filter's parameter set outside the interceptor",
    pattern: /\.\s*(?:setFilterParams|addFilter)\s*\(/g,
    exempt: [FILTER_PARAMS_SETTER],
  },
];

/** Comments become blanks of the same shape, so matches keep their line numbers and comments never match. */
function withoutComments(source: string): string {
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  return source.replace(/\/\*[\s\S]*?\*\//g, blank).replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (match, before: string) => before + blank(match.slice(before.length)));
}

/** Where the source (a file of src/, given relative to src/) reaches Task other than through the data-access layer. */
export function findDirectTaskAccess(source: string, file = 'fixture.ts'): Violation[] {
  const code = withoutComments(source);
  const violations: Violation[] = [];
  for (const rule of RULES) {
    if (rule.exempt.includes(file) || (rule.onlyIf && !rule.onlyIf.test(code))) continue;
    for (const match of code.matchAll(rule.pattern)) {
      const line = code.slice(0, match.index).split('\n').length;
      violations.push({ line, rule: rule.name, text: source.split('\n')[line - 1].trim() });
    }
  }
  return violations;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

describe(findDirectTaskAccess.name, () => {
  const sut = findDirectTaskAccess;

  it.each([
    ['em.find', `const tasks = await this.em.find(Task, { completed: true });`],
    ['em.findOne over lines', `await em.findOne(\n  Task,\n  { id },\n);`],
    ['a generic argument', `em.findOne<Task>(Task, { id })`],
    ['the entity by name', `em.count('Task', {})`],
    ['nativeUpdate', `await em.nativeUpdate(Task, { id }, { title })`],
    ['nativeDelete', `await this.em.nativeDelete(Task, { id })`],
    ['createQueryBuilder', `const qb = em.createQueryBuilder(Task, 't');`],
    ['qb', `em.qb(Task).where({ id })`],
    ['getRepository', `const repo = em.getRepository(Task);`],
    ['getReference', `em.getReference(Task, id)`],
    ['upsert', `await em.upsert(Task, { id, title })`],
    ['create', `em.create(Task, { user: otherId, title })`],
    ['raw select', `await em.execute('select * from tasks where id = ?', [id])`],
    ['raw quoted update', 'await em.execute(`update "tasks" set title = ?`, [title])'],
    ['raw delete with schema', `await conn.execute('delete from "public"."tasks"')`],
    ['raw insert', `knex.raw('insert into tasks (id) values (?)', [id])`],
    ['a join', `'select * from users u join tasks t on t.user_id = u.id'`],
    ['knex table', `knex('x').from('tasks')`],
    ['a QueryBuilder on the repository', `class S { constructor(private readonly tasks: TaskRepository) {} q() { return this.tasks.createQueryBuilder().where({}); } }`],
    ['execute through the repository', `class S { constructor(@InjectRepository(Task) private readonly repo: EntityRepository<Task>) {} q() { return this.repo.getEntityManager().execute('select 1'); } }`],
    ['new Task', `em.persist(new Task(ref(User, otherId), 'x', null, false));`],
    ['filters off', `em.find(User, {}, { filters: false })`],
    ['the owner filter off', `em.count(X, {}, { filters: { owner: false } })`],
    ['the owner filter off by constant', `em.count(X, {}, { filters: { [OWNER_FILTER]: false } })`],
    ['another owner per call', `em.find(X, {}, { filters: { owner: { userId: victim } } })`],
    ['setFilterParams', `em.setFilterParams('owner', { userId: body.userId })`],
  ])('flags %s', (_name, fixture) => {
    expect(sut(fixture)).not.toEqual([]);
  });

  it('names the line it found', () => {
    expect(sut(`import x from 'y';\n\nconst rows = await em.find(Task, {});\n`, 'users/users.service.ts')).toEqual([
      { line: 3, rule: 'EntityManager/repository call on Task', text: 'const rows = await em.find(Task, {});' },
    ]);
  });

  it.each([
    ['filtered repository methods', `class S { constructor(private readonly tasks: TaskRepository) {} a() { return this.tasks.findOne({ id }); } b() { return this.tasks.page(undefined, undefined, 21); } }`],
    ['the tasks service creating through the repository', `class S { constructor(private readonly tasks: TaskRepository) {} a() { return this.tasks.createOwned({ title }); } }`],
    ['other entities', `await this.em.nativeDelete(User, { id: user.id }); await em.find(User, {});`],
    ['the relation declaration', `@OneToMany({ entity: () => Task, mappedBy: 'user' }) tasks = new Collection<Task>(this);`],
    ['the module registration', `MikroOrmModule.forFeature([Task])`],
    ['a DTO mapping', `page.items.map(TaskDto.from)`],
    ['the filter registration', `filters: { [ownerFilter.name]: ownerFilter },`],
    ['words in comments', `// select from tasks; em.find(Task, {})\n/* update tasks set x */ const a = 1;`],
    ['prose in strings', `'A user only ever sees their own tasks'`],
    ['a URL in a string', `const u = 'http://example.com/tasks';`],
    ['the index expression', `'create index "tasks_user_id_created_at_id_index" on "tasks" ("user_id")'`],
  ])('does not flag %s', (_name, fixture) => {
    expect(sut(fixture)).toEqual([]);
  });

  it('exempts only the data-access layer, and setFilterParams only in the interceptor', () => {
    const query = `await em.execute('update "tasks" set title = ?'); em.find(Task, {});`;
    expect(sut(query, DATA_ACCESS_LAYER)).toEqual([]);
    expect(sut(query, 'tasks/tasks.service.ts')).toHaveLength(2);
    const setter = `this.em.setFilterParams(OWNER_FILTER, { userId: user.id });`;
    expect(sut(setter, FILTER_PARAMS_SETTER)).toEqual([]);
    expect(sut(setter, DATA_ACCESS_LAYER)).toHaveLength(1);
  });
});

describe('src/ structure', () => {
  const files = sourceFiles(SRC).map((full) => path.relative(SRC, full).split(path.sep).join('/'));

  it('scans the application code, the data-access layer included', () => {
    expect(files).toEqual(expect.arrayContaining([DATA_ACCESS_LAYER, FILTER_PARAMS_SETTER, 'tasks/tasks.service.ts', 'tasks/tasks.controller.ts', 'users/users.service.ts']));
  });

  it('would flag the data-access layer itself anywhere else (its hand-written UPDATE)', () => {
    const repository = readFileSync(path.join(SRC, DATA_ACCESS_LAYER), 'utf8');
    expect(findDirectTaskAccess(repository, 'tasks/tasks.service.ts').map((v) => v.rule)).toContain('raw SQL on the tasks table');
  });

  it('has no code outside src/tasks/task.repository.ts that queries Task directly', () => {
    const found = files.flatMap((file) => findDirectTaskAccess(readFileSync(path.join(SRC, file), 'utf8'), file).map((v) => `src/${file}:${v.line} ${v.rule}: ${v.text}`));
    expect(found).toEqual([]);
  });
});
