// Package oid4vp implements the messages and checks of OpenID for
// Verifiable Presentations 1.0 (OpenID4VP, final) that both sides of a
// presentation share: the Digital Credentials Query Language (DCQL, §6)
// with a matching engine, the Authorization Request and its signed
// Request Object, the response, and the Digital Credentials API
// variants. Section numbers (§) are those of OpenID4VP 1.0.
//
// # Requests and responses
//
// The Wallet reads a request link or QR text with
// [ParseAuthorizationRequest] (by value, by reference with request_uri and
// request_uri_method, or a Request Object by value), or the data of a
// Digital Credentials API request with [ParseDCAPIRequest]. A request by
// reference is fetched with GET, or POST with a [RequestURIPost] carrying
// the Wallet's metadata and a wallet_nonce ([NewWalletNonce]); the answer
// is read with [ReadRequestObject]. A Request Object is verified with
// [VerifyRequestObject], which returns a [VerifiedRequest]. The Wallet
// answers with an [AuthorizationResponse]: [AuthorizationResponse.Form]
// for direct_post and direct_post.jwt, [AuthorizationResponse.DCAPIData]
// for the DC API, [ErrorResponseForm] and [DCAPIErrorData] for errors;
// the response_uri's answer is read with [ReadResponseResult].
// [AuthorizationRequest.Audience] and
// [AuthorizationRequest.MdocSessionTranscript] give what presentations
// bind to.
//
// The Verifier builds an [AuthorizationRequest], sends it unsigned with
// [AuthorizationRequest.Link] (pre-registered and redirect_uri clients
// only) or [DCAPIRequest], or signs it with [SignRequestObject] and sends
// it by reference (serving it with [WriteRequestObject], reading a POST
// with [ReadRequestURIPost]) or with [DCAPISignedRequest]. Its
// response_uri reads the response with [ReadResponse] (or
// [ParseDCAPIResponse] for the DC API), checks it against the query with
// [AuthorizationResponse.CheckQuery], verifies each presentation, and
// answers [WriteResponseResult] or [WriteError].
//
// What a Wallet checks in a request's parameters, whether they came in a
// link, a Request Object or DC API data:
//
//   - response_type is vp_token (§5.4); response_mode is present (§5.2)
//     and one of direct_post and direct_post.jwt (redirects) or dc_api and
//     dc_api.jwt (the DC API); fragment and query are refused: they put
//     presentations in URLs;
//   - nonce is present and state, if any, uses URL-safe characters only
//     (§5.2);
//   - dcql_query is present and valid ([ParseQuery]); scope aliases are
//     not supported (§5.5); transaction_data is refused with
//     invalid_transaction_data (§5.1: a Wallet that does not support it
//     MUST reject the request);
//   - client_id is present (omitted, and ignored, in unsigned DC API
//     requests); prefixes that authenticate the Verifier (x509_san_dns,
//     x509_hash, decentralized_identifier, …) come only in Request
//     Objects, and redirect_uri never does (§5.9.3); a redirect_uri
//     client's response_uri is its client identifier;
//   - with direct_post*, response_uri is an https URL and redirect_uri is
//     absent (§8.2); over the DC API, state, response_uri and
//     redirect_uri are ignored (Appendix A.2);
//   - client_metadata's jwks holds public keys only, each with a unique
//     kid (§5.1); an encrypted response mode needs an ECDH-ES key on
//     P-256 and an enc of A128GCM or A256GCM ([ClientMetadata]);
//   - verifier_info entries have a format and data, and name only
//     Credential Query ids (§5.1); ikdkit interprets no format;
//   - a signed DC API request has expected_origins, none of an unsafe
//     scheme (Appendix A.2), and [CheckOrigin] compares the platform's
//     origin to them as strings.
//
// A signed request is verified in the order [VerifyRequestObject] lists:
// typ, key, signature and trust before anything in the payload is
// believed. HAIP's choices are the defaults: x509_hash
// clients, no trust anchor or self-signed certificate in x5c, ECDH-ES on
// P-256 with A128GCM and A256GCM (A256GCM preferred), ephemeral
// encryption keys found by kid ([ResponseOptions].DecryptionKey).
//
// Errors are [*ProtocolError] values with the code of §8.5 (or of RFC
// 6749 and RFC 9101) to answer with; each wraps a sentinel
// ([ErrMalformed], [ErrUnsupported], [ErrInvalidRequestObject],
// [ErrUntrustedVerifier], [ErrNotFresh], [ErrWalletNonce], [ErrOrigin],
// [ErrDecrypt]) for errors.Is. Every input is capped (the Max*
// constants) and parsed strictly: one JSON object without duplicate
// member names, each form or query parameter at most once, canonical
// base64url, unknown parameters ignored as the specification requires.
//
// Not supported: response modes fragment, query and form_post; response
// types other than vp_token; scope; transaction_data; the
// openid_federation and verifier_attestation prefixes and signed
// requests of pre-registered clients; multi-signed DC API requests (JWS
// JSON Serialization); encrypted Request Objects; presentations that are
// JSON objects (the W3C formats of Appendix B.1).
package oid4vp
