// issuer.mjs: an OpenID4VCI 1.0 Credential Issuer and Authorization Server
// (pre-authorized code flow only) built on @openid4vc/openid4vci and
// @openid4vc/oauth2, serving plain HTTP on 127.0.0.1. It issues the KTP-el
// of ktpel.mjs as dc+sd-jwt (@sd-jwt/sd-jwt-vc) and as mso_mdoc
// (@auth0/mdl), the latter under a synthetic IACA root it makes at start.
//
//   node issuer.mjs [--port N] [--dpop off|optional|required] [--batch-size N]
//
// Once listening it prints ONE line of JSON on stdout and then nothing else:
//   {"issuer", "offer" (by reference), "offer_by_value", "tx_code",
//    "credential_configuration_ids", "issuer_jwk", "issuer_kid", "iaca_pem"}
// and serves until SIGTERM or SIGINT. See README.md for the endpoints.
import http from 'node:http';
import { createRequire } from 'node:module';
import { randomBytes, randomInt, webcrypto } from 'node:crypto';
import {
  Oauth2AuthorizationServer,
  Oauth2ErrorCodes,
  Oauth2ResourceServer,
  Oauth2ResourceUnauthorizedError,
  Oauth2ServerErrorResponseError,
  preAuthorizedCodeGrantIdentifier,
} from '@openid4vc/oauth2';
import { Openid4vciIssuer, Openid4vciVersion } from '@openid4vc/openid4vci';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import * as x509 from '@peculiar/x509';
import {
  KeyRing,
  UsageError,
  asciiDescription,
  b64u,
  callbacks,
  decodeJWS,
  es256Sign,
  isObject,
  newP256,
  parseArgs,
  publicJwk,
  thumbprint,
  writeLine,
} from './lib.mjs';
import { CLAIM_DISPLAY, DOCTYPE, NAMESPACE, VCT, disclosureFrame, mdocElements, sdJwtClaims } from './ktpel.mjs';

const require = createRequire(import.meta.url);
const { Document } = require('@auth0/mdl');
// Not exported from the package root: the full-date type (CBOR tag 1004)
// and the encoder @auth0/mdl registers its tags with.
const { DateOnly, cborEncode } = require('@auth0/mdl/lib/cbor');

const SD_JWT_ID = 'ktpel_dc_sd_jwt';
const MDOC_ID = 'ktpel_mso_mdoc';
const ISSUER_KID = 'ikdkit-oid4vci-js-issuer';
const AS_KID = 'ikdkit-oid4vci-js-as';

const OFFER_TTL_S = 600; // pre-authorized code lifetime
const NONCE_TTL_S = 300; // c_nonce lifetime
const TOKEN_TTL_S = 600; // access token lifetime
const MAX_TX_CODE_FAILURES = 5; // then the pre-authorized code is dead
const PROOF_MAX_AGE_S = 300; // key proof and DPoP proof iat window (past)
const PROOF_SKEW_S = 60; // ... and future
const CREDENTIAL_VALIDITY_S = 365 * 24 * 3600;
const MAX_BODY = 64 * 1024;

const args = (() => {
  try {
    const a = parseArgs(process.argv.slice(2), { port: 'number', dpop: 'string', 'batch-size': 'number' });
    a.port ??= 0;
    a.dpop ??= 'optional';
    a.batchSize ??= 3;
    if (!['off', 'optional', 'required'].includes(a.dpop)) throw new UsageError('--dpop wants off, optional or required');
    if (a.port > 65535) throw new UsageError('--port out of range');
    if (a.batchSize < 1) throw new UsageError('--batch-size must be at least 1');
    return a;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`issuer.mjs: ${e.message}\nusage: node issuer.mjs [--port N] [--dpop off|optional|required] [--batch-size N]\n`);
    process.exit(2);
  }
})();

const now = () => new Date();
const nowS = () => Math.floor(Date.now() / 1000);
const randomId = () => b64u(randomBytes(24));

// ---- keys and the synthetic IACA -------------------------------------------

const ring = new KeyRing();
const issuerKey = newP256(); // signs SD-JWT VCs
ring.add(issuerKey.privateJwk, ISSUER_KID);
const asKey = newP256(); // signs access tokens
ring.add(asKey.privateJwk, AS_KID);

