// wallet.mjs: an OpenID4VP 1.0 Wallet built on @openid4vc/openid4vp's
// Openid4vpClient, the peer of ikdkit's verifier.VPHandler in the interop
// tests (issue 20). See README.md.
//
//   node wallet.mjs --request 'openid4vp://?client_id=…&request_uri=…' \
//     --credential cred.json --ca ca.pem [--now <unix seconds>]
//
// cred.json is {"sd_jwt": "<issuer JWT>~<disclosure>~…~", "holder_jwk": {EC
// P-256 private JWK}} and/or {"mdoc_hex": "<CBOR {version, documents:
// [{docType, issuerSigned}], status}>", "device_jwk": {EC P-256 private
// JWK}}. The Wallet resolves the request (fetches the request_uri, verifies
// the Request Object's x5c chain up to --ca and its signature), presents
// the credential asked for in dcql_query: an SD-JWT VC with a KB-JWT (aud =
// client_id, nonce = the request's), or an mdoc DeviceResponse made by
// @auth0/mdl with a deviceSignature over the OpenID4VP 1.0 SessionTranscript
// (Appendix B.2.6.1), computed here with cbor-x; and posts the
// Authorization Response (direct_post, or direct_post.jwt encrypted to the
// key of client_metadata). --wrong-nonce signs the KB-JWT or the
// SessionTranscript over a nonce other than the request's, --wrong-aud
// over another client_id (refusal tests).
// It prints one JSON line:
//
//   {"ok":true,"status":200,"response_mode":"…","client_id":"…","credential_id":"…"}
//   {"ok":false,"error":"…"}
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    request: { type: 'string' },
    credential: { type: 'string' },
    ca: { type: 'string' },
    now: { type: 'string' },
    'wrong-nonce': { type: 'boolean' },
    'wrong-aud': { type: 'boolean' },
  },
});

// --now shifts the clock of this process (Date, Date.now) to the tests'
// fixed clock: the library checks the Request Object's exp against
// new Date() and takes no "now" option for it.
if (args.now) {
  const RealDate = Date;
  const offset = Number(args.now) * 1000 - RealDate.now();
  if (!Number.isFinite(offset)) throw new Error('bad --now');
  globalThis.Date = class extends RealDate {
    constructor(...a) {
      if (a.length === 0) super(RealDate.now() + offset);
      else super(...a);
    }
    static now() {
      return RealDate.now() + offset;
    }
  };
}

const { setGlobalConfig, HashAlgorithm } = await import('@openid4vc/oauth2');
const { Openid4vpClient, extractEncryptionJwkFromJwks } = await import('@openid4vc/openid4vp');
const { SDJwtInstance } = await import('@sd-jwt/core');
const { DeviceResponse } = await import('@auth0/mdl');
const { Encoder, Tag } = await import('cbor-x');
const jose = await import('jose');

// http:// URLs only because the verifier runs on loopback in the tests;
// checkURL refuses any other http host.
setGlobalConfig({ allowInsecureUrls: true });

function checkURL(u, what) {
  const url = new URL(u);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return;
  throw new Error(`${what} ${u}: only https, or http on loopback`);
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function out(v) {
  process.stdout.write(JSON.stringify(v) + '\n');
}

// verifyChain checks x5c (base64 DER, leaf first) up to the CA of --ca at
// the current (possibly shifted) time, and returns the leaf.
function verifyChain(x5c, ca) {
  if (!Array.isArray(x5c) || x5c.length === 0) throw new Error('no x5c');
  const certs = x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  const now = Date.now();
  const chain = [...certs, ca];
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (now < Date.parse(c.validFrom) || now > Date.parse(c.validTo)) throw new Error(`certificate ${i} not valid now`);
    if (!c.verify(chain[i + 1].publicKey)) throw new Error(`certificate ${i} not signed by the next`);
  }
  return certs[0];
}

const ca = new X509Certificate(readFileSync(args.ca));

function es256Verify(key, input, sigB64u) {
  const raw = Buffer.from(sigB64u, 'base64url');
  if (raw.length !== 64) return false;
  return verify('sha256', Buffer.from(input, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, raw);
}

// The key the response is encrypted to (direct_post.jwt), chosen before
// the presentation is made: its thumbprint is part of an mdoc's
// SessionTranscript.
let expectedEncJwk;

// cbor-x with the options of ISO 18013-5 encodings: byte strings untagged,
// no record extension, maps as maps.
const cbor = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });

// openid4vpSessionTranscriptBytes is the tag-24-wrapped CBOR of the
// SessionTranscript of OpenID4VP 1.0 Appendix B.2.6.1 (redirect-based):
//   [null, null, ["OpenID4VPHandover", SHA-256(CBOR([client_id, nonce, jwkThumbprint / null, response_uri]))]]
// jwkThumbprint is the RFC 7638 SHA-256 thumbprint (raw bytes) of the
// verifier's encryption JWK, or null for an unencrypted response.
function openid4vpSessionTranscriptBytes(clientId, nonce, thumbprint, responseUri) {
  const info = cbor.encode([clientId, nonce, thumbprint ?? null, responseUri]);
  const handover = ['OpenID4VPHandover', createHash('sha256').update(info).digest()];
  return cbor.encode(new Tag(cbor.encode([null, null, handover]), 24));
}

