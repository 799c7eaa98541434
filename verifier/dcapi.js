// ikdkit: the page side of an OpenID4VP 1.0 transaction over the W3C
// Digital Credentials API (OpenID4VP 1.0 Appendix A), served by
// verifier.VPHandler at {BaseURL}/dcapi.js.
//
//   const outcome = await ikdkitDCAPI(tx);
//
// tx is the JSON of a verifier.DCAPIRequest ({protocol, data,
// response_url}) from VPHandler.NewDCAPIRequest. The browser asks the
// user's wallet; the DigitalCredential's data is posted to response_url,
// and the handler's answer is returned: {"state": "verified"} or
// {"state": "failed", "error": {...}}. It throws when the browser has no
// Digital Credentials API, the user cancels, or the handler refuses the
// response (the Error's message is the handler's error_description).
async function ikdkitDCAPI(tx) {
  if (!('DigitalCredential' in window) || !navigator.credentials) {
    throw new Error('this browser has no Digital Credentials API');
  }
  const credential = await navigator.credentials.get({
    mediation: 'required',
    digital: { requests: [{ protocol: tx.protocol, data: tx.data }] },
  });
  if (!credential || credential.protocol !== tx.protocol) {
    throw new Error('the wallet answered another protocol');
  }
  const data = typeof credential.data === 'string' ? JSON.parse(credential.data) : credential.data;
  const resp = await fetch(tx.response_url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(data),
  });
  const body = await resp.json();
  if (!resp.ok) {
    throw new Error(body.error_description || body.error || ('HTTP ' + resp.status));
  }
  return body;
}