async function makeIACA() {
  x509.cryptoProvider.set(webcrypto);
  const ec = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const imp = (jwk, use) => webcrypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, true, [use]);
  const root = newP256();
  const ds = newP256();
  const rootKeys = { privateKey: await imp(root.privateJwk, 'sign'), publicKey: await imp(root.publicJwk, 'verify') };
  const dsPublic = await imp(ds.publicJwk, 'verify');
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const serial = () => `01${randomBytes(15).toString('hex')}`;
  const rootName = 'C=ID, O=ikdkit interop test, CN=ikdkit oid4vci-js test IACA';
  const iaca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: rootName,
    notBefore,
    notAfter: new Date(Date.now() + 3 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: ec,
    keys: rootKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const dsCert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'C=ID, O=ikdkit interop test, CN=ikdkit oid4vci-js test document signer',
    issuer: iaca.subject,
    notBefore,
    notAfter: new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: ec,
    publicKey: dsPublic,
    signingKey: rootKeys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlDS.
      new x509.ExtendedKeyUsageExtension(['1.0.18013.5.1.2'], true),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(dsPublic),
    ],
  });
  return { iacaPem: iaca.toString('pem'), dsPem: dsCert.toString('pem'), dsPrivateJwk: { ...ds.privateJwk, alg: 'ES256' } };
}

const pki = await makeIACA();

// ---- state --------------------------------------------------------------------

const offers = new Map(); // pre-authorized code → offer
const offersByRef = new Map(); // credential_offer_uri id → offer object
const nonces = new Map(); // c_nonce → {expiresAt, used}
const dpopJtis = new Map(); // DPoP jti → expiry (replay cache)
const notifications = new Map(); // notification_id → {subject, configuration}
const log = { tokens: [], issued: [], notifications: [] }; // GET /test/log

// ---- HTTP plumbing ------------------------------------------------------------

class HttpError extends Error {
  constructor(status, error, description, headers = {}) {
    super(`${error}: ${description}`);
    this.status = status;
    this.body = { error, ...(description ? { error_description: asciiDescription(description) } : {}) };
    this.headers = headers;
  }
}

function send(res, status, body, headers = {}) {
  const h = { 'Cache-Control': 'no-store', ...headers };
  if (body === undefined) {
    res.writeHead(status, h).end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', ...h }).end(text);
}

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > MAX_BODY) throw new HttpError(413, 'invalid_request', 'request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const mediaType = (req) => (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

// requestLike is the RequestLike the @openid4vc/oauth2 verifiers want: the
// absolute URL the client used (for DPoP htu), method and headers.
function requestLike(req) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  return { method: req.method, url: new URL(req.url, issuerURL).href, headers };
}

// oauthError converts the library's server errors into HttpErrors.
function oauthError(e) {
  if (e instanceof Oauth2ServerErrorResponseError) {
    return new HttpError(e.status ?? 400, e.errorResponse.error, e.errorResponse.error_description ?? '');
  }
  return e;
}

// checkDpopFreshness rejects a DPoP proof whose jti was seen before or
// whose iat is outside the window (RFC 9449 §11.1; the library checks
// neither).
function checkDpopFreshness(dpopJwt, status = 400, wwwAuth = false) {
  const fail = (why) => {
    const headers = wwwAuth ? { 'WWW-Authenticate': `DPoP error="invalid_dpop_proof", error_description="${why}"` } : {};
    return new HttpError(status, 'invalid_dpop_proof', why, headers);
  };
  let payload;
  try {
    ({ payload } = decodeJWS(dpopJwt));
  } catch {
    throw fail('malformed DPoP proof');
  }
  const t = nowS();
  if (typeof payload.iat !== 'number' || payload.iat < t - PROOF_MAX_AGE_S || payload.iat > t + PROOF_SKEW_S) {
    throw fail('DPoP proof iat outside the accepted window');
  }
  if (typeof payload.jti !== 'string' || payload.jti.length < 8) throw fail('DPoP proof without a usable jti');
  for (const [jti, exp] of dpopJtis) if (exp < t) dpopJtis.delete(jti);
  if (dpopJtis.has(payload.jti)) throw fail('DPoP proof replayed (jti seen before)');
  dpopJtis.set(payload.jti, t + PROOF_MAX_AGE_S + PROOF_SKEW_S);
}

// ---- metadata -----------------------------------------------------------------

