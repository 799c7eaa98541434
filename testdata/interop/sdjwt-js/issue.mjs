// issue.mjs: sd-jwt-js issues an SD-JWT VC and presents it with a KB-JWT.
//
// stdin:  {issuerJwk, holderJwk (both with d), claims, frame,
//          presentations: [{name, frame, aud, nonce, iat}],
//          hashAlgs: ["sha-384", ...],
//          verify: {now, skew, maxAge}}
// stdout: {issued, presentations: [{name, presentation, check}]}
//   The credential is issued with _sd_alg sha-256 and presented once per
//   entry of presentations. For every entry of hashAlgs another credential
//   is issued with that _sd_alg and presented with the first presentation
//   frame, named "<name>/<hashAlg>".
//   check is checkPresentation's verdict on sd-jwt-js's own presentation;
//   check.claims are the claims sd-jwt-js reports as disclosed.
import { checkPresentation, newInstance, publicJwk, readStdinJSON, writeJSON } from './lib.mjs';

const input = await readStdinJSON();
const claims = { ...input.claims, cnf: { jwk: publicJwk(input.holderJwk) } };
const issue = (hashAlg) =>
  newInstance({ issuerJwk: input.issuerJwk, holderJwk: input.holderJwk, hashAlg }).issue(claims, input.frame);
const issued = await issue('sha-256');
const runs = input.presentations.map((p) => ({ ...p, issued }));
for (const hashAlg of input.hashAlgs ?? []) {
  const p = input.presentations[0];
  runs.push({ ...p, name: `${p.name}/${hashAlg}`, issued: await issue(hashAlg) });
}
const inst = newInstance({ issuerJwk: input.issuerJwk, holderJwk: input.holderJwk });
const presentations = [];
for (const p of runs) {
  const presentation = await inst.present(p.issued, p.frame, {
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
