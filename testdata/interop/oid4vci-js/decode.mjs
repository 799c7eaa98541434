// Unverified decoding of issued credentials, for the wallet's report: what
// an SD-JWT VC or an mdoc IssuerSigned says and which key it is bound to.
// Nothing here checks a signature; the Go tests verify against their own
// trust anchors.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { b64u, decodeJWS, isObject, strictB64u } from './lib.mjs';

const require = createRequire(import.meta.url);
const { cborDecode, DataItem, DateOnly } = require('@auth0/mdl/lib/cbor');

// decodeSdJwt returns the issuer JWT header, the payload with every
// disclosed claim put back (RFC 9901 §7.1 step 3, without the checks) and
// the holder key (cnf.jwk).
export function decodeSdJwt(compact) {
  const parts = compact.split('~');
  const jws = decodeJWS(parts[0]);
  const alg = jws.payload._sd_alg ?? 'sha-256';
  if (alg !== 'sha-256') throw new Error(`unsupported _sd_alg ${alg}`);
  const byDigest = new Map();
  for (const d of parts.slice(1, -1)) {
    byDigest.set(b64u(createHash('sha256').update(d, 'ascii').digest()), JSON.parse(strictB64u(d).toString('utf8')));
  }
  const walk = (v) => {
    if (Array.isArray(v)) {
      const out = [];
      for (const el of v) {
        if (isObject(el) && Object.keys(el).length === 1 && '...' in el) {
          const disc = byDigest.get(el['...']);
          if (disc) out.push(walk(disc[1]));
        } else {
          out.push(walk(el));
        }
      }
      return out;
    }
    if (!isObject(v)) return v;
    const out = {};
    for (const [k, el] of Object.entries(v)) if (k !== '_sd') out[k] = walk(el);
    for (const dg of v._sd ?? []) {
      const disc = byDigest.get(dg);
      if (disc) out[disc[1]] = walk(disc[2]);
    }
    return out;
  };
  const claims = walk(jws.payload);
  delete claims._sd_alg;
  return { header: jws.header, claims, disclosures: byDigest.size, holderJwk: claims.cnf?.jwk };
}

// plain turns decoded CBOR into JSON: maps become objects, byte strings
// base64url text, full-dates (tag 1004) and tdates (tag 0) their text.
export function plain(v) {
  if (v instanceof DataItem) return plain(v.data);
  if (v instanceof DateOnly) return v.toISOString();
  if (v instanceof Date) return `${v.toISOString().split('.')[0]}Z`;
  if (v instanceof Uint8Array) return b64u(v);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const get = (m, k) => (m instanceof Map ? m.get(k) : m?.[k]);

// decodeIssuerSigned reads a base64url CBOR IssuerSigned (OpenID4VCI 1.0
// Appendix A.2.4): doctype, elements per namespace, validity, and the MSO
// deviceKey as a JWK.
export function decodeIssuerSigned(text) {
  const is = cborDecode(strictB64u(text));
  const issuerAuth = get(is, 'issuerAuth');
  const nameSpaces = get(is, 'nameSpaces');
  if (!Array.isArray(issuerAuth) || issuerAuth.length !== 4 || !nameSpaces) throw new Error('not an IssuerSigned');
  let mso = cborDecode(issuerAuth[2]);
  if (mso instanceof DataItem) mso = mso.data;
  const elements = {};
  for (const [ns, items] of nameSpaces instanceof Map ? nameSpaces : Object.entries(nameSpaces)) {
    elements[ns] = {};
    for (const item of items) {
      const it = item instanceof DataItem ? item.data : item;
      elements[ns][get(it, 'elementIdentifier')] = plain(get(it, 'elementValue'));
    }
  }
  const cose = get(get(mso, 'deviceKeyInfo'), 'deviceKey');
  const holderJwk =
    get(cose, 1) === 2 && get(cose, -1) === 1
      ? { kty: 'EC', crv: 'P-256', x: b64u(get(cose, -2)), y: b64u(get(cose, -3)) }
      : undefined;
  return {
    docType: get(mso, 'docType'),
    digestAlgorithm: get(mso, 'digestAlgorithm'),
    validityInfo: plain(get(mso, 'validityInfo')),
    elements,
    holderJwk,
  };
}