let issuerURL; // set once listening: http://127.0.0.1:PORT
let issuerMetadata; // IssuerMetadataResult, for the library calls
let asMetadata;

// The jwks_uri fetch of the resource server is answered locally.
function localFetch(input, init) {
  const u = typeof input === 'string' ? input : input.url;
  if (u === `${issuerURL}/jwks`) {
    return Promise.resolve(new Response(JSON.stringify(jwks()), { headers: { 'Content-Type': 'application/json' } }));
  }
  return fetch(input, init);
}

const cb = callbacks(ring, { fetchImpl: localFetch });
// The access token header gets the AS kid (method "custom" has none).
const baseSign = cb.signJwt;
cb.signJwt = (signer, jwt) =>
  baseSign(signer, signer.method === 'custom' ? { ...jwt, header: { ...jwt.header, kid: signer.kid } } : jwt);

const vci = new Openid4vciIssuer({ callbacks: cb });
const as = new Oauth2AuthorizationServer({ callbacks: cb });
const rs = new Oauth2ResourceServer({ callbacks: cb });

const jwks = () => ({ keys: [{ ...asKey.publicJwk, kid: AS_KID, use: 'sig', alg: 'ES256' }] });

function claimsDescription(mdoc) {
  return CLAIM_DISPLAY.map(([sdName, mdocName, id, en]) => ({
    path: mdoc ? [NAMESPACE, mdocName] : [sdName],
    mandatory: true,
    display: [
      { name: id, locale: 'id' },
      { name: en, locale: 'en' },
    ],
  }));
}

function buildMetadata() {
  const display = [
    { name: 'KTP-el', locale: 'id', description: 'Kartu Tanda Penduduk elektronik (uji interoperabilitas)' },
    { name: 'KTP-el (electronic ID card)', locale: 'en', description: 'Indonesian electronic ID card (interop test)' },
  ];
  const proofTypes = { jwt: { proof_signing_alg_values_supported: ['ES256'] } };
  const md = vci.createCredentialIssuerMetadata({
    credential_issuer: issuerURL,
    credential_endpoint: `${issuerURL}/credential`,
    nonce_endpoint: `${issuerURL}/nonce`,
    notification_endpoint: `${issuerURL}/notification`,
    ...(args.batchSize >= 2 ? { batch_credential_issuance: { batch_size: args.batchSize } } : {}),
    display: [
      { name: 'Ditjen Dukcapil (penerbit uji ikdkit)', locale: 'id' },
      { name: 'Dukcapil (ikdkit test issuer)', locale: 'en' },
    ],
    credential_configurations_supported: {
      [SD_JWT_ID]: {
        format: 'dc+sd-jwt',
        vct: VCT,
        scope: SD_JWT_ID,
        cryptographic_binding_methods_supported: ['jwk'],
        credential_signing_alg_values_supported: ['ES256'],
        proof_types_supported: proofTypes,
        credential_metadata: { display, claims: claimsDescription(false) },
      },
      [MDOC_ID]: {
        format: 'mso_mdoc',
        doctype: DOCTYPE,
        scope: MDOC_ID,
        cryptographic_binding_methods_supported: ['cose_key'],
        // OpenID4VCI 1.0 Appendix A.2.2: COSE algorithm identifiers (-7 = ES256).
        credential_signing_alg_values_supported: [-7],
        proof_types_supported: proofTypes,
        credential_metadata: { display, claims: claimsDescription(true) },
      },
    },
  });
  asMetadata = as.createAuthorizationServerMetadata({
    issuer: issuerURL,
    token_endpoint: `${issuerURL}/token`,
    jwks_uri: `${issuerURL}/jwks`,
    grant_types_supported: [preAuthorizedCodeGrantIdentifier],
    'pre-authorized_grant_anonymous_access_supported': true,
    ...(args.dpop !== 'off' ? { dpop_signing_alg_values_supported: ['ES256'] } : {}),
  });
  issuerMetadata = {
    originalDraftVersion: Openid4vciVersion.V1,
    credentialIssuer: md,
    authorizationServers: [asMetadata],
    knownCredentialConfigurations: vci.getKnownCredentialConfigurationsSupported(md),
  };
  if (Object.keys(issuerMetadata.knownCredentialConfigurations).length !== 2) {
    throw new Error('the library does not recognise both credential configurations');
  }
}

// ---- offers -------------------------------------------------------------------

