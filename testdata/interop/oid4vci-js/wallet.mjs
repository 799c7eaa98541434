// wallet.mjs: an OpenID4VCI 1.0 wallet built on Openid4vciClient
// (@openid4vc/openid4vci) that redeems a pre-authorized code offer.
//
//   node wallet.mjs --offer <openid-credential-offer://...> [--tx-code <code>]
//                   [--mode good|wrong-tx-code|replayed-nonce|wrong-audience]
//                   [--dpop] [--batch N] [--reveal-keys]
//
// It prints ONE line of JSON on stdout (see README.md for every member):
//   {"credentials": [{"configuration", "format", "credential", ...}],
//    "errors": [{"step", "status", "error", "error_description", ...}], ...}
// and exits 0 whenever the issuer answered, whatever it answered (an error
// response, or one the library could not use, is reported under "errors"):
// the caller asserts the outcome. It exits 1 when no answer came (issuer
// unreachable, 30 s timeout) or the harness itself broke, and 2 on bad
// arguments, with the reason on stderr.
import {
  InvalidFetchResponseError,
  Oauth2ClientErrorResponseError,
  Oauth2Error,
  clientAuthenticationAnonymous,
  getAuthorizationServerMetadataFromList,
  preAuthorizedCodeGrantIdentifier,
} from '@openid4vc/oauth2';
import {
  Openid4vciClient,
  Openid4vciError,
  Openid4vciRetrieveCredentialsError,
  Openid4vciSendNotificationError,
  determineAuthorizationServerForCredentialOffer,
} from '@openid4vc/openid4vci';
import { KeyRing, UsageError, callbacks, checkURL, newP256, parseArgs, thumbprint, writeLine } from './lib.mjs';
import { decodeIssuerSigned, decodeSdJwt } from './decode.mjs';

const MODES = ['good', 'wrong-tx-code', 'replayed-nonce', 'wrong-audience'];
// The aud of the proofs in wrong-audience mode: another credential issuer.
const OTHER_AUDIENCE = 'https://other-issuer.example.com';

const USAGE =
  'usage: node wallet.mjs --offer <openid-credential-offer://...> [--tx-code <code>]\n' +
  '         [--mode good|wrong-tx-code|replayed-nonce|wrong-audience] [--dpop] [--batch N] [--reveal-keys]';

