import { ACCOUNT_RECHECK_SECONDS, VerifiedTokens } from './verified-tokens';

describe(VerifiedTokens.name, () => {
  const alice = { id: '0b6f4f2e-5d0c-4b8e-9a3e-1f2d3c4b5a69' };
  const bob = { id: '5e3f9c1a-7b2d-4c8e-8f1a-2b3c4d5e6f70' };
  let now: number;
  const tokens = (capacity = 10) => new VerifiedTokens(capacity, 5, () => now);

  beforeEach(() => {
    now = 1_000_000;
  });

  it('knows a remembered token, by its exact text only', () => {
    const sut = tokens();
    sut.remember('a.b.c', alice, now + 60);
    expect(sut.get('a.b.c')).toBe(alice);
    expect(sut.get('a.b.C')).toBeUndefined();
    expect(sut.get('a.b.c ')).toBeUndefined();
    expect(sut.get('')).toBeUndefined();
  });

  it('forgets a token once exp plus the tolerance has passed, as jsonwebtoken would refuse it', () => {
    const sut = tokens();
    sut.remember('t', alice, now - 4); // exp + 4 s: within the 5 s tolerance
    expect(sut.get('t')).toBe(alice);
    now += 1; // exp + 5 s: jsonwebtoken refuses when now >= exp + tolerance
    expect(sut.get('t')).toBeUndefined();
    expect(sut.size).toBe(0);
    now -= 30; // and a clock going back does not bring it back
    expect(sut.get('t')).toBeUndefined();
  });

  it('keeps at most its capacity, dropping the oldest first', () => {
    const sut = tokens(3);
    sut.remember('1', alice, now + 60);
    sut.remember('2', bob, now + 60);
    sut.remember('3', alice, now + 60);
    sut.remember('2', bob, now + 90); // already known: nothing dropped
    expect(sut.size).toBe(3);
    sut.remember('4', bob, now + 60);
    expect(sut.size).toBe(3);
    expect(sut.get('1')).toBeUndefined();
    expect([sut.get('2'), sut.get('3'), sut.get('4')]).toEqual([bob, alice, bob]);
  });

  it('forgets every token of a deleted account, and only those', () => {
    const sut = tokens();
    sut.remember('a1', alice, now + 60);
    sut.remember('b1', bob, now + 60);
    sut.remember('a2', alice, now + 60);
    sut.forgetUser(alice.id);
    expect([sut.get('a1'), sut.get('a2'), sut.get('b1')]).toEqual([undefined, undefined, bob]);
    expect(sut.size).toBe(1);
  });

  it('does not remember a token whose account was looked up before a forgetUser() that ran meanwhile', () => {
    const sut = tokens();
    const before = sut.mark();
    sut.forgetUser(alice.id); // the account is deleted while its token is being checked
    sut.remember('a1', alice, now + 60, before);
    expect(sut.get('a1')).toBeUndefined();
    sut.remember('a1', alice, now + 60, sut.mark());
    expect(sut.get('a1')).toBe(alice);
  });

  it('trusts a token for ACCOUNT_RECHECK_SECONDS only: then it is verified again, its account looked up', () => {
    const sut = tokens();
    sut.remember('t', alice, now + 3600);
    now += ACCOUNT_RECHECK_SECONDS - 1;
    expect(sut.get('t')).toBe(alice);
    now += 1;
    expect(sut.get('t')).toBeUndefined();
    expect(sut.size).toBe(0);
  });
});