const callbacks = {
  hash: (data, alg) => {
    const name = { [HashAlgorithm.Sha256]: 'sha256', [HashAlgorithm.Sha384]: 'sha384', [HashAlgorithm.Sha512]: 'sha512' }[alg];
    if (!name) throw new Error(`hash ${alg}`);
    return new Uint8Array(createHash(name).update(data).digest());
  },
  generateRandom: (n) => new Uint8Array(randomBytes(n)),
  signJwt: () => {
    throw new Error('the wallet signs no JWT through the library');
  },
  verifyJwt: (signer, { header, compact }) => {
    if (signer.method !== 'x5c') return { verified: false };
    if (header.alg !== 'ES256') return { verified: false };
    const leaf = verifyChain(signer.x5c, ca);
    const [h, p, s] = compact.split('.');
    const ok = es256Verify(leaf.publicKey, `${h}.${p}`, s);
    const jwk = leaf.publicKey.export({ format: 'jwk' });
    return ok ? { verified: true, signerJwk: jwk } : { verified: false, signerJwk: jwk };
  },
  getX509CertificateMetadata: (cert) => {
    const c = new X509Certificate(Buffer.from(cert, 'base64'));
    const names = (c.subjectAltName ?? '').split(', ');
    return {
      sanDnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
      sanUriNames: names.filter((n) => n.startsWith('URI:')).map((n) => n.slice(4)),
    };
  },
  encryptJwe: async (encryptor, data) => {
    if (encryptor.method !== 'jwk') throw new Error(`encryptor ${encryptor.method}`);
    if (expectedEncJwk && JSON.stringify(encryptor.publicJwk) !== JSON.stringify(expectedEncJwk)) {
      throw new Error('the library encrypts to another key than the one of the SessionTranscript');
    }
    const key = await jose.importJWK(encryptor.publicJwk, encryptor.alg);
    const hdr = { alg: encryptor.alg, enc: encryptor.enc };
    if (encryptor.publicJwk.kid) hdr.kid = encryptor.publicJwk.kid;
    const e = new jose.CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(hdr);
    const params = {};
    if (encryptor.apu) params.apu = Buffer.from(encryptor.apu, 'base64url');
    if (encryptor.apv) params.apv = Buffer.from(encryptor.apv, 'base64url');
    e.setKeyManagementParameters(params);
    return { jwe: await e.encrypt(key), encryptionJwk: encryptor.publicJwk };
  },
  decryptJwe: () => {
    throw new Error('no encrypted requests');
  },
  fetch: (input, init = {}) => fetch(input, { ...init, signal: AbortSignal.timeout(10_000) }),
};

// presentSDJwt discloses the top-level claims cq names and adds a KB-JWT
// (aud = the effective client_id).
async function presentSDJwt(cred, cq, aud, nonce) {
  if (!cred.sd_jwt) throw new Error('cred.json has no sd_jwt');
  const frame = {};
  for (const c of cq.claims ?? []) {
    if (c.path.length !== 1 || typeof c.path[0] !== 'string') throw new Error(`claim path ${JSON.stringify(c.path)} not supported`);
    frame[c.path[0]] = true;
  }
  const holderKey = createPrivateKey({ key: cred.holder_jwk, format: 'jwk' });
  const sdjwt = new SDJwtInstance({
    hasher: (data, alg) => {
      if (alg !== 'sha-256') throw new Error(`sd-jwt hash ${alg}`);
      return new Uint8Array(createHash('sha256').update(typeof data === 'string' ? data : Buffer.from(data)).digest());
    },
    hashAlg: 'sha-256',
    kbSignAlg: 'ES256',
    kbSigner: (input) => b64u(sign('sha256', Buffer.from(input, 'ascii'), { key: holderKey, dsaEncoding: 'ieee-p1363' })),
  });
  return sdjwt.present(cred.sd_jwt, frame, {
    kb: { payload: { iat: Math.floor(Date.now() / 1000), aud, nonce } },
  });
}

