import { capturingLogger } from '../../test/support/log-capture';
import { PinoNestLogger } from './logger';

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
});
