// verifier.mjs: an OpenID4VP 1.0 Verifier built on @openid4vc/openid4vp's
// Openid4vpVerifier, the peer of ikdkit's holder.ReadVPRequest /
// AnswerVPRequest in holder/vpinterop_test.go (issue 20). See README.md.
//
//   node verifier.mjs --cert leaf.pem --key leaf-key.pem --issuer-jwk issuer.json \
//     --vct <KTP-el vct> [--response-mode direct_post.jwt] [--now <unix seconds>]
//   node verifier.mjs --format mso_mdoc --cert leaf.pem --key leaf-key.pem \
//     --iaca iaca.pem --doctype <KTP-el doctype> [--response-mode …] [--now …]
//
// It listens on 127.0.0.1 (an ephemeral port), creates a signed request
// (JAR by reference, client_id x509_san_dns:<the leaf's first DNS SAN>,
// request_uri and response_uri http://<that name>:PORT/…, direct_post or
// direct_post.jwt (ECDH-ES to a fresh P-256 key of client_metadata.jwks),
// a DCQL query for the name of a KTP-el dc+sd-jwt, or with --format
// mso_mdoc for [doctype, name] of a KTP-el mdoc) and prints one JSON line
//
//   {"link":"openid4vp://?client_id=…&request_uri=…"}
//
// Then it serves GET /request (the Request Object) and POST /response: the
// response is parsed by the library (parseOpenid4vpAuthorizationResponse),
// the SD-JWT VC is verified with @sd-jwt/core (issuer signature with
// --issuer-jwk, disclosures, KB-JWT with the cnf key, the request's nonce,
// aud = client_id, sd_hash), and it prints one more JSON line and exits:
//
//   {"verified":true,"claims":{…},"vct":"…"}
//   {"verified":true,"doctype":"…","elements":{namespace:{element:value}}}
//   {"verified":false,"error":"…"}
//
// An mdoc is verified with @auth0/mdl's Verifier (the IACA root of --iaca,
// issuer signature, digests, validity, the deviceSignature over the
// SessionTranscript of OpenID4VP 1.0 Appendix B.2.6.1, computed here with
// cbor-x).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    'issuer-jwk': { type: 'string' },
    vct: { type: 'string' },
    format: { type: 'string', default: 'dc+sd-jwt' },
    iaca: { type: 'string' },
    doctype: { type: 'string' },
    'response-mode': { type: 'string', default: 'direct_post' },
    now: { type: 'string' },
  },
});

// --now shifts the clock of this process to the tests' fixed clock (see
// wallet.mjs); the request's iat/exp are made at exactly --now.
const nowSeconds = args.now ? Number(args.now) : Math.floor(Date.now() / 1000);
if (!Number.isFinite(nowSeconds)) throw new Error('bad --now');
if (args.now) {
  const RealDate = Date;
  const offset = nowSeconds * 1000 - RealDate.now();
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
const { Openid4vpVerifier } = await import('@openid4vc/openid4vp');
const { SDJwtInstance } = await import('@sd-jwt/core');
const { Verifier: MdocVerifier } = await import('@auth0/mdl');
const { Encoder, Tag } = await import('cbor-x');
const jose = await import('jose');

// http:// URLs only because the verifier runs on loopback in the tests.
setGlobalConfig({ allowInsecureUrls: true });

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const out = (v) => process.stdout.write(JSON.stringify(v) + '\n');

const leaf = new X509Certificate(readFileSync(args.cert));
const leafKey = createPrivateKey(readFileSync(args.key));
const FORMAT = args.format;
if (FORMAT !== 'dc+sd-jwt' && FORMAT !== 'mso_mdoc') throw new Error(`--format ${FORMAT}`);
const RESPONSE_MODE = args['response-mode'];
if (RESPONSE_MODE !== 'direct_post' && RESPONSE_MODE !== 'direct_post.jwt') throw new Error(`--response-mode ${RESPONSE_MODE}`);
const issuerKey =
  FORMAT === 'dc+sd-jwt' ? createPublicKey({ key: JSON.parse(readFileSync(args['issuer-jwk'], 'utf8')), format: 'jwk' }) : undefined;
const iacaPem = FORMAT === 'mso_mdoc' ? readFileSync(args.iaca, 'utf8') : undefined;
const DOCTYPE = args.doctype;
if (FORMAT === 'mso_mdoc' && !DOCTYPE) throw new Error('--doctype is required with --format mso_mdoc');

// direct_post.jwt: the response is encrypted (ECDH-ES) to this key,
// published in client_metadata.jwks.
const encKeys =
  RESPONSE_MODE === 'direct_post.jwt' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : undefined;
const encJwk = encKeys
  ? { ...encKeys.publicKey.export({ format: 'jwk' }), kid: 'enc-1', use: 'enc', alg: 'ECDH-ES' }
  : undefined;
let jwe; // the protected header of the response received, when encrypted

// cbor-x with the options of ISO 18013-5 encodings (see wallet.mjs).
const cbor = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });

