// issue.mjs: sd-jwt-js issues an SD-JWT VC and presents it with a KB-JWT.
//
// stdin:  {issuerJwk, holderJwk (both with d), claims, frame,
//          presentations: [{name, frame, aud, nonce, iat}],
//          verify: {now, skew, maxAge}}
// stdout: {issued, presentations: [{name, presentation, check}]}
//   check is checkPresentation's verdict on sd-jwt-js's own presentation;
//   check.claims are the claims sd-jwt-js reports as disclosed.
import { checkPresentation, newInstance, publicJwk, readStdinJSON, writeJSON } from './lib.mjs';

const input = await readStdinJSON();
const inst = newInstance({ issuerJwk: input.issuerJwk, holderJwk: input.holderJwk });
const claims = { ...input.claims, cnf: { jwk: publicJwk(input.holderJwk) } };
const issued = await inst.issue(claims, input.frame);
const presentations = [];
for (const p of input.presentations) {
  const presentation = await inst.present(issued, p.frame, {
    kb: { payload: { iat: p.iat, aud: p.aud, nonce: p.nonce } },
  });
  const check = await checkPresentation(presentation, {
    ...input.verify,
    issuerJwk: publicJwk(input.issuerJwk),
    aud: p.aud,
    nonce: p.nonce,
  });
  presentations.push({ name: p.name, presentation, check });
}
writeJSON({ issued, presentations });