// newOffer creates a pre-authorized code offer for configIds, with a
// 6-digit tx_code unless txCode is false.
async function newOffer({ configIds = [SD_JWT_ID, MDOC_ID], txCode = true } = {}) {
  const code = randomId();
  const offer = {
    id: randomId(),
    code,
    txCode: txCode ? String(randomInt(0, 1_000_000)).padStart(6, '0') : undefined,
    configIds,
    expiresAt: nowS() + OFFER_TTL_S,
    failures: 0,
    used: false,
  };
  const grant = {
    'pre-authorized_code': code,
    ...(txCode
      ? {
          tx_code: {
            input_mode: 'numeric',
            length: 6,
            description: 'Masukkan PIN aktivasi 6 digit dari surel Dukcapil / Enter the 6-digit activation PIN from the Dukcapil e-mail',
          },
        }
      : {}),
  };
  const common = { issuerMetadata, credentialConfigurationIds: configIds, grants: { [preAuthorizedCodeGrantIdentifier]: grant } };
  const byValue = await vci.createCredentialOffer(common);
  const ref = randomId();
  const byRef = await vci.createCredentialOffer({ ...common, credentialOfferUri: `${issuerURL}/offers/${ref}` });
  offersByRef.set(ref, byValue.credentialOfferObject);
  offers.set(code, offer);
  return { offer: byRef.credentialOffer, offer_by_value: byValue.credentialOffer, tx_code: offer.txCode ?? null, credential_configuration_ids: configIds };
}

// ---- token endpoint (RFC 6749 §4, OpenID4VCI 1.0 §6) ----------------------------

