import { LoginUnavailableException, RegistrationBusyException } from '../auth/auth.service';
import { HttpException, ServiceUnavailableException } from '@nestjs/common';
import { problem, ProblemException } from '../errors/problem';
import { countUnavailable, ServiceMetrics, unavailableCause } from './metrics';

describe(unavailableCause.name, () => {
  it('names the failing readiness check', () => {
    const draining = new ServiceUnavailableException({ status: 'error', info: {}, error: { draining: { status: 'down' } }, details: {} });
    const database = new ServiceUnavailableException({ status: 'error', info: {}, error: { database: { status: 'down' } }, details: {} });
    expect(unavailableCause(draining)).toBe('draining');
    expect(unavailableCause(database)).toBe('database');
  });

  it("recognises the login limit store (Redis) being down by the login's own exception class, never by text", () => {
    expect(unavailableCause(new LoginUnavailableException())).toBe('redis');
    expect(unavailableCause(new ProblemException(problem(503, 'Login is unavailable for the moment; retry later')))).toBe('other');
  });

  it('recognises a registration refused while password hashing is saturated by its exception class', () => {
    expect(unavailableCause(new RegistrationBusyException())).toBe('hashing');
  });

  it('calls anything else "other"', () => {
    expect(unavailableCause(new HttpException('busy', 503))).toBe('other');
    expect(unavailableCause('a string')).toBe('other');
  });
});

describe(countUnavailable.name, () => {
  it('counts 503s only', async () => {
    const metrics = new ServiceMetrics();
    countUnavailable(500, new Error('x'), metrics);
    countUnavailable(503, new HttpException('busy', 503), metrics);
    const text = await metrics.metrics();
    expect(text).toContain('http_unavailable_total{cause="other"} 1');
    expect(text).not.toContain('cause="database"');
  });
});
