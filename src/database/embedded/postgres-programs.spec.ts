import { serverEnvironment } from './postgres-programs';

describe(serverEnvironment.name, () => {
  it('passes PATH, the C locale and TZ/TMPDIR only', () => {
    expect(serverEnvironment({ PATH: '/bin', JWT_SECRET: 's', DATABASE_URL: 'postgres://x', TZ: 'UTC', HOME: '/root' })).toEqual({
      PATH: '/bin',
      LC_ALL: 'C',
      LANG: 'C',
      TZ: 'UTC',
    });
  });
});