function parse() {
  const a = parseArgs(process.argv.slice(2), {
    offer: 'string',
    'tx-code': 'string',
    mode: 'string',
    dpop: 'boolean',
    batch: 'number',
    'reveal-keys': 'boolean',
  });
  if (!a.offer) throw new UsageError('--offer is required');
  a.mode ??= 'good';
  if (!MODES.includes(a.mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}`);
  a.batch ??= 1;
  if (a.batch < 1) throw new UsageError('--batch must be at least 1');
  return a;
}

// wrongTxCode changes every character of a code, keeping its length and,
// for digits, its input mode.
function wrongTxCode(code) {
  return [...code].map((c) => (/\d/.test(c) ? String((Number(c) + 1) % 10) : c === 'x' ? 'y' : 'x')).join('');
}

// clip shortens a library message for the report.
const clip = (m) => String(m).slice(0, 1000);

// describe turns an error of the library into an entry of "errors" when
// it is about what the peer answered, and returns undefined when no answer
// came (connection refused, timeout) or the error is ours: then the run
// failed as a harness.
//   - an error response (token, credential, notification): HTTP status,
//     error, error_description, and for the resource endpoints the
//     WWW-Authenticate header and the body as received;
//   - another non-2xx response (nonce, offer, metadata): status and body;
//   - a 2xx response the library could not read: error
//     "malformed_response" and the library's reason;
//   - a response the library refused to go on with (say, metadata whose
//     credential_issuer is not the offer's): error "library_refused".
async function describe(e, fields) {
  const entry = { ...fields };
  const name = e?.constructor?.name;
  if (e instanceof Oauth2ClientErrorResponseError) {
    entry.status = e.response.status;
    entry.error = e.errorResponse.error;
    entry.error_description = e.errorResponse.error_description ?? null;
    return entry;
  }
  if (e instanceof Openid4vciRetrieveCredentialsError || e instanceof Openid4vciSendNotificationError) {
    const r = e.response;
    entry.status = r.response.status;
    const parsed = r.credentialErrorResponseResult ?? r.notificationErrorResponseResult;
    if (parsed?.success) {
      entry.error = parsed.data.error;
      entry.error_description = parsed.data.error_description ?? null;
    } else if (r.wwwAuthenticate?.length) {
      entry.error = r.wwwAuthenticate[0].error ?? null;
      entry.error_description = r.wwwAuthenticate[0].error_description ?? null;
    } else if (r.credentialResponseResult && !r.credentialResponseResult.success) {
      entry.error = 'malformed_response';
      entry.error_description = clip(r.credentialResponseResult.error?.message ?? 'not a Credential Response');
    } else {
      entry.error = null;
      entry.error_description = null;
    }
    const www = r.response.headers.get('WWW-Authenticate');
    if (www) entry.www_authenticate = www;
    entry.body = (await r.response.clone().text()).slice(0, 2000);
    return entry;
  }
  if (e instanceof InvalidFetchResponseError) {
    entry.status = e.response.status;
    let body;
    try {
      body = JSON.parse(e.textResponse);
    } catch {
      body = undefined;
    }
    entry.error = !e.response.ok && typeof body?.error === 'string' ? body.error : e.response.ok ? 'malformed_response' : null;
    entry.error_description = clip(typeof body?.error_description === 'string' ? body.error_description : e.message);
    entry.body = e.textResponse.slice(0, 2000);
    return entry;
  }
  if (name === 'ValidationError') {
    entry.error = 'malformed_response';
    entry.error_description = clip(e.message);
    return entry;
  }
  if (e instanceof Oauth2Error || e instanceof Openid4vciError) {
    entry.error = 'library_refused';
    entry.error_description = clip(e.message);
    return entry;
  }
  return undefined;
}

async function main() {
  let a;
  try {
    a = parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`wallet.mjs: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }

  const ring = new KeyRing();
  // No verifyJwt: the client asks for unsigned (application/json) metadata only.
  const { verifyJwt: _, ...cb } = callbacks(ring, { clientAuthentication: clientAuthenticationAnonymous() });
  const client = new Openid4vciClient({ callbacks: cb });
  const out = {
    mode: a.mode,
    issuer: null,
    offer_by_reference: false,
    draft_version: null,
    token_type: null,
    dpop: false,
    holder_jwks: [],
    credentials: [],
    notifications: [],
    errors: [],
  };

  // The offer: by value or by reference (the library fetches the latter).
  const offerURL = new URL(a.offer);
  const offerRef = offerURL.searchParams.get('credential_offer_uri');
  if (offerRef) {
    checkURL(offerRef, 'credential_offer_uri');
    out.offer_by_reference = true;
  }
  // attempt runs one exchange with the peer. When the peer's answer is an
  // error or unusable, it is recorded under errors (with fields) and
  // attempt returns undefined; when no answer came it throws.
  const attempt = async (fields, fn) => {
    try {
      return await fn();
    } catch (e) {
      const entry = await describe(e, fields);
      if (!entry) throw e;
      out.errors.push(entry);
      return undefined;
    }
  };
  const offer = await attempt({ step: 'offer' }, () => client.resolveCredentialOffer(a.offer));
  if (!offer) return out;
  checkURL(offer.credential_issuer, 'credential_issuer');
  out.issuer = offer.credential_issuer;
  const grant = offer.grants?.[preAuthorizedCodeGrantIdentifier];
  if (!grant) {
    out.errors.push({ step: 'offer', error: 'unsupported_offer', error_description: 'no pre-authorized_code grant' });
    return out;
  }

  // Credential Issuer and Authorization Server metadata.
  const md = await attempt({ step: 'metadata' }, () => client.resolveIssuerMetadata(offer.credential_issuer));
  if (!md) return out;
  out.draft_version = md.originalDraftVersion;
  const asMd = await attempt({ step: 'metadata' }, () =>
    getAuthorizationServerMetadataFromList(
      md.authorizationServers,
      determineAuthorizationServerForCredentialOffer({ issuerMetadata: md, grantAuthorizationServer: grant.authorization_server }),
    ),
  );
  if (!asMd) return out;
  checkURL(asMd.token_endpoint, 'token_endpoint');

  // DPoP (RFC 9449) with its own key when the AS advertises ES256, or when asked.
  let dpop;
  if (a.dpop || asMd.dpop_signing_alg_values_supported?.includes('ES256')) {
    const k = newP256();
    ring.add(k.privateJwk);
    dpop = { signer: { method: 'jwk', alg: 'ES256', publicJwk: k.publicJwk } };
    out.dpop = true;
  }

  // Token Request with the pre-authorized code (and tx_code).
  let txCode = a.txCode;
  if (grant.tx_code && txCode === undefined) {
    throw new UsageError('the offer asks for a tx_code: pass --tx-code');
  }
  if (a.mode === 'wrong-tx-code') {
    if (txCode === undefined) throw new UsageError('--mode wrong-tx-code needs the right --tx-code to change');
    txCode = wrongTxCode(txCode);
  }
  const token = await attempt({ step: 'token' }, () =>
    client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer: offer, issuerMetadata: md, txCode, dpop }),
  );
  if (!token) return out;
  out.token_type = token.accessTokenResponse.token_type;
  const accessToken = token.accessTokenResponse.access_token;
  dpop = token.dpop ?? dpop;
  if (a.mode === 'wrong-tx-code') return out; // the wrong code got a token: the caller sees no error

  // The holder keys: one fresh P-256 key per proof of a request, the same
  // keys for every configuration (as one device key would be).
  const holders = [];
  for (let i = 0; i < a.batch; i++) {
    const k = newP256();
    ring.add(k.privateJwk);
    holders.push(k);
    out.holder_jwks.push(a.revealKeys ? k.privateJwk : k.publicJwk);
  }

  // proofs makes one jwt key proof per holder key; the library refuses when
  // the configuration does not take ES256 jwt proofs or wants key
  // attestations (recorded as library_refused).
  const proofs = (configuration, nonce, metadata = md) =>
    attempt({ step: 'proof', configuration }, async () => ({
      jwt: await Promise.all(
        holders.map(async (k) => {
          const { jwt } = await client.createCredentialRequestJwtProof({
            issuerMetadata: metadata,
            credentialConfigurationId: configuration,
            signer: { method: 'jwk', alg: 'ES256', publicJwk: k.publicJwk },
            nonce,
            issuedAt: new Date(),
          });
          return jwt;
        }),
      ),
    }));

  // request sends one Credential Request and returns the response, or
  // undefined when the issuer refused (recorded).
  const request = (configuration, proofs, kase) =>
    attempt({ step: 'credential', configuration, ...(kase ? { case: kase } : {}) }, async () => {
      const r = await client.retrieveCredentials({ issuerMetadata: md, credentialConfigurationId: configuration, proofs, accessToken, dpop });
      if (dpop && r.dpop?.nonce) dpop = { ...dpop, nonce: r.dpop.nonce };
      return r;
    });

  // collect records the credentials of a response and acknowledges them at
  // the notification endpoint.
  const collect = async (configuration, r) => {
    const format = md.credentialIssuer.credential_configurations_supported[configuration].format;
    const list = (r.credentialResponse.credentials ?? (r.credentialResponse.credential ? [r.credentialResponse.credential] : []))
      // 1.0 wraps each credential in {"credential": ...}; Draft 15 did not.
      .map((c) => (typeof c === 'object' && c !== null && 'credential' in c ? c.credential : c));
    for (const credential of list) {
      const entry = { configuration, format, credential };
      if (r.credentialResponse.notification_id) entry.notification_id = r.credentialResponse.notification_id;
      try {
        const d = format === 'mso_mdoc' ? decodeIssuerSigned(credential) : decodeSdJwt(credential);
        entry.decoded = format === 'mso_mdoc' ? { doctype: d.docType, validity: d.validityInfo, elements: d.elements } : { header: d.header, claims: d.claims };
        // Which proof key the credential is bound to (-1: none of ours).
        const tp = d.holderJwk ? thumbprint(d.holderJwk) : undefined;
        entry.key_index = holders.findIndex((k) => thumbprint(k.publicJwk) === tp);
      } catch (e) {
        entry.decode_error = String(e?.message ?? e);
      }
      if (list.length !== holders.length) entry.count_mismatch = `${list.length} credentials for ${holders.length} proofs`;
      out.credentials.push(entry);
    }
    const id = r.credentialResponse.notification_id;
    if (!id) return;
    const n = await attempt({ step: 'notification', configuration }, () =>
      client.sendNotification({ issuerMetadata: md, notification: { notificationId: id, event: 'credential_accepted' }, accessToken, dpop }),
    );
    if (!n) return;
    if (dpop && n.dpop?.nonce) dpop = { ...dpop, nonce: n.dpop.nonce };
    out.notifications.push({ configuration, notification_id: id, event: 'credential_accepted', status: n.response.status });
  };

  for (const configuration of offer.credential_configuration_ids) {
    // A fresh c_nonce for every configuration (none if the issuer has no
    // nonce endpoint).
    let nonce;
    if (md.credentialIssuer.nonce_endpoint) {
      const n = await attempt({ step: 'nonce', configuration }, () => client.requestNonce({ issuerMetadata: md }));
      if (!n) continue;
      nonce = n.c_nonce;
    }
    if (a.mode === 'wrong-audience') {
      // Proofs made for another credential issuer (aud), otherwise correct.
      const other = { ...md, credentialIssuer: { ...md.credentialIssuer, credential_issuer: OTHER_AUDIENCE } };
      const p = await proofs(configuration, nonce, other);
      const r = p && (await request(configuration, p, 'other-audience'));
      if (r) await collect(configuration, r);
      continue;
    }
    const p = await proofs(configuration, nonce);
    if (!p) continue;
    const r = await request(configuration, p, a.mode === 'replayed-nonce' ? 'first-use' : undefined);
    if (r) await collect(configuration, r);
    if (a.mode === 'replayed-nonce' && r) {
      // The very same request again (same proofs, same c_nonce), then fresh
      // proofs over the c_nonce already used.
      const again = await request(configuration, p, 'same-proofs-again');
      if (again) await collect(configuration, again);
      const p2 = await proofs(configuration, nonce);
      const reused = p2 && (await request(configuration, p2, 'same-nonce-new-proofs'));
      if (reused) await collect(configuration, reused);
    }
  }
  return out;
}

main().then(
  (out) => {
    writeLine(out);
    process.exit(0);
  },
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`wallet.mjs: ${e.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`wallet.mjs: harness failure: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
