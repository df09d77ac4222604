import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError } from './errors';
import { checkTrustedDirectory, ensureTrustedDirectory } from './trusted-directory';

const isRoot = process.getuid?.() === 0;
const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const OTHER_UID = 65534; // nobody

describe('the checks on folders under /var/tmp', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'embedded-pg-checks-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('accepts a real directory owned by the expected user and writable by no one else', async () => {
    const dir = path.join(tmp, 'ok');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await expect(checkTrustedDirectory(dir, me.uid)).resolves.toBeUndefined();
  });

  it('refuses a symlink, even to a good directory, naming the path', async () => {
    const target = path.join(tmp, 'target');
    mkdirSync(target, { mode: 0o700 });
    const link = path.join(tmp, 'link');
    symlinkSync(target, link);
    await expect(checkTrustedDirectory(link, me.uid)).rejects.toThrow(new EmbeddedPostgresError(`${link} is a symlink, not a directory: remove it (it is not trusted)`));
    await expect(ensureTrustedDirectory(link, { ...me, mode: 0o700 })).rejects.toThrow(EmbeddedPostgresError);
  });

  it.each([
    ['world-writable', 0o777],
    ['world-writable with the sticky bit (as /tmp)', 0o1777],
    ['group-writable', 0o775],
  ])('refuses a %s directory', async (_name, mode) => {
    const dir = path.join(tmp, 'open');
    mkdirSync(dir);
    chmodSync(dir, mode);
    await expect(checkTrustedDirectory(dir, me.uid)).rejects.toThrow(
      new EmbeddedPostgresError(`${dir} is writable by group or others (mode ${mode.toString(8)}): remove it (it is not trusted)`),
    );
  });

  it('refuses a file where a directory is expected', async () => {
    const file = path.join(tmp, 'file');
    writeFileSync(file, '');
    await expect(checkTrustedDirectory(file, me.uid)).rejects.toThrow(EmbeddedPostgresError);
    await expect(ensureTrustedDirectory(file, { ...me, mode: 0o755 })).rejects.toThrow(`${file} is not a directory`);
  });

  it('refuses a directory owned by another user', async () => {
    const dir = path.join(tmp, 'theirs');
    mkdirSync(dir, { mode: 0o755 });
    if (isRoot) {
      chownSync(dir, OTHER_UID, OTHER_UID);
      await expect(checkTrustedDirectory(dir, me.uid)).rejects.toThrow(
        new EmbeddedPostgresError(`${dir} is owned by uid ${OTHER_UID}, not ${me.uid}: remove it (it is not trusted)`),
      );
    } else {
      // without root no folder can be given away: expect another owner than oneself instead
      await expect(checkTrustedDirectory(dir, me.uid + 1)).rejects.toThrow(`${dir} is owned by uid ${me.uid}, not ${me.uid + 1}`);
    }
  });

  it('creates a missing directory with the exact mode, whatever the umask, and says it did', async () => {
    const dir = path.join(tmp, 'new');
    const umask = process.umask(0o077);
    try {
      await expect(ensureTrustedDirectory(dir, { ...me, mode: 0o755 })).resolves.toBe(true);
    } finally {
      process.umask(umask);
    }
    expect(statSync(dir).mode & 0o7777).toBe(0o755);
    await expect(ensureTrustedDirectory(dir, { ...me, mode: 0o755 })).resolves.toBe(false);
  });

  (isRoot ? it : it.skip)('as root, gives a directory it creates to the expected owner, and reuses it only if that owner keeps it', async () => {
    const dir = path.join(tmp, 'data');
    await expect(ensureTrustedDirectory(dir, { uid: OTHER_UID, gid: OTHER_UID, mode: 0o700 })).resolves.toBe(true);
    expect(lstatSync(dir)).toMatchObject({ uid: OTHER_UID, gid: OTHER_UID });
    expect(lstatSync(dir).mode & 0o7777).toBe(0o700);
    await expect(ensureTrustedDirectory(dir, { uid: OTHER_UID, gid: OTHER_UID, mode: 0o700 })).resolves.toBe(false);
    await expect(ensureTrustedDirectory(dir, { ...me, mode: 0o700 })).rejects.toThrow(`${dir} is owned by uid ${OTHER_UID}, not ${me.uid}`);
  });

  (isRoot ? it : it.skip)('as root, never changes the owner of what a planted symlink points to', async () => {
    const target = path.join(tmp, 'target');
    mkdirSync(target, { mode: 0o755 });
    const link = path.join(tmp, 'planted');
    symlinkSync(target, link);
    await expect(ensureTrustedDirectory(link, { uid: OTHER_UID, gid: OTHER_UID, mode: 0o700 })).rejects.toThrow(`${link} is a symlink`);
    expect(statSync(target).uid).toBe(me.uid);
  });
});
