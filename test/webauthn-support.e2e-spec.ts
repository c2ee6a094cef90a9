import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { SoftAuthenticator } from './support/soft-authenticator';
import { totpCode, totpCodeFromUri, totpSecretFromUri } from './support/totp';

/**
 * The test kit for second factors, against the real libraries and without a database: the software
 * WebAuthn authenticator against @simplewebauthn/server, TOTP codes against otpauth, and jose (ESM-only)
 * loading under jest.
 */

const RP_ID = 'id.example.test';
const ORIGIN = `https://${RP_ID}`;

async function registerPasskey(
  auth: SoftAuthenticator,
  flags: { backupEligible?: boolean; backedUp?: boolean; userVerified?: boolean } = {},
): Promise<{ credential: WebAuthnCredential; userID: string; verification: Awaited<ReturnType<typeof verifyRegistrationResponse>> }> {
  const options = await generateRegistrationOptions({
    rpName: 'Identity',
    rpID: RP_ID,
    userName: 'ada@example.test',
    userDisplayName: 'Ada',
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  const response = auth.createCredential(options, { origin: ORIGIN, ...flags });
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: true,
  });
  if (!verification.verified) throw new Error('registration not verified');
  return { credential: verification.registrationInfo.credential, userID: options.user.id, verification };
}

