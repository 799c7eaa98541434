// verify.mjs: verifies a batch of SD-JWT VC presentations with sd-jwt-js
// plus the strict checks of lib.mjs.
//
// stdin:  {issuerJwk (public), now, skew, maxAge,
//          cases: [{name, presentation, aud, nonce}]}
// stdout: {results: [{name, ok, reason, detail, libraryOk, libraryError, claims}]}
import { checkPresentation, publicJwk, readStdinJSON, writeJSON } from './lib.mjs';

const input = await readStdinJSON();
const results = [];
for (const c of input.cases) {
  const r = await checkPresentation(c.presentation, {
    issuerJwk: publicJwk(input.issuerJwk),
    now: input.now,
    skew: input.skew,
    maxAge: input.maxAge,
    aud: c.aud,
    nonce: c.nonce,
  });
  results.push({ name: c.name, ...r });
}
writeJSON({ results });
