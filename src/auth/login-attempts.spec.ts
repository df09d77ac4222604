import { Logger } from '@nestjs/common';
import net from 'node:net';
import { loadConfig } from '../config/app-config';
import { LimitsRedis } from './limits-redis';
import { LoginAttempts, LoginLimitUnavailableError, type ReserveResult } from './login-attempts';

function allowed(result: ReserveResult) {
  if (!result.allowed) throw new Error(`refused, retry after ${result.retryAfterSeconds} s`);
  return result.reservation;
}

/** The memory store (no REDIS_URL); the Redis store is tested on a real Redis in test/redis. */
describe(LoginAttempts.name, () => {
  let sut: LoginAttempts;
  let redis: LimitsRedis | undefined;
  const make = (env: Record<string, string> = {}) => {
    const config = loadConfig({ LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_SECONDS: '60', LOGIN_IP_MAX_FAILURES: '5', ...env });
    redis = new LimitsRedis(config);
    sut = new LoginAttempts(config, redis);
    return sut;
  };
  afterEach(() => redis?.onApplicationShutdown());
  // what the limits' Redis client warns, kept here rather than printed among the test results
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
  });
  afterEach(() => jest.restoreAllMocks());

  it('allows maxFailures attempts of one (address, e-mail), then refuses with the seconds left in the window', async () => {
    make();
    for (let i = 0; i < 3; i++) allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    const refused = await sut.reserve('1.2.3.4', 'a@x.io');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number) });
    if (refused.allowed) return;
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('reserves atomically: of 20 concurrent attempts exactly maxFailures are allowed', async () => {
    make({ LOGIN_IP_MAX_FAILURES: '100' });
    const results = await Promise.all(Array.from({ length: 20 }, () => sut.reserve('1.2.3.4', 'a@x.io')));
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
  });

  it('counts each (address, e-mail) on its own', async () => {
    make();
    for (let i = 0; i < 3; i++) allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    expect((await sut.reserve('1.2.3.4', 'a@x.io')).allowed).toBe(false);
    allowed(await sut.reserve('1.2.3.4', 'b@x.io'));
    allowed(await sut.reserve('5.6.7.8', 'a@x.io'));
  });

  it('limits an address across all e-mails (password spraying), without counting attempts it refused', async () => {
    make({ LOGIN_IP_MAX_FAILURES: '5', LOGIN_IP_WINDOW_SECONDS: '30' });
    for (let i = 0; i < 5; i++) allowed(await sut.reserve('1.2.3.4', `user${i}@x.io`));
    const refused = await sut.reserve('1.2.3.4', 'fresh@x.io');
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBeLessThanOrEqual(30);
    allowed(await sut.reserve('5.6.7.8', 'fresh@x.io')); // another address is not affected
  });

  it('does not count against the address an attempt refused for its e-mail', async () => {
    make({ LOGIN_MAX_FAILURES: '1', LOGIN_IP_MAX_FAILURES: '3' });
    allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    for (let i = 0; i < 10; i++) expect((await sut.reserve('1.2.3.4', 'a@x.io')).allowed).toBe(false);
    allowed(await sut.reserve('1.2.3.4', 'b@x.io'));
    allowed(await sut.reserve('1.2.3.4', 'c@x.io'));
    expect((await sut.reserve('1.2.3.4', 'd@x.io')).allowed).toBe(false);
  });

  it('a success clears the failures of that (address, e-mail) and is not counted against the address', async () => {
    make({ LOGIN_MAX_FAILURES: '3', LOGIN_IP_MAX_FAILURES: '6' });
    allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    await sut.succeeded(allowed(await sut.reserve('1.2.3.4', 'a@x.io')));
    // three failures again, then refused: the two before the success are forgotten
    for (let i = 0; i < 3; i++) allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    expect((await sut.reserve('1.2.3.4', 'a@x.io')).allowed).toBe(false);
    // the address has 5 failures (the success gave its point back): one more is allowed, not two
    allowed(await sut.reserve('1.2.3.4', 'b@x.io'));
    expect((await sut.reserve('1.2.3.4', 'c@x.io')).allowed).toBe(false);
  });

  it('an attempt that could not be checked is given back to both counts', async () => {
    make({ LOGIN_MAX_FAILURES: '1', LOGIN_IP_MAX_FAILURES: '1' });
    await sut.cancelled(allowed(await sut.reserve('1.2.3.4', 'a@x.io')));
    allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    expect((await sut.reserve('1.2.3.4', 'a@x.io')).allowed).toBe(false);
  });

  it('lets the client try again once the window has passed', async () => {
    make({ LOGIN_MAX_FAILURES: '1', LOGIN_WINDOW_SECONDS: '1' });
    allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
    const refused = await sut.reserve('1.2.3.4', 'a@x.io');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
  });

  it('with a Redis that cannot be reached, refuses quickly with LoginLimitUnavailableError', async () => {
    make({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    await redis!.onModuleInit(); // gives up waiting, never throws
    const started = Date.now();
    await expect(sut.reserve('1.2.3.4', 'a@x.io')).rejects.toBeInstanceOf(LoginLimitUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    // said once, not once per attempt
    expect(warnings).toEqual([expect.stringMatching(/^Redis unreachable, logins answer 503/)]);
  });

  describe('registrations', () => {
    it('allows REGISTER_IP_MAX per client address, atomically, then refuses until the window ends', async () => {
      make({ REGISTER_IP_MAX: '3', REGISTER_IP_WINDOW_SECONDS: '3600' });
      const results = await Promise.all(Array.from({ length: 10 }, () => sut.reserveRegistration('1.2.3.4')));
      expect(results.filter((r) => r.allowed)).toHaveLength(3);
      const refused = results.find((r) => !r.allowed);
      expect(refused).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number) });
      if (refused?.allowed !== false) return;
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(3599);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3600);
      expect((await sut.reserveRegistration('5.6.7.8')).allowed).toBe(true); // another address is not affected
    });

    it('does not mix them with failed logins', async () => {
      make({ REGISTER_IP_MAX: '1', LOGIN_IP_MAX_FAILURES: '1' });
      allowed(await sut.reserve('1.2.3.4', 'a@x.io'));
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(true);
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(false);
    });

    it('gives back a registration that was not made', async () => {
      make({ REGISTER_IP_MAX: '1' });
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(true);
      await sut.registrationNotMade('1.2.3.4');
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(true);
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(false);
    });

    it('with a Redis that cannot be reached, goes on counting in this process, quickly', async () => {
      make({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REGISTER_IP_MAX: '2' });
      await redis!.onModuleInit();
      const started = Date.now();
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(true);
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(true);
      expect((await sut.reserveRegistration('1.2.3.4')).allowed).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});

/** A port nothing listens on any more. */
function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
