import { loadConfig } from '../config/app-config';
import { LoginAttempts } from './login-attempts';

const WINDOW_MS = 60_000;

describe(LoginAttempts.name, () => {
  let sut: LoginAttempts;
  const t0 = 1_700_000_000_000;

  beforeEach(() => {
    sut = new LoginAttempts(loadConfig({ LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_SECONDS: String(WINDOW_MS / 1000) }));
  });
  afterEach(() => sut.onModuleDestroy());

  it('lets a key try while it has fewer failures than the limit', () => {
    expect(sut.retryAfterSeconds('a', t0)).toBe(0);
    sut.recordFailure('a', t0);
    sut.recordFailure('a', t0 + 1);
    expect(sut.retryAfterSeconds('a', t0 + 2)).toBe(0);
  });

  it('refuses the key once it reaches the limit, until the window that began at its first failure ends', () => {
    for (let i = 0; i < 3; i++) sut.recordFailure('a', t0 + i * 1000);
    expect(sut.retryAfterSeconds('a', t0 + 2000)).toBe(58);
    expect(sut.retryAfterSeconds('a', t0 + WINDOW_MS - 1)).toBe(1); // never 0 while refused
    expect(sut.retryAfterSeconds('a', t0 + WINDOW_MS)).toBe(0);
  });

  it('counts each key on its own', () => {
    for (let i = 0; i < 3; i++) sut.recordFailure('1.2.3.4|a@x.io', t0);
    expect(sut.retryAfterSeconds('1.2.3.4|a@x.io', t0)).toBeGreaterThan(0);
    expect(sut.retryAfterSeconds('1.2.3.4|b@x.io', t0)).toBe(0);
    expect(sut.retryAfterSeconds('5.6.7.8|a@x.io', t0)).toBe(0);
  });

  it('starts a fresh window for a failure after the old one ended', () => {
    for (let i = 0; i < 3; i++) sut.recordFailure('a', t0);
    sut.recordFailure('a', t0 + WINDOW_MS + 1);
    sut.recordFailure('a', t0 + WINDOW_MS + 2);
    expect(sut.retryAfterSeconds('a', t0 + WINDOW_MS + 3)).toBe(0);
    sut.recordFailure('a', t0 + WINDOW_MS + 3);
    expect(sut.retryAfterSeconds('a', t0 + WINDOW_MS + 4)).toBe(60);
  });

  it('bounds its memory: past 100 000 keys the oldest window is forgotten first', () => {
    sut = new LoginAttempts(loadConfig({ LOGIN_MAX_FAILURES: '1' }));
    sut.recordFailure('oldest', t0);
    for (let i = 0; i < 100_000; i++) sut.recordFailure(`key-${i}`, t0 + 1);
    expect(sut.retryAfterSeconds('oldest', t0 + 2)).toBe(0);
    expect(sut.retryAfterSeconds('key-99999', t0 + 2)).toBeGreaterThan(0);
    expect(sut.retryAfterSeconds('key-0', t0 + 2)).toBeGreaterThan(0);
  });
});
