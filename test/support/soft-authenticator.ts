import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software WebAuthn authenticator for e2e tests: what a browser plus a passkey provider would hand
 * to the page, as the JSON that @simplewebauthn/browser's startRegistration/startAuthentication return.
 *
 * - ES256 (P-256) keys made with node:crypto; "none" attestation; the CBOR of the attestation object
 *   and of the COSE key is made with @simplewebauthn/server's own isoCBOR (tiny-cbor underneath), so
 *   the server decodes exactly what it would encode.
 * - authenticatorData flags: UP (unless userPresent: false), UV when userVerified, BE/BS from the
 *   options, AT on registration. rpIdHash = SHA-256 of the RP ID of the options (rp.id / rpId), or of
 *   the origin's host when the options name none.
 * - Every assertion increments the credential's signature counter (unless the authenticator was made
 *   with counter: 'zero', like most synced passkeys).
 * - Negative tests: sign with a wrong key, flip a bit of the signature, send a chosen (old) counter,
 *   hash another RP ID, put another challenge/type in clientDataJSON, clear UP/UV.
 *
 * It checks no origin against the RP ID on purpose (a browser would): tests must be able to send what
 * a browser never would, to see the server refuse it.
 */

export type AuthenticatorAttachment = 'platform' | 'cross-platform';

export interface SoftAuthenticatorOptions {
  /** AAGUID (16 bytes) put in the attested credential data; all zeroes by default, as "none" attestation sends. */
  aaguid?: Uint8Array;
  /** 'increment' (default): +1 per assertion. 'zero': always 0, like synced passkeys. */
  counter?: 'increment' | 'zero';
}

export interface CreateCredentialOptions {
  /** The page's origin, e.g. 'http://localhost:3000', written into clientDataJSON. */
  origin: string;
  /** UV flag. Default true. */
  userVerified?: boolean;
  /** UP flag. Default true; false only for negative tests. */
  userPresent?: boolean;
  /** BE flag (credential may be synced). Default false. */
  backupEligible?: boolean;
  /** BS flag (credential is synced now). Default false. BS without BE is invalid and only useful for negative tests. */
  backedUp?: boolean;
  /** authenticatorAttachment of the response. Default: the options' authenticatorSelection.authenticatorAttachment, else 'platform'. */
  attachment?: AuthenticatorAttachment;
  /**
   * Whether the credential is discoverable (a passkey that answers empty allowCredentials and returns
   * a userHandle). Default: true unless authenticatorSelection.residentKey is 'discouraged'.
   */
  residentKey?: boolean;
  /** Transports reported. Default ['internal', 'hybrid'] for platform, ['usb'] for cross-platform. */
  transports?: AuthenticatorTransport[];
  /** Tampering: hash this RP ID instead of the options' one. */
  rpId?: string;
  /** Tampering: put this challenge (base64url) in clientDataJSON instead of the options' one. */
  challenge?: string;
  /** Tampering: clientDataJSON type (default 'webauthn.create'). */
  type?: string;
  /** clientDataJSON crossOrigin (default false). */
  crossOrigin?: boolean;
}

export interface GetAssertionOptions {
  /** The page's origin, written into clientDataJSON. */
  origin: string;
  /**
   * Which credential to use (base64url id). Needed only when more than one credential of this
   * authenticator fits the request (a browser would show a picker).
   */
  credentialId?: string;
  /** UV flag. Default true. */
  userVerified?: boolean;
  /** UP flag. Default true; false only for negative tests. */
  userPresent?: boolean;
  /** Tampering: sign with a freshly made key that the server never saw. */
  wrongKey?: boolean;
  /** Tampering: flip one bit of the (valid) signature. */
  tamperSignature?: boolean;
  /** Tampering/replay: send this signature counter and leave the stored one untouched (e.g. an old value). */
  counter?: number;
  /** Tampering: hash this RP ID instead of the options' one. */
  rpId?: string;
  /** Tampering: put this challenge (base64url) in clientDataJSON instead of the options' one. */
  challenge?: string;
  /** Tampering: clientDataJSON type (default 'webauthn.get'). */
  type?: string;
  /** Leave userHandle out even for a discoverable credential. */
  omitUserHandle?: boolean;
  /** clientDataJSON crossOrigin (default false). */
  crossOrigin?: boolean;
}

