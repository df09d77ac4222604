import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envSchema } from './env.schema';

/** .env.example lists every variable the service reads, with its default, and nothing else. */
describe('.env.example', () => {
  const text = readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8');
  const described = envSchema.describe() as { keys: Record<string, { flags?: { presence?: string; default?: unknown } }> };
  const read = Object.entries(described.keys)
    .filter(([, key]) => key.flags?.presence !== 'forbidden')
    .map(([name]) => name);
  const listed = [...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => ({ name: match[1], value: match[2] }));

  it('lists every variable of env.schema.ts, once, and no other', () => {
    expect(listed.map((entry) => entry.name).sort()).toEqual([...read].sort());
  });

  it('shows each default as env.schema.ts has it', () => {
    for (const { name, value } of listed) {
      const fallback = described.keys[name].flags?.default;
      if (fallback !== undefined) expect({ [name]: value }).toEqual({ [name]: String(fallback) });
    }
  });

  it('gives each variable a one-line meaning just above it', () => {
    const lines = text.split('\n');
    for (const { name } of listed) {
      const above = lines[lines.findIndex((line) => line.startsWith(`# ${name}=`)) - 1];
      expect({ [name]: /^# \S/.test(above) && !/^# [A-Z][A-Z0-9_]*=/.test(above) }).toEqual({ [name]: true });
    }
  });
});
