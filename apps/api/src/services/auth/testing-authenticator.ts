/**
 * Test helper: a software WebAuthn authenticator (ES256, attestation "none") that builds real
 * registration and assertion responses, with knobs to break one thing at a time (origin, type, flags,
 * challenge). Used by the auth tests only; never by product code.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface Tweaks {
  origin?: string;
  type?: string;
  challenge?: string;
  userVerified?: boolean;
  rpId?: string;
  backupEligible?: boolean;
  backedUp?: boolean;
  crossOrigin?: boolean;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

export class SoftAuthenticator {
  readonly credentialId: Uint8Array;
  private readonly privateKey: KeyObject;
  private readonly cose: Uint8Array;
  private counter = 0;

  constructor(
    readonly rpId: string,
    readonly origin: string,
  ) {
    this.credentialId = new Uint8Array(randomBytes(32));
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: "jwk" });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, "base64url"))],
    ]);
    this.cose = isoCBOR.encode(cose);
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  private clientData(type: string, challenge: string, t: Tweaks): Uint8Array {
    const cd: Record<string, unknown> = { type: t.type ?? type, challenge: t.challenge ?? challenge, origin: t.origin ?? this.origin, crossOrigin: t.crossOrigin ?? false };
    return new TextEncoder().encode(JSON.stringify(cd));
  }

  private flags(t: Tweaks, extra: number): number {
    let f = FLAG_UP | extra;
    if (t.userVerified ?? true) f |= FLAG_UV;
    if (t.backupEligible) f |= FLAG_BE;
    if (t.backedUp) f |= FLAG_BS;
    return f;
  }

  /** A registration response (PublicKeyCredential JSON) to `options.challenge`. */
  register(challenge: string, t: Tweaks = {}): Record<string, unknown> {
    const clientDataJSON = this.clientData("webauthn.create", challenge, t);
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(t.rpId ?? this.rpId),
      Buffer.from([this.flags(t, FLAG_AT)]),
      Buffer.alloc(4),
      Buffer.alloc(16), // AAGUID: zero for "none"
      idLen,
      Buffer.from(this.credentialId),
      Buffer.from(this.cose),
    ]);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", new Uint8Array(authData)]]) as never);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
    };
  }

  /** An assertion response to `options.challenge`; `userHandle` is echoed when given. */
  assert(challenge: string, t: Tweaks = {}, userHandle?: string): Record<string, unknown> {
    const clientDataJSON = this.clientData("webauthn.get", challenge, t);
    this.counter += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    const authData = Buffer.concat([sha256(t.rpId ?? this.rpId), Buffer.from([this.flags(t, 0)]), count]);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(userHandle !== undefined ? { userHandle } : {}),
      },
      clientExtensionResults: {},
    };
  }
}
