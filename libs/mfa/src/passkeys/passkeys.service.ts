import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UnitOfWork } from '@app/database';
import { type Actor, type Cursor, DomainEvents, generateToken, ProblemException, sha256 } from '@app/common';
import { KeyValueStore } from '@app/redis';
import { LoginMethods, type User, UsersErrors, UsersRepository } from '@app/users';
import { MfaService } from '../mfa.service';
import { MfaErrors, withChallengeStore } from '../errors';
import { CredentialInUseError, type Passkey, PasskeysRepository } from './passkeys.repository';

export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** A verified assertion: whose passkey, and the amr it earns (hwk: a roaming security key; swk: a platform or synced one). */
export interface PasskeyProof {
  userId: string;
  passkeyId: string;
  amr: 'hwk' | 'swk';
}

const registrationKey = (userId: string) => `wa:reg:${userId}`;
const assertionKey = (purpose: string, id: string) => `wa:${purpose}:${sha256(id)}`;

/**
 * Passkeys with @simplewebauthn/server: registration for a signed-in user (user verification
 * required, resident key preferred, no attestation), assertions for passwordless sign-in, as a
 * second factor and for step-up. Challenges live in the shared store for 5 minutes and are taken
 * (GETDEL) when used: single use. Signature counters only move forward; backup flags are kept.
 */
