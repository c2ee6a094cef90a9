import { randomBytes } from 'node:crypto';
// repositories are internal to their library (not in its index): the contract tests reach in on purpose
import { SessionsRepository, type RotationInput, type RotationOutcome } from '../../libs/sessions/src/sessions.repository';
import type { User } from '@app/users';
import { createUser, DRIVERS, itConcurrently, useDatabase } from './support/drivers';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const DAY = 86_400_000;
const GRACE_MS = 10_000;
const hash = () => randomBytes(32).toString('hex');

/**
 * SessionsRepository's SQL: sign-in, refresh rotation (the one-statement compare-and-set and the
 * serialised path with its grace window and reuse detection) and revocation.
 */
describe.each(DRIVERS)('SessionsRepository on %s', (kind) => {
  const db = useDatabase(kind, { poolSize: 12 });
  let repo: SessionsRepository;

  beforeAll(() => {
    repo = new SessionsRepository(db.ds);
  });

  /** A user with one session whose first refresh token is `token` (expires a day after T0 unless told). */
  async function signIn(opts: { user?: User; expiresAt?: Date; signedInAt?: Date } = {}) {
    const user = opts.user ?? (await createUser(db.ds));
    const token = hash();
    const created = await db.uow.run((tx) =>
      repo.create(tx, {
        userId: user.id,
        authMethod: 'password',
        amr: ['pwd'],
        ip: '203.0.113.7',
        userAgent: 'int-spec',
        expiresAt: opts.expiresAt ?? at(DAY),
        refreshTokenHash: token,
        signedInAt: opts.signedInAt ?? T0,
      }),
    );
    return { token, ...created }; // created.user: the user as the sign-in stamp left it
  }

  /** A refresh of `presented` at `now`, with a fresh successor (as SessionsService.rotate builds it). */
  function refresh(presented: string, now: Date, graceMs = GRACE_MS): RotationInput {
    const successorHash = hash();
    return { presentedHash: presented, successorHash, successorSealed: `sealed:${successorHash}`, now, graceMs, newExpiresAt: new Date(now.getTime() + DAY) };
  }

  /** SessionsService.rotate's use of the repository: the one statement first, the serialised path when it returns null. */
  async function rotate(input: RotationInput): Promise<RotationOutcome> {
    return (await repo.rotateUnused(input)) ?? (await db.uow.run((tx) => repo.rotateLocked(input, tx)));
  }

  const tokenRow = async (tokenHash: string) =>
    (await db.ds.query(`SELECT id, session_id, parent_id, used_at, successor_sealed FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]))[0];
  const sessionRow = async (id: string) =>
    (await db.ds.query(`SELECT revoked_at, revoked_reason, expires_at, last_used_at FROM sessions WHERE id = $1`, [id]))[0];

  it('create: the session and its first token in one statement, and the user with last_signin_at stamped', async () => {
    const user = await createUser(db.ds);
    expect(user.lastSigninAt).toBeNull();
    const signedInAt = at(1234);
    const { session, user: after, token } = await signIn({ user, signedInAt });

    expect(session).toMatchObject({ userId: user.id, authMethod: 'password', ip: '203.0.113.7', userAgent: 'int-spec', expiresAt: at(DAY), revokedAt: null });
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(after.id).toBe(user.id);
    expect(after.lastSigninAt).toEqual(signedInAt);
    expect(after.version).toBeGreaterThan(user.version); // the trigger bumped it in the same statement
    expect(await tokenRow(token)).toMatchObject({ session_id: session.id, parent_id: null, used_at: null });
    expect(await repo.findByTokenHash(token)).toMatchObject({ id: session.id, userId: user.id });
  });

  it('create inside a unit of work that rolls back leaves neither session, token nor sign-in stamp', async () => {
    const user = await createUser(db.ds);
    const token = hash();
    await expect(
      db.uow.run(async (tx) => {
        await repo.create(tx, {
          userId: user.id,
          authMethod: 'google',
          amr: ['oauth'],
          ip: null,
          userAgent: null,
          expiresAt: at(DAY),
          refreshTokenHash: token,
          signedInAt: T0,
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await tokenRow(token)).toBeUndefined();
    expect(await db.ds.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`, [user.id])).toEqual([{ n: 0 }]);
    expect((await db.ds.query(`SELECT last_signin_at FROM users WHERE id = $1`, [user.id]))[0].last_signin_at).toBeNull();
  });

  it('rotateUnused rotates a token exactly once: slides the session, inserts the successor, keeps the sealed successor', async () => {
    const { session, token, user } = await signIn();
    const first = refresh(token, at(60_000));
    const rotated = await repo.rotateUnused(first);
    expect(rotated).toMatchObject({
      kind: 'rotated',
      session: { id: session.id, lastUsedAt: at(60_000), expiresAt: first.newExpiresAt },
      user: { id: user.id },
    });

    expect(await tokenRow(token)).toMatchObject({ used_at: at(60_000), successor_sealed: first.successorSealed });
    expect(await tokenRow(first.successorHash)).toMatchObject({ session_id: session.id, parent_id: (await tokenRow(token)).id, used_at: null });
    expect(await sessionRow(session.id)).toMatchObject({ last_used_at: at(60_000), expires_at: first.newExpiresAt });

    const again = refresh(token, at(61_000));
    expect(await repo.rotateUnused(again)).toBeNull();
    expect(await tokenRow(again.successorHash)).toBeUndefined();
    // the successor is the family's current token now
    expect(await repo.rotateUnused(refresh(first.successorHash, at(62_000)))).toMatchObject({ kind: 'rotated' });
  });

  it('rotateUnused with no grace window keeps no sealed successor', async () => {
    const { token } = await signIn();
    expect(await repo.rotateUnused(refresh(token, at(1000), 0))).toMatchObject({ kind: 'rotated' });
    expect(await tokenRow(token)).toMatchObject({ used_at: at(1000), successor_sealed: null });
  });

  it('rotateLocked rotates a token that is still unused (the serialised path of a lost compare-and-set)', async () => {
    const { session, token } = await signIn();
    const input = refresh(token, at(5000));
    const outcome = await db.uow.run((tx) => repo.rotateLocked(input, tx));
    expect(outcome).toMatchObject({ kind: 'rotated', session: { id: session.id, lastUsedAt: at(5000), expiresAt: input.newExpiresAt } });
    expect(await sessionRow(session.id)).toMatchObject({ last_used_at: at(5000), expires_at: input.newExpiresAt, revoked_at: null });
    expect(await tokenRow(input.successorHash)).toMatchObject({ parent_id: (await tokenRow(token)).id, used_at: null });
    expect(await repo.rotateUnused(refresh(token, at(6000)))).toBeNull();
  });

  it('a used token presented again within the grace window, its successor unused: grace, with the successor sealed at rotation', async () => {
    const { session, token, user } = await signIn();
    const first = refresh(token, at(100_000));
    await repo.rotateUnused(first);

    const retry = refresh(token, at(100_000 + GRACE_MS - 1));
    expect(await repo.rotateUnused(retry)).toBeNull();
    const outcome = await db.uow.run((tx) => repo.rotateLocked(retry, tx));
    expect(outcome).toEqual({
      kind: 'grace',
      session: expect.objectContaining({ id: session.id, revokedAt: null }),
      user: expect.objectContaining({ id: user.id }),
      sealedSuccessor: first.successorSealed,
    });
    // nothing changed: no new token, the session still live
    expect(await tokenRow(retry.successorHash)).toBeUndefined();
    expect(await sessionRow(session.id)).toMatchObject({ revoked_at: null, last_used_at: at(100_000) });
  });

  it('a used token presented again once the grace window is over: reused, and the session is revoked', async () => {
    const { session, token } = await signIn();
    await repo.rotateUnused(refresh(token, at(100_000)));

    const late = refresh(token, at(100_000 + GRACE_MS));
    const outcome = await rotate(late);
    expect(outcome).toMatchObject({ kind: 'reused', session: { id: session.id, revokedAt: late.now, revokedReason: 'refresh_token_reused' } });
    expect(await sessionRow(session.id)).toMatchObject({ revoked_at: late.now, revoked_reason: 'refresh_token_reused' });
    // the access-state change log has the revocation (trigger, same transaction)
    expect(await db.ds.query(`SELECT count(*)::int AS n FROM access_changes WHERE session_id = $1`, [session.id])).toEqual([{ n: 1 }]);
  });

  it('a used token whose successor was used too: reused even within the grace window', async () => {
    const { session, token } = await signIn();
    const first = refresh(token, at(100_000));
    await repo.rotateUnused(first);
    await repo.rotateUnused(refresh(first.successorHash, at(101_000)));

    expect(await rotate(refresh(token, at(102_000)))).toMatchObject({ kind: 'reused', session: { id: session.id } });
    expect(await sessionRow(session.id)).toMatchObject({ revoked_reason: 'refresh_token_reused' });
  });

  it('a used token presented within the grace window of a rotation made without one (grace 0): reused', async () => {
    const { token } = await signIn();
    await repo.rotateUnused(refresh(token, at(100_000), 0));
    expect(await rotate(refresh(token, at(100_001)))).toMatchObject({ kind: 'reused' });
  });

  it('a token of a revoked session: inactive, never reused, the revocation left as it was', async () => {
    const { session, token } = await signIn();
    expect(await db.uow.run((tx) => repo.revoke(tx, [session.id], 'logout', at(1000)))).toEqual([session.id]);

    expect(await rotate(refresh(token, at(2000)))).toMatchObject({ kind: 'inactive', session: { id: session.id, revokedReason: 'logout' } });
    // the one statement marked the token used on its way; presented again (after any grace), still inactive
    expect(await rotate(refresh(token, at(2000 + GRACE_MS * 10)))).toMatchObject({ kind: 'inactive' });
    expect(await sessionRow(session.id)).toMatchObject({ revoked_at: at(1000), revoked_reason: 'logout' });
    expect(await db.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1`, [session.id])).toEqual([{ n: 1 }]);
  });

  it('a token of an expired session: inactive, never reused, the session not revoked', async () => {
    const { session, token } = await signIn({ expiresAt: at(10_000) });
    expect(await rotate(refresh(token, at(10_000)))).toMatchObject({ kind: 'inactive', session: { id: session.id, revokedAt: null } });
    expect(await rotate(refresh(token, at(10_000 + GRACE_MS * 10)))).toMatchObject({ kind: 'inactive' });
    expect(await sessionRow(session.id)).toMatchObject({ revoked_at: null, expires_at: at(10_000) });
  });

  it('a token of a disabled user: disabled (nothing rotated)', async () => {
    const { session, token, user } = await signIn();
    await db.ds.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
    expect(await rotate(refresh(token, at(1000)))).toMatchObject({ kind: 'disabled', session: { id: session.id } });
    expect(await sessionRow(session.id)).toMatchObject({ revoked_at: null, expires_at: at(DAY) });
    expect(await db.ds.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1`, [session.id])).toEqual([{ n: 1 }]);
  });

  it('an unknown token: unknown', async () => {
    const input = refresh(hash(), at(1000));
    expect(await repo.rotateUnused(input)).toBeNull();
    expect(await db.uow.run((tx) => repo.rotateLocked(input, tx))).toEqual({ kind: 'unknown' });
    expect(await repo.findByTokenHash(input.presentedHash)).toBeNull();
  });

  itConcurrently(kind)('10 concurrent rotateUnused of one token: exactly one rotates, one successor', async () => {
    const { session, token } = await signIn();
    const inputs = Array.from({ length: 10 }, () => refresh(token, at(1000)));
    const results = await Promise.all(inputs.map((i) => repo.rotateUnused(i)));
    const winners = results.flatMap((r, i) => (r ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(await db.ds.query(`SELECT token_hash FROM refresh_tokens WHERE session_id = $1 AND parent_id IS NOT NULL`, [session.id])).toEqual([
      { token_hash: inputs[winners[0]].successorHash },
    ]);
  });

  itConcurrently(kind)('10 concurrent refreshes of one token (the service path): one rotated, the others grace with its successor, no reuse', async () => {
    const { session, token } = await signIn();
    const inputs = Array.from({ length: 10 }, () => refresh(token, at(1000)));
    const outcomes = await Promise.all(inputs.map((i) => rotate(i)));
    const rotated = outcomes.flatMap((o, i) => (o.kind === 'rotated' ? [i] : []));
    expect(rotated).toHaveLength(1);
    const winner = inputs[rotated[0]];
    const others = outcomes.filter((o) => o.kind !== 'rotated');
    expect(others).toHaveLength(9);
    for (const o of others) expect(o).toMatchObject({ kind: 'grace', sealedSuccessor: winner.successorSealed });
    expect(await sessionRow(session.id)).toMatchObject({ revoked_at: null });
  });

  itConcurrently(kind)(
    '10 concurrent rotateLocked of one unused token: the session lock lets exactly one rotate, the others see its rotation (grace)',
    async () => {
      // without the lock, a loser's second statement would read the token as unused in a snapshot
      // taken before the winner committed and answer "rotated" with a successor that was never stored
      const { session, token } = await signIn();
      const inputs = Array.from({ length: 10 }, () => refresh(token, at(1000)));
      const outcomes = await Promise.all(inputs.map((i) => db.uow.run((tx) => repo.rotateLocked(i, tx))));
      const rotated = outcomes.flatMap((o, i) => (o.kind === 'rotated' ? [i] : []));
      expect(rotated).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'grace')).toHaveLength(9);
      expect(await db.ds.query(`SELECT token_hash FROM refresh_tokens WHERE session_id = $1 AND parent_id IS NOT NULL`, [session.id])).toEqual([
        { token_hash: inputs[rotated[0]].successorHash },
      ]);
    },
  );

  it('revokeAllForUser revokes every live session but the one kept, returns their ids, leaves ended ones as they were', async () => {
    const user = await createUser(db.ds);
    const [keep, a, b, ended] = [await signIn({ user }), await signIn({ user }), await signIn({ user }), await signIn({ user })];
    await db.uow.run((tx) => repo.revoke(tx, [ended.session.id], 'logout', at(1000)));
    const other = await signIn(); // another user's session

    const ids = await db.uow.run((tx) => repo.revokeAllForUser(tx, user.id, 'password_changed', at(2000), keep.session.id));
    expect(ids.sort()).toEqual([a.session.id, b.session.id].sort());
    expect(await sessionRow(keep.session.id)).toMatchObject({ revoked_at: null });
    expect(await sessionRow(a.session.id)).toMatchObject({ revoked_at: at(2000), revoked_reason: 'password_changed' });
    expect(await sessionRow(ended.session.id)).toMatchObject({ revoked_at: at(1000), revoked_reason: 'logout' });
    expect(await sessionRow(other.session.id)).toMatchObject({ revoked_at: null });

    // without an exception: the last one; then nothing is left to revoke
    expect(await db.uow.run((tx) => repo.revokeAllForUser(tx, user.id, 'admin_revoked', at(3000)))).toEqual([keep.session.id]);
    expect(await db.uow.run((tx) => repo.revokeAllForUser(tx, user.id, 'admin_revoked', at(4000)))).toEqual([]);
  });
});
