// Shared helpers for the sd-jwt-js interop scripts (see README.md).
// ES256 signing and verification use Node's own crypto; @sd-jwt/* does the
// SD-JWT work. The strict checks in checkPresentation are done here because
// sd-jwt-js 0.19.0 on its own accepts unreferenced or altered disclosures and
// does not check the KB-JWT aud or iat.
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';

export async function readStdinJSON() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function writeJSON(v) {
  process.stdout.write(JSON.stringify(v));
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

// strictB64u decodes unpadded base64url and rejects any other alphabet.
function strictB64u(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
    throw new Error('bad base64url');
  }
  const out = Buffer.from(s, 'base64url');
  if (b64u(out) !== s) throw new Error('non-canonical base64url');
  return out;
}

// Hash algorithms of the IANA Named Information registry used for _sd_alg
// (RFC 9901 §4.1.1) and their node:crypto names.
const HASHES = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

// The hasher sd-jwt-js calls.
export function hasher(data, alg) {
  if (!Object.hasOwn(HASHES, alg)) throw new Error(`unsupported hash ${alg}`);
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return new Uint8Array(createHash(HASHES[alg]).update(buf).digest());
}

const digestB64u = (alg, s) => b64u(createHash(HASHES[alg]).update(Buffer.from(s, 'ascii')).digest());

function es256Signer(privateJwk) {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  return (data) => b64u(sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }));
}

// es256Verify checks a JWS signing input against a public JWK; it never
// throws (a malformed key or signature is just "false").
function es256Verify(publicJwk, data, sig) {
  try {
    const { kty, crv, x, y } = publicJwk;
    if (kty !== 'EC' || crv !== 'P-256') return false;
    const key = createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
    const raw = strictB64u(sig);
    if (raw.length !== 64) return false;
    return verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}

// headerAlg reads the alg of a JWS signing input "<header>.<payload>".
function headerAlg(data) {
  try {
    return JSON.parse(strictB64u(data.split('.')[0]).toString('utf8')).alg;
  } catch {
    return undefined;
  }
}

export function publicJwk({ kty, crv, x, y }) {
  return { kty, crv, x, y };
}

// newInstance builds an SDJwtVcInstance. issuerJwk must hold d when the
// instance issues; holderJwk must hold d when it presents.
export function newInstance({ issuerJwk, holderJwk, hashAlg = 'sha-256' }) {
  const cfg = {
    hasher,
    hashAlg,
    saltGenerator: (n) => b64u(randomBytes(Math.max(n, 16))),
    signAlg: 'ES256',
    kbSignAlg: 'ES256',
    // The algorithm comes from our policy, never from the token.
    verifier: (data, sig) => headerAlg(data) === 'ES256' && es256Verify(issuerJwk, data, sig),
    kbVerifier: (data, sig, payload) =>
      headerAlg(data) === 'ES256' && !!payload?.cnf?.jwk && es256Verify(payload.cnf.jwk, data, sig),
    // No status list or type metadata is fetched: everything stays offline.
    loadTypeMetadataFormat: false,
  };
  if (issuerJwk?.d) cfg.signer = es256Signer(issuerJwk);
  if (holderJwk?.d) cfg.kbSigner = es256Signer(holderJwk);
  return new SDJwtVcInstance(cfg);
}

class Reject extends Error {
  constructor(reason, detail) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
  }
}

function decodeJWS(jws, what) {
  const parts = jws.split('.');
  if (parts.length !== 3) throw new Reject('format', `${what} is not a compact JWS`);
  try {
    return {
      header: JSON.parse(strictB64u(parts[0]).toString('utf8')),
      payload: JSON.parse(strictB64u(parts[1]).toString('utf8')),
      input: `${parts[0]}.${parts[1]}`,
      sig: parts[2],
    };
  } catch (e) {
    throw new Reject('format', `${what}: ${e.message}`);
  }
}

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

