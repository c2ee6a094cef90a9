// repositories are internal to their library (not in its index): the contract tests reach in on purpose
import { LockoutRepository } from '../../libs/auth/src/lockout/lockout.repository';
import { LockoutService } from '../../libs/auth/src/lockout/lockout.service';
import { createUser, DRIVERS, itConcurrently, uniqueEmail, useDatabase } from './support/drivers';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const WINDOW_S = 60;
const WINDOW_MS = WINDOW_S * 1000;

/**
 * LockoutRepository's SQL: one attempt counted per reservation (atomically, with the account read in
 * the same statement), the window, the lock and its end.
 */
describe.each(DRIVERS)('LockoutRepository on %s', (kind) => {
  const db = useDatabase(kind, { poolSize: 12 });
  let repo: LockoutRepository;

  beforeAll(() => {
    repo = new LockoutRepository(db.ds);
  });

  const key = () => LockoutService.key(uniqueEmail('lockout'));
  const row = async (emailKey: string) =>
    (await db.ds.query(`SELECT attempts, window_started_at, locked_until FROM login_attempts WHERE email_key = $1`, [emailKey]))[0];

  it('counts 1, 2, 3 … within the window, and starts again at 1 once it is over', async () => {
    const k = key();
    expect(await repo.reserve(k, at(0), WINDOW_S)).toEqual({ attempts: 1, lockedUntil: null, user: null });
    expect((await repo.reserve(k, at(1000), WINDOW_S)).attempts).toBe(2);
    expect((await repo.reserve(k, at(WINDOW_MS - 1), WINDOW_S)).attempts).toBe(3);
    expect(await row(k)).toMatchObject({ attempts: 3, window_started_at: at(0), locked_until: null });

    // the window is [start, start + window): at its end the count starts again, from that attempt
    expect((await repo.reserve(k, at(WINDOW_MS), WINDOW_S)).attempts).toBe(1);
    expect(await row(k)).toMatchObject({ attempts: 1, window_started_at: at(WINDOW_MS) });
    expect((await repo.reserve(k, at(WINDOW_MS + 1), WINDOW_S)).attempts).toBe(2);
  });

  it('a locked row keeps its count and locked_until while the lock lasts, and starts again at 1 after it', async () => {
    const k = key();
    for (let i = 0; i < 3; i++) await repo.reserve(k, at(i), WINDOW_S);
    const until = at(300_000);
    expect(await repo.lock(k, until)).toBe(true);

    // attempts during the lock are not counted, even past the counting window
    expect(await repo.reserve(k, at(10_000), WINDOW_S)).toEqual({ attempts: 3, lockedUntil: until, user: null });
    expect(await repo.reserve(k, at(299_999), WINDOW_S)).toEqual({ attempts: 3, lockedUntil: until, user: null });
    expect(await row(k)).toMatchObject({ attempts: 3, window_started_at: at(0), locked_until: until });
    expect(await repo.lockedUntil(k, at(299_999))).toEqual(until);

    // the lock is over at `until`: the first attempt after it is attempt 1 of a new window, unlocked
    expect(await repo.lockedUntil(k, until)).toBeNull();
    expect(await repo.reserve(k, until, WINDOW_S)).toEqual({ attempts: 1, lockedUntil: null, user: null });
    expect(await row(k)).toMatchObject({ attempts: 1, window_started_at: until, locked_until: null });
    // … and it can be locked again
    expect(await repo.lock(k, at(900_000))).toBe(true);
  });

  it('after a lock the count starts again at 1, even while the counting window it began in would still run', async () => {
    const k = key();
    const longWindow = 3600; // a counting window longer than the lock
    for (let i = 0; i < 3; i++) await repo.reserve(k, at(i), longWindow);
    await repo.lock(k, at(60_000));
    expect(await repo.reserve(k, at(60_000), longWindow)).toEqual({ attempts: 1, lockedUntil: null, user: null });
    expect(await row(k)).toMatchObject({ attempts: 1, window_started_at: at(60_000), locked_until: null });
  });

  it('lock() sets the lock only once (true the first time), and needs a counted attempt', async () => {
    const k = key();
    expect(await repo.lock(k, at(60_000))).toBe(false); // no row: nothing to lock
    await repo.reserve(k, at(0), WINDOW_S);
    expect(await repo.lock(k, at(60_000))).toBe(true);
    expect(await repo.lock(k, at(120_000))).toBe(false);
    expect(await repo.lockedUntil(k, at(0))).toEqual(at(60_000)); // the first lock stands
  });

  it('clear() forgets the email: no lock, and the next attempt is attempt 1', async () => {
    const k = key();
    for (let i = 0; i < 4; i++) await repo.reserve(k, at(i), WINDOW_S);
    await repo.lock(k, at(300_000));
    const other = key();
    await repo.reserve(other, at(0), WINDOW_S);

    await repo.clear(k);
    expect(await row(k)).toBeUndefined();
    expect(await repo.lockedUntil(k, at(5))).toBeNull();
    expect(await repo.reserve(k, at(10), WINDOW_S)).toEqual({ attempts: 1, lockedUntil: null, user: null });
    expect((await row(other)).attempts).toBe(1); // another email's counter untouched
  });

  it('reserve reads the account by its canonical address in the same statement (null when there is none, still counted)', async () => {
    // an IDN domain: the canonical address (IDNA, NFKC, lower case) is not what lower(email) gives
    const local = uniqueEmail('Ada.Lovelace').split('@')[0];
    const user = await createUser(db.ds, `  ${local}@Bücher.Example `);
    const k = LockoutService.key(`${local.toUpperCase()}@BÜCHER.example`);
    expect(k).toBe(`${local.toLowerCase()}@xn--bcher-kva.example`);

    const r = await repo.reserve(k, at(0), WINDOW_S);
    expect(r.attempts).toBe(1);
    expect(r.user).toMatchObject({ id: user.id, email: `${local}@Bücher.Example`, isActive: true, passwordHash: 'not-a-real-hash', version: user.version });

    const nobody = key();
    expect(await repo.reserve(nobody, at(0), WINDOW_S)).toEqual({ attempts: 1, lockedUntil: null, user: null });
    // the key is matched as given: a spelling that is not the canonical one finds no account
    expect((await repo.reserve(`${local.toLowerCase()}@bücher.example`, at(0), WINDOW_S)).user).toBeNull();
  });

  itConcurrently(kind)('20 concurrent reservations of one email count each attempt exactly once (new and existing row)', async () => {
    const k = key();
    const first = await Promise.all(Array.from({ length: 20 }, () => repo.reserve(k, at(0), WINDOW_S)));
    expect(first.map((r) => r.attempts).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const more = await Promise.all(Array.from({ length: 20 }, () => repo.reserve(k, at(1), WINDOW_S)));
    expect(more.map((r) => r.attempts).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 21));
    expect((await row(k)).attempts).toBe(40);
  });

  itConcurrently(kind)('10 concurrent locks of one email: exactly one sets it', async () => {
    const k = key();
    await repo.reserve(k, at(0), WINDOW_S);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => repo.lock(k, at(60_000 + i))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