@Injectable()
export class PasskeysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: PasskeysRepository,
    private readonly kv: KeyValueStore,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly mfa: MfaService,
    private readonly events: DomainEvents,
    private readonly loginMethods: LoginMethods,
  ) {
    loginMethods.register('passkey', (userId, tx) => this.repo.count(userId, tx));
  }

  private get rp() {
    return this.config.mfa.webauthn;
  }

  async registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.repo.listForUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      userID: uuidBytes(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    });
    await withChallengeStore(() => this.kv.set(registrationKey(user.id), options.challenge, WEBAUTHN_CHALLENGE_TTL_MS));
    return options;
  }

  async register(userId: string, response: RegistrationResponseJSON, name: string | undefined, actor: Actor): Promise<Passkey> {
    const challenge = await withChallengeStore(() => this.kv.take(registrationKey(userId)));
    if (!challenge) throw refused('no registration is pending (options expire after 5 minutes and work once)');
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        requireUserVerification: true,
      });
    } catch (err) {
      throw refused(err instanceof Error ? err.message : 'the registration did not verify');
    }
    if (!verification.verified) throw refused('the registration did not verify');
    const info = verification.registrationInfo;
    try {
      return await this.uow.run(async (tx) => {
        const user = await this.users.lockForFactorChange(userId, tx);
        if (!user) throw UsersErrors.userNotFound();
        const passkey = await this.repo.insert(
          {
            userId,
            credentialId: info.credential.id,
            publicKey: info.credential.publicKey,
            signCount: info.credential.counter,
            transports: info.credential.transports ?? [],
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
            name: name?.trim() || defaultName(response),
          },
          tx,
        );
        await this.mfa.refresh(userId, tx);
        await this.events.record('passkey.added', actor, {
          metadata: { passkey_id: passkey.id, device_type: passkey.deviceType, backed_up: passkey.backedUp },
          tx,
        });
        return passkey;
      });
    } catch (err) {
      if (err instanceof CredentialInUseError) throw refused('this passkey is registered already');
      throw err;
    }
  }

  page(userId: string, f: { limit: number; cursor?: Cursor }): Promise<Passkey[]> {
    return this.repo.page(userId, f);
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey> {
    const p = await this.repo.rename(userId, id, name);
    if (!p) throw MfaErrors.passkeyNotFound();
    return p;
  }

  /** 404 for another user's passkey; 409 last_login_method when it is the only way in. */
  async remove(userId: string, id: string, actor: Actor): Promise<void> {
    const refusedLast = await this.uow
      .run(async (tx) => {
        const user = await this.users.lockForFactorChange(userId, tx);
        if (!user) throw UsersErrors.userNotFound();
        const removed = await this.repo.remove(userId, id, tx);
        if (!removed) throw MfaErrors.passkeyNotFound();
        // counted after the delete: what is left
        const ways = Object.values(await this.loginMethods.count(userId, tx)).reduce((a, b) => a + b, 0);
        if (!user.passwordHash && ways === 0) throw LAST_METHOD;
        await this.mfa.refresh(userId, tx);
        await this.events.record('passkey.removed', actor, { metadata: { passkey_id: id }, tx });
        return false;
      })
      .catch((err: unknown) => {
        // thrown to roll the delete back
        if (err === LAST_METHOD) return true;
        throw err;
      });
    if (refusedLast)
      throw ProblemException.conflict('last_login_method', 'This passkey is the only way you can sign in: add a password or another passkey first');
  }

  /** Options for an assertion; the challenge is kept under `id` for `purpose` (single use, 5 minutes). */
  async assertionOptions(purpose: 'login' | 'mfa' | 'reauth', id: string, userId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = userId
      ? (await this.repo.listForUser(userId)).map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransport[] }))
      : [];
    const options = await generateAuthenticationOptions({ rpID: this.rp.rpId, allowCredentials: allow, userVerification: 'required' });
    await withChallengeStore(() => this.kv.set(assertionKey(purpose, id), JSON.stringify({ challenge: options.challenge, userId }), WEBAUTHN_CHALLENGE_TTL_MS));
    return options;
  }

  /** A fresh id for a passwordless sign-in's challenge. */
  newChallengeId(): string {
    return generateToken(24);
  }

  /**
   * Checks an assertion against the challenge kept under `id` (taken: single use) and, when
   * given, the user it must belong to. null when anything is off: unknown or foreign credential,
   * signature, origin, RP ID, user verification, a counter that went back.
   */
  async verifyAssertion(purpose: 'login' | 'mfa' | 'reauth', id: string, response: unknown, userId?: string): Promise<PasskeyProof | null> {
    const raw = await withChallengeStore(() => this.kv.take(assertionKey(purpose, id)));
    if (!raw || !isAssertion(response)) return null;
    const kept = JSON.parse(raw) as { challenge: string; userId: string | null };
    const passkey = await this.repo.findByCredentialId(response.id);
    if (!passkey || (userId && passkey.userId !== userId) || (kept.userId && passkey.userId !== kept.userId)) return null;
    const handle = response.response.userHandle;
    if (handle && handle !== Buffer.from(uuidBytes(passkey.userId)).toString('base64url')) return null;
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: kept.challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: passkey.signCount,
          transports: passkey.transports as AuthenticatorTransport[],
        },
        requireUserVerification: true,
      });
    } catch {
      return null;
    }
    if (!result.verified) return null;
    if (!(await this.repo.used(passkey.id, result.authenticationInfo.newCounter, result.authenticationInfo.credentialBackedUp))) return null;
    return { userId: passkey.userId, passkeyId: passkey.id, amr: response.authenticatorAttachment === 'cross-platform' ? 'hwk' : 'swk' };
  }
}

const LAST_METHOD = Symbol('last login method');

/** A registration that did not verify: 400 with what was wrong. */
const refused = (message: string) => MfaErrors.registrationRefused(message);

/** The WebAuthn user handle: the user id's 16 bytes (never the email). */
function uuidBytes(id: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(id.replace(/-/g, ''), 'hex'));
}

function defaultName(response: RegistrationResponseJSON): string {
  return response.authenticatorAttachment === 'cross-platform' ? 'Security key' : 'Passkey';
}

function isAssertion(v: unknown): v is AuthenticationResponseJSON {
  const r = v as AuthenticationResponseJSON | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.rawId === 'string' &&
    r.type === 'public-key' &&
    typeof r.response === 'object' &&
    r.response !== null &&
    typeof r.response.clientDataJSON === 'string' &&
    typeof r.response.authenticatorData === 'string' &&
    typeof r.response.signature === 'string'
  );
}