// The tag-24-wrapped SessionTranscript of OpenID4VP 1.0 Appendix B.2.6.1:
//   [null, null, ["OpenID4VPHandover", SHA-256(CBOR([client_id, nonce, jwkThumbprint / null, response_uri]))]]
function openid4vpSessionTranscriptBytes(clientId, nonce, thumbprint, responseUri) {
  const info = cbor.encode([clientId, nonce, thumbprint ?? null, responseUri]);
  const handover = ['OpenID4VPHandover', createHash('sha256').update(info).digest()];
  return cbor.encode(new Tag(cbor.encode([null, null, handover]), 24));
}
const dnsName = (leaf.subjectAltName ?? '')
  .split(', ')
  .find((n) => n.startsWith('DNS:'))
  ?.slice(4);
if (!dnsName) throw new Error('the certificate has no DNS SAN');

function es256Sign(key, input) {
  return b64u(sign('sha256', Buffer.from(input, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }));
}
function es256Verify(key, input, sigB64u) {
  const raw = Buffer.from(sigB64u, 'base64url');
  if (raw.length !== 64) return false;
  return verify('sha256', Buffer.from(input, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, raw);
}

const callbacks = {
  hash: (data, alg) => {
    const name = { [HashAlgorithm.Sha256]: 'sha256', [HashAlgorithm.Sha384]: 'sha384', [HashAlgorithm.Sha512]: 'sha512' }[alg];
    if (!name) throw new Error(`hash ${alg}`);
    return new Uint8Array(createHash(name).update(data).digest());
  },
  signJwt: (signer, { header, payload }) => {
    if (signer.method !== 'x5c' || header.alg !== 'ES256') throw new Error(`signer ${signer.method} ${header.alg}`);
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
    return { jwt: `${input}.${es256Sign(leafKey, input)}`, signerJwk: leaf.publicKey.export({ format: 'jwk' }) };
  },
  verifyJwt: () => {
    throw new Error('the verifier verifies no JWT through the library');
  },
  encryptJwe: () => {
    throw new Error('no encrypted requests');
  },
  decryptJwe: async (compact, options) => {
    if (!encKeys) throw new Error('an encrypted response to a direct_post request');
    if (options?.jwk && options.jwk.kid !== encJwk.kid) throw new Error(`decryption key ${options.jwk.kid}`);
    const { plaintext, protectedHeader } = await jose.compactDecrypt(compact, encKeys.privateKey, {
      keyManagementAlgorithms: ['ECDH-ES'],
      contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
    });
    jwe = protectedHeader;
    return { decrypted: true, decryptionJwk: encJwk, payload: new TextDecoder().decode(plaintext) };
  },
  getX509CertificateMetadata: (cert) => {
    const c = new X509Certificate(Buffer.from(cert, 'base64'));
    const names = (c.subjectAltName ?? '').split(', ');
    return {
      sanDnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
      sanUriNames: names.filter((n) => n.startsWith('URI:')).map((n) => n.slice(4)),
    };
  },
  fetch: (input, init = {}) => fetch(input, { ...init, signal: AbortSignal.timeout(10_000) }),
};

const verifier = new Openid4vpVerifier({ callbacks });
const VCT_KTPEL = args.vct;
if (FORMAT === 'dc+sd-jwt' && !VCT_KTPEL) throw new Error('--vct is required');

let request; // { payload, jwt }
let done = false;

const server = createServer((req, res) => {
  const reply = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  if (req.url === '/request' && (req.method === 'GET' || req.method === 'POST')) {
    reply(200, 'application/oauth-authz-req+jwt', request.jwt);
    return;
  }
  if (req.url !== '/response' || req.method !== 'POST') {
    reply(404, 'application/json', JSON.stringify({ error: 'not_found' }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let result;
    try {
      if (done) throw new Error('a second response');
      done = true;
      const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      result = await verifyResponse(fields);
    } catch (e) {
      result = { verified: false, error: String(e?.message ?? e) };
    }
    if (result.verified) reply(200, 'application/json', '{}');
    else reply(400, 'application/json', JSON.stringify({ error: 'invalid_request', error_description: result.error }));
    out(result);
    server.close();
  });
});

async function verifyResponse(fields) {
  const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
    authorizationResponse: fields,
    authorizationRequestPayload: request.payload,
    callbacks,
  });
  if (parsed.type !== 'dcql') throw new Error(`response of type ${parsed.type}`);
  if (RESPONSE_MODE === 'direct_post.jwt' && !jwe) throw new Error('the response was not encrypted');
  const enc = jwe ? { jwe_alg: jwe.alg, jwe_enc: jwe.enc, jwe_kid: jwe.kid } : {};
  if (FORMAT === 'mso_mdoc') return { ...(await verifyMdoc(parsed)), ...enc };
  const presentations = parsed.dcql.presentations.pid;
  if (!presentations || presentations.length !== 1 || typeof presentations[0] !== 'string') {
    throw new Error('no single dc+sd-jwt presentation for "pid"');
  }
  let aud;
  const sdjwt = new SDJwtInstance({
    hasher: (data, alg) => {
      if (alg !== 'sha-256') throw new Error(`sd-jwt hash ${alg}`);
      return new Uint8Array(createHash('sha256').update(typeof data === 'string' ? data : Buffer.from(data)).digest());
    },
    hashAlg: 'sha-256',
    verifier: (data, sig) => es256Verify(issuerKey, data, sig),
    kbVerifier: (data, sig, payload) => {
      const jwk = payload?.cnf?.jwk;
      if (!jwk) throw new Error('the credential has no cnf.jwk');
      const [, p] = data.split('.');
      aud = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')).aud;
      return es256Verify(createPublicKey({ key: jwk, format: 'jwk' }), data, sig);
    },
  });
  const v = await sdjwt.verify(presentations[0], {
    keyBindingNonce: parsed.expectedNonce,
    currentDate: Math.floor(Date.now() / 1000),
    requiredClaimKeys: ['name'],
  });
  if (aud !== request.payload.client_id) throw new Error(`KB-JWT aud ${aud}, not ${request.payload.client_id}`);
  if (v.payload.vct !== VCT_KTPEL) throw new Error(`vct ${v.payload.vct}`);
  const { _sd, _sd_alg, cnf, ...claims } = v.payload;
  return { verified: true, vct: v.payload.vct, claims, kb_aud: aud, kb_nonce: v.kb?.payload?.nonce, ...enc };
}