async function tokenEndpoint(req, res) {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw new HttpError(400, 'invalid_request', 'token request must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(await readBody(req));
  const body = {};
  for (const [k, v] of form) {
    if (Object.hasOwn(body, k)) throw new HttpError(400, 'invalid_request', `parameter ${k} repeated`);
    body[k] = v;
  }
  const request = requestLike(req);
  let parsed;
  try {
    parsed = as.parseAccessTokenRequest({ request, accessTokenRequest: body });
  } catch (e) {
    throw oauthError(e);
  }
  if (parsed.grant.grantType !== preAuthorizedCodeGrantIdentifier) {
    throw new HttpError(400, 'unsupported_grant_type', `grant type ${parsed.grant.grantType} is not supported`);
  }
  // RFC 8707: a resource, when sent, must be this credential issuer.
  if (body.resource !== undefined && body.resource !== issuerURL) {
    throw new HttpError(400, 'invalid_target', 'resource is not this credential issuer');
  }
  const offer = offers.get(parsed.grant.preAuthorizedCode);
  if (!offer || offer.used || offer.failures >= MAX_TX_CODE_FAILURES) {
    throw new HttpError(400, 'invalid_grant', 'unknown, used or invalidated pre-authorized_code');
  }
  let verified;
  try {
    verified = await as.verifyPreAuthorizedCodeAccessTokenRequest({
      authorizationServerMetadata: asMetadata,
      grant: parsed.grant,
      accessTokenRequest: parsed.accessTokenRequest,
      request,
      expectedPreAuthorizedCode: offer.code,
      expectedTxCode: offer.txCode,
      preAuthorizedCodeExpiresAt: new Date(offer.expiresAt * 1000),
      dpop:
        args.dpop === 'off'
          ? undefined
          : { jwt: parsed.dpop?.jwt, required: args.dpop === 'required', allowedSigningAlgs: ['ES256'] },
    });
  } catch (e) {
    const he = oauthError(e);
    if (he instanceof HttpError && he.body.error === 'invalid_grant') offer.failures++;
    throw he;
  }
  if (verified.dpop) checkDpopFreshness(parsed.dpop.jwt);
  offer.used = true; // pre-authorized codes are single use
  const tokenResponse = await as.createAccessTokenResponse({
    authorizationServer: issuerURL,
    audience: issuerURL,
    subject: offer.id,
    expiresInSeconds: TOKEN_TTL_S,
    signer: { method: 'custom', alg: 'ES256', kid: AS_KID },
    dpop: verified.dpop ? { jwk: verified.dpop.jwk } : undefined,
  });
  log.tokens.push({ offer: offer.id, token_type: tokenResponse.token_type });
  send(res, 200, tokenResponse, { Pragma: 'no-cache' });
}

// ---- protected resources: credential and notification endpoints ---------------

// authorize checks the access token (and its DPoP binding) of a request to a
// protected endpoint and returns the offer it was issued for.
async function authorize(req) {
  const request = requestLike(req);
  const unauthorized = (scheme, error, description) =>
    new HttpError(401, error, description, {
      'WWW-Authenticate': `${scheme} error="${error}", error_description="${asciiDescription(description)}"`,
    });
  let auth;
  try {
    auth = await rs.verifyResourceRequest({
      request,
      resourceServer: issuerURL,
      authorizationServers: [asMetadata],
      allowedAuthenticationSchemes: args.dpop === 'required' ? ['DPoP'] : args.dpop === 'off' ? ['Bearer'] : undefined,
    });
  } catch (e) {
    if (e instanceof Oauth2ResourceUnauthorizedError) {
      const w = e.wwwAuthenticateHeaders[0] ?? {};
      const err = new HttpError(401, w.error ?? 'invalid_token', w.error_description ?? 'unauthorized');
      err.headers = { 'WWW-Authenticate': e.toHeaderValue() };
      throw err;
    }
    throw e;
  }
  const jkt = auth.tokenPayload.cnf?.jkt;
  // RFC 9449 §7.1: a DPoP-bound token is presented with the DPoP scheme.
  if (jkt && auth.scheme !== 'DPoP') throw unauthorized('DPoP', 'invalid_token', 'DPoP-bound access token sent as Bearer');
  if (!jkt && auth.scheme === 'DPoP') throw unauthorized('Bearer', 'invalid_token', 'Bearer access token sent as DPoP');
  if (auth.dpop) checkDpopFreshness(request.headers.get('DPoP'), 401, true);
  const offer = [...offers.values()].find((o) => o.id === auth.tokenPayload.sub);
  if (!offer) throw unauthorized(auth.scheme, 'invalid_token', 'token for an unknown offer');
  return offer;
}

const credentialError = (error, description) => new HttpError(400, error, description);

async function credentialEndpoint(req, res) {
  const offer = await authorize(req);
  if (mediaType(req) !== 'application/json') {
    throw credentialError('invalid_credential_request', 'credential request must be application/json');
  }
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    throw credentialError('invalid_credential_request', 'credential request is not JSON');
  }
  if (!isObject(body)) throw credentialError('invalid_credential_request', 'credential request is not a JSON object');
  // OpenID4VCI 1.0 §8.2: no authorization_details were granted, so only
  // credential_configuration_id may name the credential.
  if (body.credential_identifier !== undefined) {
    throw credentialError('unknown_credential_identifier', 'this issuer grants no credential_identifiers');
  }
  const configId = body.credential_configuration_id;
  if (typeof configId !== 'string') {
    throw credentialError('invalid_credential_request', 'credential_configuration_id missing (format-based requests of drafts are not accepted)');
  }
  if (!Object.hasOwn(issuerMetadata.credentialIssuer.credential_configurations_supported, configId)) {
    throw credentialError('unknown_credential_configuration', `unknown credential configuration ${configId}`);
  }
  if (!offer.configIds.includes(configId)) {
    throw new HttpError(403, 'insufficient_scope', `the access token does not cover ${configId}`, {
      'WWW-Authenticate': 'Bearer error="insufficient_scope"',
    });
  }
  if (body.credential_response_encryption !== undefined) {
    throw credentialError('invalid_encryption_parameters', 'credential response encryption is not supported');
  }
  if (body.proof !== undefined) {
    throw credentialError('invalid_credential_request', 'proof (singular, pre-1.0 drafts) is not accepted; send proofs');
  }
  const proofs = body.proofs;
  if (proofs === undefined) throw credentialError('invalid_proof', 'proofs missing');
  if (!isObject(proofs) || Object.keys(proofs).length !== 1) {
    throw credentialError('invalid_proof', 'proofs must hold exactly one proof type');
  }
  if (!Array.isArray(proofs.jwt)) throw credentialError('invalid_proof', 'only the jwt proof type is supported');
  const jwts = proofs.jwt;
  if (jwts.length === 0 || !jwts.every((j) => typeof j === 'string')) {
    throw credentialError('invalid_proof', 'proofs.jwt must be a non-empty array of JWTs');
  }
  const batchSize = issuerMetadata.credentialIssuer.batch_credential_issuance?.batch_size ?? 1;
  if (jwts.length > batchSize) {
    throw credentialError('invalid_credential_request', `${jwts.length} proofs, batch_size is ${batchSize}`);
  }
  let parsedRequest;
  try {
    parsedRequest = vci.parseCredentialRequest({ issuerMetadata, credentialRequest: body });
  } catch (e) {
    throw oauthError(e);
  }

  // c_nonce: every proof carries one (else invalid_proof, §8.3.1.2); each
  // must be one we handed out, unexpired and unused (else invalid_nonce).
  // They are used up by this request whatever its outcome.
  const t = nowS();
  const decoded = jwts.map((j) => {
    try {
      return decodeJWS(j);
    } catch {
      throw credentialError('invalid_proof', 'a proof is not a compact JWS');
    }
  });
  const used = new Set();
  for (const { payload } of decoded) {
    if (typeof payload.nonce !== 'string') throw credentialError('invalid_proof', 'a proof has no nonce');
    const n = nonces.get(payload.nonce);
    if (!n || n.used || n.expiresAt < t) {
      throw credentialError('invalid_nonce', 'c_nonce unknown, expired or already used; get a new one from the nonce endpoint');
    }
    used.add(payload.nonce);
  }
  for (const n of used) nonces.get(n).used = true;

  const keys = [];
  for (const [i, { header, payload }] of decoded.entries()) {
    try {
      await vci.verifyCredentialRequestJwtProof({
        issuerMetadata,
        jwt: jwts[i],
        expectedNonce: payload.nonce,
        nonceExpiresAt: new Date(nonces.get(payload.nonce).expiresAt * 1000),
      });
    } catch (e) {
      throw oauthError(e);
    }
    // Checks the library leaves to us (Appendix F.1, F.4).
    if (!isObject(header.jwk) || header.kid !== undefined || header.x5c !== undefined) {
      throw credentialError('invalid_proof', 'the proof must carry the key as jwk (and no kid or x5c)');
    }
    if (typeof payload.aud !== 'string') throw credentialError('invalid_proof', 'aud must be a string');
    if (payload.iss !== undefined) throw credentialError('invalid_proof', 'iss must be absent (anonymous pre-authorized code flow)');
    if (typeof payload.iat !== 'number' || payload.iat < t - PROOF_MAX_AGE_S || payload.iat > t + PROOF_SKEW_S) {
      throw credentialError('invalid_proof', 'proof iat outside the accepted window');
    }
    keys.push(publicJwk(header.jwk));
  }

  const format = issuerMetadata.credentialIssuer.credential_configurations_supported[configId].format;
  const credentials = [];
  for (const key of keys) {
    credentials.push({ credential: format === 'dc+sd-jwt' ? await issueSdJwt(key) : await issueMdoc(key) });
    log.issued.push({ offer: offer.id, configuration: configId, format, holder_jkt: thumbprint(key) });
  }
  const notificationId = randomId();
  notifications.set(notificationId, { subject: offer.id, configuration: configId });
  const response = vci.createCredentialResponse({ credentialRequest: parsedRequest, credentials, notificationId });
  send(res, 200, response);
}

