import { Writable } from 'node:stream';
import { capturingLogger } from '../../test/support/log-capture';
import { createLogger, PinoNestLogger, prettyLogsWanted } from './logger';

describe(PinoNestLogger.name, () => {
  function logger(level = 'trace') {
    const { logger: pinoLogger, lines } = capturingLogger(level);
    return { sut: new PinoNestLogger(pinoLogger), lines };
  }

  it("writes Nest's message with its context (Nest passes it last) at the matching level", () => {
    const { sut, lines } = logger();
    sut.log('Applied migrations: x', 'Database');
    sut.warn('Waiting for the database', 'Database');
    sut.debug('detail', 'Db');
    sut.verbose('more detail', 'Db');
    sut.fatal('gone', 'Main');
    expect(lines).toMatchObject([
      { level: 30, msg: 'Applied migrations: x', context: 'Database' },
      { level: 40, msg: 'Waiting for the database', context: 'Database' },
      { level: 20, msg: 'detail', context: 'Db' },
      { level: 10, msg: 'more detail', context: 'Db' },
      { level: 60, msg: 'gone', context: 'Main' },
    ]);
  });

  it('keeps an error\'s stack (Nest passes it before the context)', () => {
    const { sut, lines } = logger();
    sut.error('Unhandled error on GET /tasks', 'Error: boom\n    at x', 'Errors');
    sut.error('no stack', undefined, 'Errors');
    expect(lines).toMatchObject([
      { level: 50, msg: 'Unhandled error on GET /tasks', context: 'Errors', stack: 'Error: boom\n    at x' },
      { level: 50, msg: 'no stack', context: 'Errors' },
    ]);
    expect(lines[1]).not.toHaveProperty('stack');
  });

  it('logs an Error object with its message, and an object as fields', () => {
    const { sut, lines } = logger();
    sut.error(new Error('boom'), 'Main');
    sut.log({ event: 'ready', port: 3000 }, 'Main');
    expect(lines).toMatchObject([
      { level: 50, msg: 'boom', context: 'Main', err: { message: 'boom' } },
      { level: 30, event: 'ready', port: 3000, context: 'Main' },
    ]);
  });

  it('writes nothing below its level', () => {
    const { sut, lines } = logger('warn');
    sut.log('quiet', 'X');
    sut.debug('quiet', 'X');
    sut.warn('loud', 'X');
    expect(lines).toMatchObject([{ msg: 'loud' }]);
    expect(lines).toHaveLength(1);
  });

  it("writes Nest's route mapping and module chatter at debug, not info", () => {
    const { sut, lines } = logger();
    sut.log('TasksController {/tasks}:', 'RoutesResolver');
    sut.log('Mapped {/tasks, GET} route', 'RouterExplorer');
    sut.log('AppModule dependencies initialized', 'InstanceLoader');
    sut.log('Nest application successfully started', 'NestApplication');
    expect(lines).toMatchObject([
      { level: 20, msg: 'TasksController {/tasks}:', context: 'RoutesResolver' },
      { level: 20, msg: 'Mapped {/tasks, GET} route', context: 'RouterExplorer' },
      { level: 20, msg: 'AppModule dependencies initialized', context: 'InstanceLoader' },
      { level: 30, msg: 'Nest application successfully started', context: 'NestApplication' },
    ]);
  });

  it('leaves that chatter out at the default level (info)', () => {
    const { sut, lines } = logger('info');
    sut.log('Mapped {/tasks, GET} route', 'RouterExplorer');
    sut.log('AppModule dependencies initialized', 'InstanceLoader');
    sut.warn('a warning from the router', 'RouterExplorer'); // only info is demoted
    expect(lines).toMatchObject([{ level: 40, msg: 'a warning from the router' }]);
    expect(lines).toHaveLength(1);
  });
});

describe(prettyLogsWanted.name, () => {
  it.each([
    ['development', true, true],
    ['test', true, true],
    ['production', true, false],
    ['development', false, false],
    ['development', undefined, false],
  ] as const)('NODE_ENV=%s, stdout a TTY: %s -> %s', (nodeEnv, tty, expected) => {
    expect(prettyLogsWanted(nodeEnv, tty)).toBe(expected);
  });
});

describe(createLogger.name, () => {
  function collect(): { destination: Writable; text: () => string } {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    return { destination, text: () => chunks.join('') };
  }

  it('writes JSON lines by default', () => {
    const { destination, text } = collect();
    createLogger('info', { destination }).info({ context: 'Database' }, 'Applied migrations: x');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, context: 'Database', msg: 'Applied migrations: x' });
    expect(line).toHaveProperty('time');
  });

  it('writes one readable line per entry when pretty: time, level, [context] message; no JSON, no pid', () => {
    const { destination, text } = collect();
    const log = createLogger('info', { pretty: true, destination });
    log.info({ context: 'Database' }, 'Applied migrations: x');
    log.warn('Waiting for the database');
    log.info({ reqId: 'abc', statusCode: 200 }, 'request completed');
    log.debug('not at info');
    const lines = text().trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^\[?\d\d:\d\d:\d\d\.\d{3}\]? INFO.*: \[Database\] Applied migrations: x$/),
      expect.stringMatching(/^\[?\d\d:\d\d:\d\d\.\d{3}\]? WARN.*: Waiting for the database$/),
      expect.stringMatching(/INFO.*: request completed .*"reqId":"abc".*"statusCode":200/),
    ]);
    expect(text()).not.toMatch(/"level"|"pid"|"hostname"/); // no JSON envelope
    expect(text()).not.toContain('\u001b['); // no colours when not a terminal
  });
});