/** What the authenticator keeps for one credential (readable by tests). */
export interface SoftCredential {
  /** base64url credential id (= response id / rawId). */
  readonly id: string;
  readonly rpId: string;
  /** base64url user.id of the registration options (returned as userHandle when discoverable). */
  readonly userHandle: string;
  readonly discoverable: boolean;
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly attachment: AuthenticatorAttachment;
  readonly transports: AuthenticatorTransport[];
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** COSE_Key (EC2, ES256) as put in the attested credential data. */
  readonly cosePublicKey: Uint8Array;
  /** Last signature counter sent. */
  counter: number;
}

/** What @simplewebauthn/server's helpers take (its Uint8Array_): a Uint8Array over a plain ArrayBuffer. */
type Bytes = Uint8Array<ArrayBuffer>;
/** A value isoCBOR.encode takes (tiny-cbor's CBORType): CBOR maps are JS Maps, byte strings Uint8Arrays. */
type CBORValue = Parameters<typeof isoCBOR.encode>[0];

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const COSE_ALG_ES256 = -7;

export class SoftAuthenticator {
  private readonly creds: SoftCredential[] = [];
  private readonly aaguid: Uint8Array;
  private readonly counterMode: 'increment' | 'zero';

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.aaguid = options.aaguid ?? new Uint8Array(16);
    if (this.aaguid.length !== 16) throw new Error('aaguid must be 16 bytes');
    this.counterMode = options.counter ?? 'increment';
  }

  /** Credentials made so far, oldest first. */
  get credentials(): readonly SoftCredential[] {
    return this.creds;
  }

  /** One credential by base64url id; throws when unknown. */
  credential(id: string): SoftCredential {
    const found = this.creds.find((c) => c.id === id);
    if (!found) throw new Error(`SoftAuthenticator: no credential ${id}`);
    return found;
  }

  /** Forget a credential (a user deleting a passkey from the device). */
  remove(id: string): void {
    const i = this.creds.findIndex((c) => c.id === id);
    if (i >= 0) this.creds.splice(i, 1);
  }

  /** navigator.credentials.create() for `options` (the JSON generateRegistrationOptions returns). */
  createCredential(options: PublicKeyCredentialCreationOptionsJSON, opts: CreateCredentialOptions): RegistrationResponseJSON {
    if (!options.pubKeyCredParams.some((p) => p.type === 'public-key' && p.alg === COSE_ALG_ES256)) {
      throw new Error('NotSupportedError: SoftAuthenticator only makes ES256 (-7) credentials');
    }
    const rpId = options.rp.id ?? new URL(opts.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.creds.some((c) => c.rpId === rpId && excluded.has(c.id))) {
      throw new Error('InvalidStateError: the authenticator already holds a credential in excludeCredentials');
    }
    const sel = options.authenticatorSelection ?? {};
    const attachment: AuthenticatorAttachment = opts.attachment ?? (sel.authenticatorAttachment as AuthenticatorAttachment | undefined) ?? 'platform';
    const discoverable = opts.residentKey ?? sel.residentKey !== 'discouraged';
    const transports = opts.transports ?? (attachment === 'platform' ? ['internal', 'hybrid'] : ['usb']);

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, CBORValue>([
        [1, 2], // kty: EC2
        [3, COSE_ALG_ES256], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, b64urlBytes(jwk.x!)],
        [-3, b64urlBytes(jwk.y!)],
      ]),
    );
    const rawId = new Uint8Array(randomBytes(32));
    const id = isoBase64URL.fromBuffer(rawId);

    const cred: SoftCredential = {
      id,
      rpId,
      userHandle: options.user.id,
      discoverable,
      backupEligible: opts.backupEligible ?? false,
      backedUp: opts.backedUp ?? false,
      attachment,
      transports,
      privateKey,
      publicKey,
      cosePublicKey,
      counter: 0,
    };

    const flags = flagsFor({
      up: opts.userPresent ?? true,
      uv: opts.userVerified ?? true,
      be: cred.backupEligible,
      bs: cred.backedUp,
      at: true,
    });
    const credIdLen = new Uint8Array([(rawId.length >> 8) & 0xff, rawId.length & 0xff]);
    const authData = concat(sha256(opts.rpId ?? rpId), new Uint8Array([flags]), u32(cred.counter), this.aaguid, credIdLen, rawId, cosePublicKey);
    const clientDataJSON = clientData(opts.type ?? 'webauthn.create', opts.challenge ?? options.challenge, opts.origin, opts.crossOrigin);
    const attestationObject = isoCBOR.encode(
      new Map<string, CBORValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    this.creds.push(cred);

    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
        attestationObject: isoBase64URL.fromBuffer(attestationObject),
        authenticatorData: isoBase64URL.fromBuffer(authData),
        transports: [...transports],
        publicKeyAlgorithm: COSE_ALG_ES256,
        publicKey: isoBase64URL.fromBuffer(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }))),
      },
      clientExtensionResults: {},
      authenticatorAttachment: attachment,
    };
  }

  /** navigator.credentials.get() for `options` (the JSON generateAuthenticationOptions returns). */
  getAssertion(options: PublicKeyCredentialRequestOptionsJSON, opts: GetAssertionOptions): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(opts.origin).hostname;
    const allow = options.allowCredentials ?? [];
    let candidates = this.creds.filter((c) => c.rpId === rpId);
    candidates = allow.length > 0 ? candidates.filter((c) => allow.some((a) => a.id === c.id)) : candidates.filter((c) => c.discoverable);
    if (opts.credentialId !== undefined) candidates = candidates.filter((c) => c.id === opts.credentialId);
    if (candidates.length === 0) {
      throw new Error(`NotAllowedError: no credential of this authenticator fits the request for RP ID "${rpId}"`);
    }
    if (candidates.length > 1) {
      throw new Error(`SoftAuthenticator: ${candidates.length} credentials fit the request; pass credentialId to pick one`);
    }
    const cred = candidates[0];

    let counter: number;
    if (opts.counter !== undefined) {
      counter = opts.counter;
    } else {
      counter = this.counterMode === 'zero' ? 0 : cred.counter + 1;
      cred.counter = counter;
    }

    const flags = flagsFor({
      up: opts.userPresent ?? true,
      uv: opts.userVerified ?? true,
      be: cred.backupEligible,
      bs: cred.backedUp,
      at: false,
    });
    const authData = concat(sha256(opts.rpId ?? rpId), new Uint8Array([flags]), u32(counter));
    const clientDataJSON = clientData(opts.type ?? 'webauthn.get', opts.challenge ?? options.challenge, opts.origin, opts.crossOrigin);
    const signingKey = opts.wrongKey ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : cred.privateKey;
    // ES256 in WebAuthn: ECDSA P-256/SHA-256 over authData || SHA-256(clientDataJSON), DER-encoded (node's default).
    const signature = new Uint8Array(sign('sha256', concat(authData, sha256(clientDataJSON)), signingKey));
    if (opts.tamperSignature) signature[signature.length - 1] ^= 0x01;

    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key',
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
        authenticatorData: isoBase64URL.fromBuffer(authData),
        signature: isoBase64URL.fromBuffer(signature),
        ...(cred.discoverable && !opts.omitUserHandle ? { userHandle: cred.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: cred.attachment,
    };
  }
}

function flagsFor(f: { up: boolean; uv: boolean; be: boolean; bs: boolean; at: boolean }): number {
  return (f.up ? FLAG_UP : 0) | (f.uv ? FLAG_UV : 0) | (f.be ? FLAG_BE : 0) | (f.bs ? FLAG_BS : 0) | (f.at ? FLAG_AT : 0);
}

function clientData(type: string, challenge: string, origin: string, crossOrigin = false): Bytes {
  // Same member order as browsers write it.
  return new Uint8Array(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin }), 'utf8'));
}

function sha256(data: string | Uint8Array): Bytes {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function u32(n: number): Bytes {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

function b64urlBytes(s: string): Bytes {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