describe('WebAuthn: soft authenticator against @simplewebauthn/server', () => {
  it('registers a passkey (none attestation, UV) and signs in with it discoverably; the counter goes up', async () => {
    const auth = new SoftAuthenticator();
    const { credential, userID, verification } = await registerPasskey(auth);
    expect(verification.registrationInfo).toMatchObject({
      fmt: 'none',
      userVerified: true,
      credentialDeviceType: 'singleDevice',
      credentialBackedUp: false,
      origin: ORIGIN,
      rpID: RP_ID,
      aaguid: '00000000-0000-0000-0000-000000000000',
    });
    expect(credential.id).toBe(auth.credentials[0].id);
    expect(credential.counter).toBe(0);
    expect(credential.transports).toEqual(['internal', 'hybrid']);

    let stored = credential;
    for (const expected of [1, 2]) {
      // Discoverable: empty allowCredentials (v14 leaves the member out unless a list, even [], is passed).
      const options = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [], userVerification: 'required' });
      expect(options.allowCredentials ?? []).toEqual([]);
      const assertion = auth.getAssertion(options, { origin: ORIGIN });
      expect(assertion.id).toBe(credential.id);
      expect(assertion.response.userHandle).toBe(userID);
      const result = await verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: stored,
        requireUserVerification: true,
      });
      expect(result.verified).toBe(true);
      expect(result.authenticationInfo).toMatchObject({ newCounter: expected, userVerified: true, credentialID: credential.id });
      stored = { ...stored, counter: result.authenticationInfo.newCounter };
    }
  });

  it('answers allowCredentials with that credential', async () => {
    const auth = new SoftAuthenticator();
    const { credential } = await registerPasskey(auth);
    const options = await generateAuthenticationOptions({
      rpID: RP_ID,
      allowCredentials: [{ id: credential.id, transports: credential.transports }],
    });
    const result = await verifyAuthenticationResponse({
      response: auth.getAssertion(options, { origin: ORIGIN }),
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
    });
    expect(result.verified).toBe(true);
    const other = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: isoBase64URL.fromBuffer(new Uint8Array(32)) }] });
    expect(() => auth.getAssertion(other, { origin: ORIGIN })).toThrow(/NotAllowedError/);
  });

  it('reflects BE/BS in credentialDeviceType / credentialBackedUp, at registration and sign-in', async () => {
    for (const [flags, deviceType, backedUp] of [
      [{ backupEligible: false, backedUp: false }, 'singleDevice', false],
      [{ backupEligible: true, backedUp: false }, 'multiDevice', false],
      [{ backupEligible: true, backedUp: true }, 'multiDevice', true],
    ] as const) {
      const auth = new SoftAuthenticator();
      const { credential, verification } = await registerPasskey(auth, flags);
      expect(verification.registrationInfo).toMatchObject({ credentialDeviceType: deviceType, credentialBackedUp: backedUp });
      const options = await generateAuthenticationOptions({ rpID: RP_ID });
      const result = await verifyAuthenticationResponse({
        response: auth.getAssertion(options, { origin: ORIGIN }),
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
      });
      expect(result.authenticationInfo).toMatchObject({ credentialDeviceType: deviceType, credentialBackedUp: backedUp });
    }
  });

  it('refuses registration without UV when UV is required, a wrong origin, a wrong RP ID, another challenge', async () => {
    const options = await generateRegistrationOptions({ rpName: 'Identity', rpID: RP_ID, userName: 'ada@example.test' });
    const verify = (response: ReturnType<SoftAuthenticator['createCredential']>) =>
      verifyRegistrationResponse({
        response,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: true,
      });
    const auth = new SoftAuthenticator();
    await expect(verify(auth.createCredential(options, { origin: ORIGIN, userVerified: false }))).rejects.toThrow(/user could not be verified/i);
    await expect(verify(auth.createCredential(options, { origin: 'https://evil.example.test' }))).rejects.toThrow(/origin/i);
    await expect(verify(auth.createCredential(options, { origin: ORIGIN, rpId: 'evil.example.test' }))).rejects.toThrow(/RP ID/i);
    await expect(verify(auth.createCredential(options, { origin: ORIGIN, challenge: 'bm90LXRoZS1jaGFsbGVuZ2U' }))).rejects.toThrow(/challenge/i);
    await expect(verify(auth.createCredential(options, { origin: ORIGIN, type: 'webauthn.get' }))).rejects.toThrow(/type/i);
    expect((await verify(auth.createCredential(options, { origin: ORIGIN }))).verified).toBe(true);
  });

  it('refuses a tampered signature, a wrong key, a wrong origin, a wrong RP ID, a replayed counter, missing UV', async () => {
    const auth = new SoftAuthenticator();
    const { credential } = await registerPasskey(auth);
    const attempt = async (opts: Partial<Parameters<SoftAuthenticator['getAssertion']>[1]>, stored = credential) => {
      const options = await generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'required' });
      return verifyAuthenticationResponse({
        response: auth.getAssertion(options, { origin: ORIGIN, ...opts }),
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: stored,
        requireUserVerification: true,
      });
    };

    expect((await attempt({ tamperSignature: true })).verified).toBe(false);
    expect((await attempt({ wrongKey: true })).verified).toBe(false);
    await expect(attempt({ origin: 'https://evil.example.test' })).rejects.toThrow(/origin/i);
    await expect(attempt({ rpId: 'evil.example.test' })).rejects.toThrow(/RP ID/i);
    await expect(attempt({ userVerified: false })).rejects.toThrow(/user could not be verified/i);

    const ok = await attempt({});
    expect(ok.verified).toBe(true);
    const stored = { ...credential, counter: ok.authenticationInfo.newCounter };
    // A clone of the authenticator replaying a counter the server has already seen.
    await expect(attempt({ counter: stored.counter }, stored)).rejects.toThrow(/counter/i);
    await expect(attempt({ counter: stored.counter - 1 }, stored)).rejects.toThrow(/counter/i);
    expect((await attempt({}, stored)).verified).toBe(true);
  });

  it('keeps several credentials apart; excludeCredentials refuses a second one on the same authenticator', async () => {
    const auth = new SoftAuthenticator({ counter: 'zero' });
    const a = await registerPasskey(auth);
    const b = await registerPasskey(auth);
    const options = await generateAuthenticationOptions({ rpID: RP_ID });
    expect(() => auth.getAssertion(options, { origin: ORIGIN })).toThrow(/pass credentialId/);
    const assertion = auth.getAssertion(options, { origin: ORIGIN, credentialId: b.credential.id });
    expect(assertion.response.userHandle).toBe(b.userID);
    const result = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: b.credential,
    });
    expect(result.authenticationInfo.newCounter).toBe(0);
    const again = await generateRegistrationOptions({
      rpName: 'Identity',
      rpID: RP_ID,
      userName: 'ada@example.test',
      excludeCredentials: [{ id: a.credential.id }],
    });
    expect(() => auth.createCredential(again, { origin: ORIGIN })).toThrow(/InvalidStateError/);
  });
});