// strictCheck is this script's own verification of an SD-JWT VC + KB-JWT
// (RFC 9901 §7.1 and §7.3). It throws a Reject naming the first failed check.
function strictCheck(pres, o) {
  if (typeof pres !== 'string' || !pres.includes('~')) throw new Reject('format', 'no ~ separator');
  const parts = pres.split('~');
  const kbJwt = parts[parts.length - 1];
  const discs = parts.slice(1, -1);
  const iss = decodeJWS(parts[0], 'issuer JWT');

  // §7.1 step 2: the issuer signature under the allowed algorithm, then typ.
  if (iss.header.alg !== 'ES256') throw new Reject('alg', `issuer alg ${iss.header.alg}`);
  if (!es256Verify(o.issuerJwk, iss.input, iss.sig)) throw new Reject('signature', 'issuer signature');
  if (iss.header.typ !== 'dc+sd-jwt') throw new Reject('typ', `issuer typ ${iss.header.typ}`);
  const p = iss.payload;
  const alg = p._sd_alg ?? 'sha-256';
  if (typeof alg !== 'string' || !Object.hasOwn(HASHES, alg)) throw new Reject('sd_alg', String(alg));
  if (typeof p.vct !== 'string') throw new Reject('vct', 'vct missing');
  if (typeof p.exp !== 'number' || p.exp <= o.now) throw new Reject('exp', `exp ${p.exp}`);
  if (typeof p.iat === 'number' && p.iat > o.now + o.skew) throw new Reject('iat', `issuer iat ${p.iat}`);

  // §7.1 step 3: every disclosure's digest is referenced exactly once, from
  // the payload or from another referenced disclosure.
  const byDigest = new Map();
  for (const d of discs) {
    if (d === '') throw new Reject('format', 'empty disclosure');
    const dg = digestB64u(alg, d);
    if (byDigest.has(dg)) throw new Reject('duplicate-disclosure', d);
    let arr;
    try {
      arr = JSON.parse(strictB64u(d).toString('utf8'));
    } catch (e) {
      throw new Reject('malformed-disclosure', e.message);
    }
    if (!Array.isArray(arr) || (arr.length !== 2 && arr.length !== 3) || typeof arr[0] !== 'string') {
      throw new Reject('malformed-disclosure', d);
    }
    if (arr.length === 3 && (typeof arr[1] !== 'string' || arr[1] === '_sd' || arr[1] === '...')) {
      throw new Reject('malformed-disclosure', `claim name ${arr[1]}`);
    }
    byDigest.set(dg, arr);
  }
  const seen = new Set();
  const reference = (dg, kind) => {
    if (typeof dg !== 'string') throw new Reject('format', 'digest is not a string');
    if (seen.has(dg)) throw new Reject('duplicate-digest', dg);
    seen.add(dg);
    const arr = byDigest.get(dg);
    if (!arr) return; // undisclosed claim or decoy
    if ((kind === 'object') !== (arr.length === 3)) throw new Reject('disclosure-kind', dg);
    walk(arr[arr.length - 1]);
  };
  const walk = (v) => {
    if (Array.isArray(v)) {
      for (const el of v) {
        if (isObj(el) && Object.keys(el).length === 1 && '...' in el) reference(el['...'], 'array');
        else walk(el);
      }
    } else if (isObj(v)) {
      if ('_sd' in v) {
        if (!Array.isArray(v._sd)) throw new Reject('format', '_sd is not an array');
        for (const dg of v._sd) reference(dg, 'object');
      }
      for (const [k, el] of Object.entries(v)) if (k !== '_sd') walk(el);
    }
  };
  walk(p);
  for (const [dg] of byDigest) {
    if (!seen.has(dg)) throw new Reject('unreferenced-disclosure', dg);
  }

  // §7.3: the KB-JWT.
  if (kbJwt === '') throw new Reject('kb-missing', 'no KB-JWT');
  const kb = decodeJWS(kbJwt, 'KB-JWT');
  if (kb.header.typ !== 'kb+jwt') throw new Reject('kb-typ', `${kb.header.typ}`);
  if (kb.header.alg !== 'ES256') throw new Reject('alg', `KB alg ${kb.header.alg}`);
  if (!isObj(p.cnf) || !isObj(p.cnf.jwk)) throw new Reject('cnf', 'no cnf.jwk');
  if (!es256Verify(p.cnf.jwk, kb.input, kb.sig)) throw new Reject('kb-signature', 'KB-JWT signature');
  if (kb.payload.aud !== o.aud) throw new Reject('aud', `aud ${JSON.stringify(kb.payload.aud)}`);
  if (kb.payload.nonce !== o.nonce) throw new Reject('nonce', `nonce ${JSON.stringify(kb.payload.nonce)}`);
  const iat = kb.payload.iat;
  if (typeof iat !== 'number' || iat < o.now - o.maxAge || iat > o.now + o.skew) {
    throw new Reject('iat', `KB iat ${iat}, now ${o.now}`);
  }
  // §4.3.1: sd_hash, under _sd_alg, over the presentation exactly as
  // received, up to and including the last ~.
  const want = digestB64u(alg, pres.slice(0, pres.lastIndexOf('~') + 1));
  if (kb.payload.sd_hash !== want) throw new Reject('sd_hash', `sd_hash ${kb.payload.sd_hash}`);
}

// checkPresentation runs both the strict checks above and sd-jwt-js's own
// verify. The presentation is accepted only if both accept it; reason names
// the first strict check that failed ("library" if only sd-jwt-js failed).
export async function checkPresentation(pres, o) {
  const out = { ok: false, reason: '', detail: '', libraryOk: false, libraryError: '', claims: null };
  try {
    strictCheck(pres, o);
  } catch (e) {
    out.reason = e instanceof Reject ? e.reason : 'exception';
    out.detail = e.message;
  }
  try {
    const inst = newInstance({ issuerJwk: o.issuerJwk });
    const res = await inst.verify(pres, { currentDate: o.now, keyBindingNonce: o.nonce, skewSeconds: o.skew });
    if (!res.kb) throw new Error('no key binding verified');
    out.libraryOk = true;
    out.claims = res.payload;
  } catch (e) {
    out.libraryError = String(e?.message ?? e);
  }
  if (!out.reason && !out.libraryOk) {
    out.reason = 'library';
    out.detail = out.libraryError;
  }
  out.ok = out.reason === '' && out.libraryOk;
  if (!out.ok) out.claims = null;
  return out;
}