async function notificationEndpoint(req, res) {
  const offer = await authorize(req);
  const bad = (error, description) => new HttpError(400, error, description);
  if (mediaType(req) !== 'application/json') throw bad('invalid_notification_request', 'must be application/json');
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    throw bad('invalid_notification_request', 'not JSON');
  }
  if (!isObject(body) || typeof body.notification_id !== 'string') {
    throw bad('invalid_notification_request', 'notification_id missing');
  }
  if (!['credential_accepted', 'credential_failure', 'credential_deleted'].includes(body.event)) {
    throw bad('invalid_notification_request', 'event must be credential_accepted, credential_failure or credential_deleted');
  }
  const n = notifications.get(body.notification_id);
  if (!n || n.subject !== offer.id) throw bad('invalid_notification_id', 'unknown notification_id');
  log.notifications.push({ notification_id: body.notification_id, configuration: n.configuration, event: body.event, event_description: body.event_description });
  send(res, 204);
}

// ---- issuing ------------------------------------------------------------------

const sdjwt = new SDJwtVcInstance({
  signer: (data) => es256Sign(issuerKey.privateJwk, data),
  signAlg: 'ES256',
  hasher: (data, alg) => {
    if (alg !== 'sha-256') throw new Error(`unsupported hash ${alg}`);
    return cb.hash(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data), alg);
  },
  hashAlg: 'sha-256',
  saltGenerator: () => b64u(randomBytes(16)),
  loadTypeMetadataFormat: false,
});

