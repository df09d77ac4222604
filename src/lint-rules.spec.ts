import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The owner-isolation lint rules (eslint.config.mjs, OWNER_ISOLATION_RULES) on deliberately bad and good lines:
 * `npm run lint` stops the build on each bad one, anywhere in src/ but the files exempted from that one rule.
 */
const ROOT = path.resolve(__dirname, '..');

/**
 * ESLint with the project's own eslint.config.mjs, in a child process (Jest cannot import an ES module config):
 * for each [code, file], the owner-isolation messages it gives `code` as if it were `file`.
 */
function lintAll(cases: [code: string, file: string][]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const eslint = new ESLint({ cwd: process.cwd() });
    Promise.all(cases.map(([code, file]) => eslint.lintText(code, { filePath: require('path').resolve(file) })))
      .then((results) => process.stdout.write(JSON.stringify(results.map(([r]) => {
        const fatal = r.messages.find((m) => m.fatal);
        if (fatal) throw new Error('a case does not parse: ' + fatal.message);
        return r.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
      }))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(cases), encoding: 'utf8' }));
}

const DEFAULT_FILE = 'src/users/users.service.ts';
const pending: [string, string][] = [];
let answers: string[][] | undefined;

/** Registers a case while the tests are collected; all of them are linted at once before the first test. */
function isolationErrors(code: string, file = DEFAULT_FILE): () => string[] {
  const index = pending.push([code, file]) - 1;
  return () => answers![index];
}

describe('owner-isolation lint rules', () => {
  const sut = isolationErrors;
  beforeAll(() => {
    answers = lintAll(pending);
  }, 60_000);

  it.each([
    ['em.find', 'await this.em.find(Task, { completed: true });'],
    ['em.findOne over lines', 'await em.findOne(\n  Task,\n  { id },\n);'],
    ['a generic argument', 'em.findOne<Task>(Task, { id });'],
    ['the entity by name', "em.count('Task', {});"],
    ['the entity by Task.name', 'em.createQueryBuilder(Task.name);'],
    ['nativeUpdate', 'await em.nativeUpdate(Task, { id }, { title });'],
    ['createQueryBuilder on any entity', "const qb = em.createQueryBuilder(User, 'u');"],
    ['a QueryBuilder from the repository', 'this.tasks.createQueryBuilder().where({});'],
    ['qb', 'em.qb(Task).where({ id });'],
    ['getRepository', 'const repo = em.getRepository(Task);'],
    ['getReference', 'em.getReference(User, id);'],
    ['upsert', 'await em.upsert(User, { id });'],
    ['insert', 'await this.tasks.insert({ title });'],
    ['execute', "await em.execute('select 1');"],
    ['execute on a connection', "await orm.em.getConnection().execute('select 1');"],
    ['getKysely', "em.getKysely().selectFrom('tasks');"],
    ['getEntityManager', 'this.tasks.getEntityManager().nativeDelete(User, {});'],
    ['new Task', "em.persist(new Task(ref(User, otherId), 'x', null, false));"],
    ['filters off', 'em.find(User, {}, { filters: false });'],
    ['the owner filter off', 'em.count(User, {}, { filters: { owner: false } });'],
    ['another owner per call', 'em.find(User, {}, { filters: { owner: { userId: victim } } });'],
    ['setFilterParams', "em.setFilterParams('owner', { userId: body.userId });"],
    ['SQL in a template literal', 'const sql = `select * from "tasks" where id = ${id}`;'],
    ['SQL held in a constant', "const SQL = 'delete from tasks where id = ?';"],
    ['an UPDATE in a template', 'run(`update tasks set title = ${title}`);'],
  ].map(([name, code]) => [name, sut(code)] as const))('flags %s', (_name, errors) => {
    expect(errors()).not.toEqual([]);
  });

  it.each([
    ['filtered repository methods', 'class S { constructor(private readonly tasks: TaskRepository) {} a() { return this.tasks.findOwned(id); } }'],
    ['other entities through the EntityManager', 'await this.em.nativeDelete(User, { id: user.id }); await em.find(User, {});'],
    ['the relation declaration', "class U { @OneToMany({ entity: () => Task, mappedBy: 'user' }) tasks = new Collection<Task>(this); }"],
    ['the module registration', 'MikroOrmModule.forFeature([Task]);'],
    ['a DTO mapping', 'page.items.map(TaskDto.from);'],
    ['the global filter registration', 'defineConfig({ filters: { [ownerFilter.name]: ownerFilter } });'],
    ['prose', "const summary = 'Delete the account and every task it owns; create a task';"],
    ['words in comments', '// select * from tasks; em.find(Task, {})\nconst a = 1;'],
  ].map(([name, code]) => [name, sut(code)] as const))('does not flag %s', (_name, errors) => {
    expect(errors()).toEqual([]);
  });

  const exempted = [
    sut('await qb.applyFilters(); await qb.execute();', 'src/tasks/task.repository.ts'),
    sut("await connection.execute('select pg_advisory_xact_lock(?)');", 'src/database/migrate.ts'),
    sut("em.setFilterParams('owner', { userId });", 'src/database/owner-filter.interceptor.ts'),
  ];
  const stillChecked = [
    sut("em.find(User, {}, { filters: false }); const s = 'delete from tasks';", 'src/tasks/task.repository.ts'),
    sut('em.find(Task, {});', 'src/database/migrate.ts'),
  ];
  it('exempts a named file from its one rule only', () => {
    expect(exempted.map((errors) => errors())).toEqual([[], [], []]);
    expect(stillChecked.map((errors) => errors().length)).toEqual([2, 1]);
  });

  const spec = sut('em.find(Task, {});', 'src/tasks/tasks.service.spec.ts');
  it('does not apply to specs, which query the database to check what was stored', () => {
    expect(spec()).toEqual([]);
  });
});
