// Shared helpers for the OpenID4VCI interop peers (see README.md): ES256 JWS
// with node:crypto, the callbacks @openid4vc/* needs, argument parsing and
// output. Only ES256 on P-256 is supported, on purpose: it is what both
// peers advertise, and the verifier fixes the algorithm by policy.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { setGlobalConfig } from '@openid4vc/oauth2';

// http:// URLs are allowed only because both peers run on loopback; every
// entry point checks that an http URL it is given names a loopback host.
setGlobalConfig({ allowInsecureUrls: true });

export const b64u = (buf) => Buffer.from(buf).toString('base64url');

export function b64uJSON(v) {
  return b64u(Buffer.from(JSON.stringify(v), 'utf8'));
}

// strictB64u decodes unpadded base64url and rejects anything else.
export function strictB64u(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
    throw new Error('bad base64url');
  }
  return Buffer.from(s, 'base64url');
}

// decodeJWS splits a compact JWS without verifying it.
export function decodeJWS(jws) {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3) throw new Error('not a compact JWS');
  return {
    header: JSON.parse(strictB64u(parts[0]).toString('utf8')),
    payload: JSON.parse(strictB64u(parts[1]).toString('utf8')),
    input: `${parts[0]}.${parts[1]}`,
    signature: parts[2],
  };
}

export const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

export function publicJwk({ kty, crv, x, y }) {
  return { kty, crv, x, y };
}

// newP256 returns a fresh P-256 key pair as JWKs.
export function newP256() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateJwk: jwk, publicJwk: publicJwk(jwk) };
}

// RFC 7638 thumbprint of an EC public JWK.
export function thumbprint(jwk) {
  const { crv, kty, x, y } = jwk;
  return b64u(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
}

export function es256Sign(privateJwk, input) {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  return b64u(sign('sha256', Buffer.from(input, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }));
}

// es256Verify never throws: a malformed key or signature is "false". It
// refuses a JWK that carries private material.
export function es256Verify(jwk, input, signature) {
  try {
    if (!isObject(jwk) || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || 'd' in jwk) return false;
    const key = createPublicKey({ key: publicJwk(jwk), format: 'jwk' });
    const raw = strictB64u(signature);
    if (raw.length !== 64) return false;
    return verify('sha256', Buffer.from(input, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}

// signCompact signs header.payload with ES256.
export function signCompact(privateJwk, header, payload) {
  if (header.alg !== 'ES256') throw new Error(`refusing to sign with alg ${header.alg}: only ES256`);
  const input = `${b64uJSON(header)}.${b64uJSON(payload)}`;
  return `${input}.${es256Sign(privateJwk, input)}`;
}

const HASHES = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

// KeyRing holds the private keys the library may ask signJwt to use: by
// JWK thumbprint (signer method "jwk") or by kid (method "custom").
export class KeyRing {
  #byThumbprint = new Map();
  #byKid = new Map();

  add(privateJwk, kid) {
    this.#byThumbprint.set(thumbprint(privateJwk), privateJwk);
    if (kid) this.#byKid.set(kid, privateJwk);
    return privateJwk;
  }

  find(signer) {
    if (signer.method === 'jwk') return this.#byThumbprint.get(thumbprint(signer.publicJwk));
    if (signer.method === 'custom' && signer.kid) return this.#byKid.get(signer.kid);
    return undefined;
  }
}

// callbacks builds the CallbackContext of @openid4vc/oauth2 over a KeyRing.
// verifyJwt accepts only ES256 signatures by a P-256 JWK given in the
// signer (method "jwk": a jwk header, as key proofs and DPoP proofs carry;
// the access token's key comes from the issuer's own JWKS the same way).
export function callbacks(ring, { fetchImpl = timedFetch, clientAuthentication } = {}) {
  return {
    fetch: fetchImpl,
    hash: (data, alg) => {
      if (!Object.hasOwn(HASHES, alg)) throw new Error(`unsupported hash ${alg}`);
      return new Uint8Array(createHash(HASHES[alg]).update(Buffer.from(data)).digest());
    },
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    signJwt: async (signer, { header, payload }) => {
      const key = ring.find(signer);
      if (!key) throw new Error(`no private key for signer ${JSON.stringify(signer)}`);
      if (signer.alg !== 'ES256' || header.alg !== 'ES256') throw new Error(`only ES256, not ${signer.alg}`);
      return { jwt: signCompact(key, header, payload), signerJwk: publicJwk(key) };
    },
    verifyJwt: async (signer, { header, compact }) => {
      if (signer.method !== 'jwk' || signer.alg !== 'ES256' || header.alg !== 'ES256') {
        return { verified: false };
      }
      const parts = compact.split('.');
      const ok = parts.length === 3 && es256Verify(signer.publicJwk, `${parts[0]}.${parts[1]}`, parts[2]);
      return ok ? { verified: true, signerJwk: signer.publicJwk } : { verified: false };
    },
    clientAuthentication: clientAuthentication ?? (() => {}),
  };
}

// timedFetch is the global fetch with a 30 s timeout, so a peer that never
// answers fails the run instead of hanging it.
export function timedFetch(input, init = {}) {
  return fetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

// checkURL allows https anywhere and http only on a loopback host.
export function checkURL(u, what) {
  const url = new URL(u);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new Error(`${what} ${u}: http is allowed on loopback only`);
}

// parseArgs reads --name value and --flag options. spec maps each option
// name to "string", "number" or "boolean".
export function parseArgs(argv, spec) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !Object.hasOwn(spec, m[1])) throw new UsageError(`unknown argument ${a}`);
    const name = m[1];
    const camel = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (spec[name] === 'boolean') {
      if (m[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      out[camel] = true;
      continue;
    }
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    if (spec[name] === 'number') {
      if (!/^\d+$/.test(v)) throw new UsageError(`--${name} wants a non-negative integer`);
      out[camel] = Number(v);
    } else {
      out[camel] = v;
    }
  }
  return out;
}

export class UsageError extends Error {}

// writeLine prints one JSON object as one line on stdout.
export function writeLine(v) {
  process.stdout.write(`${JSON.stringify(v)}\n`);
}

// asciiDescription makes an error_description legal under OpenID4VCI 1.0
// §8.3.1.2 (and RFC 6749 §5.2): printable ASCII without " and \.
export function asciiDescription(s) {
  return String(s)
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?')
    .slice(0, 300)
    .trim();
}