async function issueSdJwt(holderJwk) {
  const at = now();
  const iat = Math.floor(at.getTime() / 1000);
  const claims = sdJwtClaims(at);
  const payload = { vct: VCT, iss: issuerURL, iat, exp: iat + CREDENTIAL_VALIDITY_S, cnf: { jwk: holderJwk }, ...claims };
  return sdjwt.issue(payload, disclosureFrame(claims), { header: { kid: ISSUER_KID } });
}

async function issueMdoc(holderJwk) {
  const signed = new Date(Math.floor(Date.now() / 1000) * 1000);
  const doc = await new Document(DOCTYPE)
    .addIssuerNameSpace(NAMESPACE, mdocElements(signed, (s) => new DateOnly(s)))
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo({ signed, validFrom: signed, validUntil: new Date(signed.getTime() + CREDENTIAL_VALIDITY_S * 1000) })
    .addDeviceKeyInfo({ deviceKey: holderJwk })
    .sign({ issuerPrivateKey: pki.dsPrivateJwk, issuerCertificate: pki.dsPem, alg: 'ES256' });
  // OpenID4VCI 1.0 Appendix A.2.4: base64url of the CBOR IssuerSigned.
  return b64u(cborEncode(doc.prepare().get('issuerSigned')));
}

// ---- routing ------------------------------------------------------------------

const routes = {
  'GET /.well-known/openid-credential-issuer': (req, res) => send(res, 200, issuerMetadata.credentialIssuer),
  'GET /.well-known/oauth-authorization-server': (req, res) => send(res, 200, asMetadata),
  'GET /jwks': (req, res) => send(res, 200, jwks()),
  'POST /token': tokenEndpoint,
  'POST /nonce': (req, res) => {
    const c = randomId();
    nonces.set(c, { expiresAt: nowS() + NONCE_TTL_S, used: false });
    send(res, 200, vci.createNonceResponse({ cNonce: c, cNonceExpiresIn: NONCE_TTL_S }));
  },
  'POST /credential': credentialEndpoint,
  'POST /notification': notificationEndpoint,
  // Test-only: a new offer (JSON body optional: {"tx_code": false,
  // "credential_configuration_ids": [...]}) and what happened so far.
  'POST /test/offer': async (req, res) => {
    const text = await readBody(req);
    const o = text ? JSON.parse(text) : {};
    const ids = o.credential_configuration_ids ?? [SD_JWT_ID, MDOC_ID];
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => id === SD_JWT_ID || id === MDOC_ID)) {
      throw new HttpError(400, 'invalid_request', 'bad credential_configuration_ids');
    }
    send(res, 200, await newOffer({ configIds: ids, txCode: o.tx_code !== false }));
  },
  'GET /test/log': (req, res) => send(res, 200, log),
};

async function handle(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  try {
    const route = routes[`${req.method} ${path}`];
    if (route) return await route(req, res);
    if (req.method === 'GET' && path.startsWith('/offers/')) {
      const o = offersByRef.get(path.slice('/offers/'.length));
      if (!o) throw new HttpError(404, 'invalid_request', 'no such offer');
      return send(res, 200, o);
    }
    const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
    throw known ? new HttpError(405, 'invalid_request', 'method not allowed') : new HttpError(404, 'invalid_request', 'not found');
  } catch (e) {
    if (e instanceof HttpError) return send(res, e.status, e.body, e.headers);
    process.stderr.write(`issuer.mjs: ${req.method} ${path}: ${e?.stack ?? e}\n`);
    return send(res, 500, { error: 'server_error', error_description: asciiDescription(e?.message ?? e) });
  }
}

const server = http.createServer((req, res) => {
  handle(req, res);
});
server.keepAliveTimeout = 1000;

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(args.port, '127.0.0.1', resolve);
});
issuerURL = `http://127.0.0.1:${server.address().port}`;
buildMetadata();
const first = await newOffer();

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

writeLine({
  issuer: issuerURL,
  ...first,
  issuer_jwk: issuerKey.publicJwk,
  issuer_kid: ISSUER_KID,
  iaca_pem: pki.iacaPem,
});