describe('TOTP: otpauth with a controlled clock', () => {
  // A fixed secret and clock: deterministic (a random secret could make two steps' codes collide, 1 in ~10^6).
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const t0 = Date.UTC(2030, 0, 1, 12, 0, 10); // 10 s into a 30 s step

  it('accepts the current and the previous step with window 1, refuses two steps back and the next-but-one', () => {
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    expect(totp.validate({ token: totpCode(secret, t0), timestamp: t0, window: 1 })).toBe(0);
    expect(totp.validate({ token: totpCode(secret, t0 - 30_000), timestamp: t0, window: 1 })).toBe(-1);
    expect(totp.validate({ token: totpCode(secret, t0 + 30_000), timestamp: t0, window: 1 })).toBe(1);
    expect(totp.validate({ token: totpCode(secret, t0 - 60_000), timestamp: t0, window: 1 })).toBeNull();
    expect(totp.validate({ token: totpCode(secret, t0 + 60_000), timestamp: t0, window: 1 })).toBeNull();
    expect(totpCode(secret, new Date(t0))).toMatch(/^\d{6}$/);
  });

  it('matches RFC 6238 test vector (SHA1, 8 digits, T = 59 s)', () => {
    const rfcSecret = Secret.fromUTF8('12345678901234567890').base32;
    expect(totpCode(rfcSecret, 59_000, { digits: 8 })).toBe('94287082');
  });

  it('reads a provisioning URI and makes its QR code', async () => {
    const totp = new TOTP({ issuer: 'Identity', label: 'ada@example.test', secret: Secret.fromBase32(secret) });
    const uri = totp.toString();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(totpSecretFromUri(uri)).toBe(secret);
    expect(totpCodeFromUri(uri, t0)).toBe(totpCode(secret, t0));
    const png = await QRCode.toDataURL(uri);
    expect(png).toMatch(/^data:image\/png;base64,/);
  });
});

describe('jose (ESM-only) under jest', () => {
  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ] as const)('signs and verifies an %s JWT, directly and through a local JWKS', async (alg, shape) => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwt = await new SignJWT({ sid: 'session-1', roles: ['user'] })
      .setProtectedHeader({ alg, kid: `${alg}-1`, typ: 'JWT' })
      .setSubject('user-1')
      .setIssuer('https://id.example.test')
      .setAudience('api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    const direct = await jwtVerify(jwt, publicKey, { issuer: 'https://id.example.test', audience: 'api', algorithms: [alg] });
    expect(direct.payload).toMatchObject({ sub: 'user-1', sid: 'session-1', roles: ['user'] });

    const jwk = await exportJWK(publicKey);
    expect(jwk).toMatchObject(shape);
    expect(jwk).not.toHaveProperty('d');
    const jwks = createLocalJWKSet({ keys: [{ ...jwk, kid: `${alg}-1`, alg, use: 'sig' }] });
    const viaJwks = await jwtVerify(jwt, jwks, { issuer: 'https://id.example.test', audience: 'api' });
    expect(viaJwks.protectedHeader).toMatchObject({ alg, kid: `${alg}-1` });

    const [h, p, sig] = jwt.split('.');
    const flipped = Buffer.from(sig, 'base64url');
    flipped[10] ^= 0x01; // (swapping trailing characters can leave the bytes unchanged: base64url's spare bits)
    await expect(jwtVerify(`${h}.${p}.${flipped.toString('base64url')}`, jwks)).rejects.toThrow(/signature verification failed/);
    await expect(jwtVerify(jwt, jwks, { audience: 'other' })).rejects.toThrow(/aud/);
  });
});