// verifyMdoc verifies the DeviceResponse of "mdl" with @auth0/mdl against
// the IACA root, over the SessionTranscript of this request (with the
// thumbprint of the encryption key for direct_post.jwt), and returns the
// docType and the disclosed elements.
async function verifyMdoc(parsed) {
  const presentations = parsed.dcql.presentations.mdl;
  if (!presentations || presentations.length !== 1 || typeof presentations[0] !== 'string') {
    throw new Error('no single mso_mdoc presentation for "mdl"');
  }
  const thumbprint = encJwk ? Buffer.from(await jose.calculateJwkThumbprint(encJwk, 'sha256'), 'base64url') : null;
  const transcript = openid4vpSessionTranscriptBytes(
    request.payload.client_id,
    parsed.expectedNonce,
    thumbprint,
    request.payload.response_uri,
  );
  const mdoc = await new MdocVerifier([iacaPem]).verify(Buffer.from(presentations[0], 'base64url'), {
    encodedSessionTranscript: transcript,
  });
  if (mdoc.documents.length !== 1) throw new Error(`${mdoc.documents.length} documents`);
  const doc = mdoc.documents[0];
  if (doc.docType !== DOCTYPE) throw new Error(`docType ${doc.docType}`);
  const elements = {};
  for (const ns of Object.keys(doc.issuerSigned.nameSpaces)) elements[ns] = doc.getIssuerNameSpace(ns);
  const deviceAuth = doc.deviceSigned?.deviceAuth?.deviceSignature ? 'signature' : 'mac';
  return { verified: true, doctype: doc.docType, elements, device_auth: deviceAuth };
}

server.listen(0, '127.0.0.1', async () => {
  try {
    const base = `http://${dnsName}:${server.address().port}`;
    const created = await verifier.createOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: {
        response_type: 'vp_token',
        client_id: `x509_san_dns:${dnsName}`,
        response_mode: RESPONSE_MODE,
        response_uri: `${base}/response`,
        nonce: b64u(randomBytes(16)),
        state: b64u(randomBytes(8)),
        dcql_query: {
          credentials: [
            FORMAT === 'mso_mdoc'
              ? { id: 'mdl', format: 'mso_mdoc', meta: { doctype_value: DOCTYPE }, claims: [{ path: [DOCTYPE, 'name'] }] }
              : { id: 'pid', format: 'dc+sd-jwt', meta: { vct_values: [VCT_KTPEL] }, claims: [{ path: ['name'] }] },
          ],
        },
        client_metadata: {
          vp_formats_supported:
            FORMAT === 'mso_mdoc'
              ? { mso_mdoc: { issuerauth_alg_values: [-7], deviceauth_alg_values: [-7] } }
              : { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } },
          ...(encJwk ? { jwks: { keys: [encJwk] }, encrypted_response_enc_values_supported: ['A128GCM'] } : {}),
        },
      },
      jar: {
        requestUri: `${base}/request`,
        jwtSigner: { method: 'x5c', x5c: [leaf.raw.toString('base64')], alg: 'ES256' },
        expiresInSeconds: 300,
        // The library's default aud is the request_uri; OpenID4VP 1.0
        // §5.8 (static discovery) wants https://self-issued.me/v2, which
        // ikdkit's wallet requires.
        additionalJwtPayload: { aud: 'https://self-issued.me/v2' },
      },
      now: new Date(nowSeconds * 1000),
    });
    request = { payload: created.authorizationRequestPayload, jwt: created.jar.authorizationRequestJwt };
    out({ link: created.authorizationRequest });
  } catch (e) {
    out({ verified: false, error: String(e?.message ?? e) });
    process.exitCode = 1;
    server.close();
  }
});
