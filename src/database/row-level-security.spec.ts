import { checkRowLevelSecurity, RowLevelSecurityBypassedError, type RowLevelSecurityState } from './row-level-security';

describe(checkRowLevelSecurity.name, () => {
  const inForce: RowLevelSecurityState = { role: 'app', tables: [{ name: 'tasks', active: true }] };
  const bypassed: RowLevelSecurityState = { role: 'postgres', tables: [{ name: 'tasks', active: false }] };
  let lines: { level: string; line: string }[];
  const log = { info: (line: string) => lines.push({ level: 'info', line }), warn: (line: string) => lines.push({ level: 'warn', line }) };
  beforeEach(() => (lines = []));

  it('says in one info line that it is in force, naming the tables and the role', () => {
    checkRowLevelSecurity(inForce, { production: true, allowBypass: false }, log);
    expect(lines).toEqual([{ level: 'info', line: 'Row-level security is in force on tasks for role "app"' }]);
  });

  it('stops a production start on a role that bypasses it, in one line naming the role, the cause and the fix', () => {
    expect(() => checkRowLevelSecurity(bypassed, { production: true, allowBypass: false }, log)).toThrow(RowLevelSecurityBypassedError);
    expect(() => checkRowLevelSecurity(bypassed, { production: true, allowBypass: false }, log)).toThrow(
      /^Row-level security is bypassed: role "postgres" is a superuser or has BYPASSRLS.*ordinary role.*DATABASE_ALLOW_RLS_BYPASS=true[^\n]*$/,
    );
    expect(lines).toEqual([]);
  });

  it('warns instead when production accepts the bypass, and outside production', () => {
    checkRowLevelSecurity(bypassed, { production: true, allowBypass: true }, log);
    checkRowLevelSecurity(bypassed, { production: false, allowBypass: false }, log);
    expect(lines.map((entry) => entry.level)).toEqual(['warn', 'warn']);
    expect(lines[0].line).toMatch(/role "postgres".*accepted: DATABASE_ALLOW_RLS_BYPASS=true/);
    expect(lines[1].line).toMatch(/^Row-level security is bypassed: role "postgres"/);
  });
});