// presentMdoc makes a DeviceResponse with @auth0/mdl disclosing exactly the
// [namespace, element] paths cq names, device-signed over transcript (the
// tag-24-wrapped SessionTranscript). @auth0/mdl 3.0.1 selects elements
// with a Presentation Exchange definition only (no DCQL), so the claims
// become one input descriptor, whose id must be the docType. It returns
// the base64url DeviceResponse and the disclosed elements.
async function presentMdoc(cred, cq, transcript) {
  if (!cred.mdoc_hex) throw new Error('cred.json has no mdoc_hex');
  const docType = cq.meta?.doctype_value;
  if (!docType) throw new Error('mso_mdoc query without meta.doctype_value');
  const fields = [];
  const disclosed = {};
  for (const c of cq.claims ?? []) {
    if (c.path.length !== 2 || !c.path.every((p) => typeof p === 'string')) throw new Error(`claim path ${JSON.stringify(c.path)} not supported`);
    const [ns, el] = c.path;
    if (/['\]\[]/.test(ns + el)) throw new Error(`claim path ${JSON.stringify(c.path)} not supported`);
    fields.push({ path: [`$['${ns}']['${el}']`], intent_to_retain: false });
    (disclosed[ns] ??= []).push(el);
  }
  if (fields.length === 0) throw new Error('mso_mdoc query names no claims');
  const pd = {
    id: cq.id,
    input_descriptors: [
      { id: docType, format: { mso_mdoc: { alg: ['ES256'] } }, constraints: { limit_disclosure: 'required', fields } },
    ],
  };
  const resp = await DeviceResponse.from(Buffer.from(cred.mdoc_hex, 'hex'))
    .usingPresentationDefinition(pd)
    .usingSessionTranscriptBytes(transcript)
    .authenticateWithSignature(cred.device_jwk, 'ES256')
    .sign();
  // What @auth0/mdl actually put in the response (it skips, with a
  // console.log, elements the mdoc lacks).
  const got = {};
  for (const d of resp.documents) {
    for (const [ns, items] of Object.entries(d.issuerSigned.nameSpaces)) {
      got[ns] = items.map((it) => it.elementIdentifier);
    }
  }
  if (JSON.stringify(got) !== JSON.stringify(disclosed)) {
    throw new Error(`@auth0/mdl disclosed ${JSON.stringify(got)}, the query names ${JSON.stringify(disclosed)}`);
  }
  return { presentation: b64u(resp.encode()), disclosed: got };
}

try {
  const cred = JSON.parse(readFileSync(args.credential, 'utf8'));
  const client = new Openid4vpClient({ callbacks });
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: args.request });
  if (parsed.params.request_uri) checkURL(parsed.params.request_uri, 'request_uri');
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
  const req = resolved.authorizationRequestPayload;
  if (!resolved.jar) throw new Error('request not signed');
  checkURL(req.response_uri, 'response_uri');

  const q = resolved.dcql?.query;
  const cq = q?.credentials?.find((c) => c.format === 'dc+sd-jwt' || c.format === 'mso_mdoc');
  if (!cq) throw new Error('no dc+sd-jwt or mso_mdoc credential query');
  const nonce = args['wrong-nonce'] ? `${req.nonce}-not` : req.nonce;
  const aud = args['wrong-aud'] ? 'x509_san_dns:evil.example' : resolved.client.effective;

  const encrypted = req.response_mode === 'direct_post.jwt';
  if (encrypted) {
    const jwks = req.client_metadata?.jwks;
    if (!jwks) throw new Error('direct_post.jwt without client_metadata.jwks');
    expectedEncJwk = extractEncryptionJwkFromJwks(jwks, { supportedAlgValues: ['ECDH-ES'] });
    if (!expectedEncJwk) throw new Error('no encryption key in client_metadata.jwks');
  }

  let presentation;
  let disclosed;
  if (cq.format === 'dc+sd-jwt') {
    presentation = await presentSDJwt(cred, cq, aud, nonce);
  } else {
    const thumbprint = expectedEncJwk
      ? Buffer.from(await jose.calculateJwkThumbprint(expectedEncJwk, 'sha256'), 'base64url')
      : null;
    const transcript = openid4vpSessionTranscriptBytes(aud, nonce, thumbprint, req.response_uri);
    ({ presentation, disclosed } = await presentMdoc(cred, cq, transcript));
  }

  const response = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: { vp_token: { [cq.id]: [presentation] } },
    jarm: encrypted
      ? {
          encryption: { nonce: b64u(randomBytes(16)), jwk: expectedEncJwk },
          serverMetadata: {
            authorization_signing_alg_values_supported: ['ES256'],
            authorization_encryption_alg_values_supported: ['ECDH-ES'],
            authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
          },
        }
      : undefined,
  });
  const { response: httpResp } = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: response.authorizationResponsePayload,
    jarm: response.jarm ? { responseJwt: response.jarm.responseJwt } : undefined,
  });
  const body = await httpResp.text();
  out({
    ok: httpResp.ok,
    status: httpResp.status,
    body: body.slice(0, 500),
    response_mode: req.response_mode ?? 'fragment',
    client_id: resolved.client.effective,
    client_prefix: resolved.client.prefix,
    version: resolved.version,
    credential_id: cq.id,
    format: cq.format,
    disclosed,
  });
} catch (e) {
  const detail = e?.errorResponse ?? e?.internalMessage;
  out({ ok: false, error: String(e?.message ?? e), detail: detail ? JSON.stringify(detail) : undefined });
  process.exitCode = 1;
}
