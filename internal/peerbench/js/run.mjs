// run.mjs: verifies presentation bytes that ikdkit wrote with the JS peers,
// checks their verdicts on good and bad cases, and times them by CPU time
// against a floor measured in the same Node.js process.
//
//   node run.mjs --iterations N --warmup W FILE.json...
//
// Each FILE is a fixture written by internal/peerbench (see jspeer_test.go):
//   {kind: "sd-jwt", n, presentation, issuerJwk, aud, nonce, now, maxAge,
//    cases: [{name, presentation, aud, nonce, now}]}
//   {kind: "mdoc", n, docType (also the namespace), deviceResponseHex, rootPem, transcriptHex,
//    cases: [{name, deviceResponseHex, transcriptHex}],
//    floor: {rootSpki, dsSpki, deviceSpki, dsTbs, dsSig, issuerTbs, issuerSig,
//            deviceTbs, deviceSig, items: [hex]}}
// stdout: {clock, results: [{file, kind, n, cases: [{name, ok, error}],
//          iterations, warmup, peerCpuNs, floorCpuNs}]}
// peerCpuNs and floorCpuNs are per verification: process.cpuUsage() (user +
// system, every thread of the process) summed over the timed iterations, in
// which the peer and the floor alternate and the first of the two changes
// every iteration, divided by the iterations.
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { Verifier } from '@auth0/mdl';

// ---------------------------------------------------------------- SD-JWT VC

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

// The claims SD-JWT VC (draft, §3.2.2.2) does not let an issuer make
// selectively disclosable: the same list as sdjwt.NonDisclosableVCClaims.
const NON_DISCLOSABLE = new Set(['iss', 'nbf', 'exp', 'cnf', 'vct', 'vct#integrity', 'status']);

const jwkKey = ({ kty, crv, x, y }) => createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });

// es256 verifies a JWS signing input with a KeyObject; the signature is the
// JWS r||s (IEEE P1363). A malformed signature is just "false".
function es256(key, data, sigB64u) {
  const sig = Buffer.from(sigB64u, 'base64url');
  if (sig.length !== 64) return false;
  return cryptoVerify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, sig);
}

const headerOf = (data) => JSON.parse(Buffer.from(data.slice(0, data.indexOf('.')), 'base64url').toString('utf8'));

function newSDJwtVerifier(issuerJwk) {
  const issuerKey = jwkKey(issuerJwk);
  return new SDJwtVcInstance({
    hasher: (data, alg) => {
      if (alg !== 'sha-256') throw new Error(`unsupported _sd_alg ${alg}`);
      return new Uint8Array(sha256(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)));
    },
    hashAlg: 'sha-256',
    // (by hand, in the callback) the algorithm is pinned to ES256: the
    // library passes the signing input and lets the callback decide.
    verifier: (data, sig) => headerOf(data).alg === 'ES256' && es256(issuerKey, data, sig),
    // (by hand, in the callback) the KB-JWT's alg pinned to ES256 and its
    // signature checked with the key of the issuer JWT's cnf.jwk: the
    // library only hands the callback the verified payload.
    kbVerifier: (data, sig, payload) => {
      const jwk = payload?.cnf?.jwk;
      return headerOf(data).alg === 'ES256' && !!jwk && es256(jwkKey(jwk), data, sig);
    },
    loadTypeMetadataFormat: false, // nothing is fetched
  });
}

// verifySDJwt is the sd-jwt-js side, doing the checks ikdkit's
// sdjwt.VerifyVC does. What SDJwtVcInstance.verify does itself (0.19.0) is
// marked (API); what it leaves to the caller is done here and marked (by hand).
async function verifySDJwt(inst, pres, o) {
  // (API) SDJwtVcInstance.verify: the issuer signature (through the
  // verifier callback), iat/nbf/exp when present against currentDate, the
  // disclosures unpacked against the _sd digests, the KB-JWT's presence,
  // typ kb+jwt and required claims (iat, aud, nonce, sd_hash), its
  // signature (through kbVerifier), nonce === keyBindingNonce, sd_hash
  // over the presented SD-JWT; a status list only if the payload has one.
  const res = await inst.verify(pres, { currentDate: o.now, keyBindingNonce: o.nonce });
  if (!res.kb) throw new Error('no KB-JWT verified'); // (by hand) key binding is required
  const parts = pres.split('~');
  // (by hand) the issuer JWT's typ: the library does not compare it.
  const iss = JSON.parse(Buffer.from(parts[0].slice(0, parts[0].indexOf('.')), 'base64url').toString('utf8'));
  if (iss.typ !== 'dc+sd-jwt') throw new Error(`issuer typ ${iss.typ}`);
  // (by hand) exp is required (the library checks it only when present) and
  // vct must be a non-empty string (SD-JWT VC rules).
  const claims = res.payload;
  if (typeof claims.exp !== 'number') throw new Error('no exp');
  if (typeof claims.vct !== 'string' || claims.vct === '') throw new Error('vct');
  // (by hand) every disclosure is referenced by a digest in the signed
  // payload (the library drops an unreferenced one silently) and discloses
  // no claim that must stay in the payload. The library hashed the
  // disclosures already but does not expose the digests, so this hashes
  // and decodes each one again: extra work the JS side pays for.
  const signed = JSON.parse(Buffer.from(parts[0].split('.')[1], 'base64url').toString('utf8'));
  const referenced = new Set(signed._sd ?? []);
  const discs = parts.slice(1, -1);
  for (const d of discs) {
    if (!referenced.has(b64u(sha256(Buffer.from(d, 'ascii'))))) throw new Error('unreferenced disclosure');
    const arr = JSON.parse(Buffer.from(d, 'base64url').toString('utf8'));
    if (arr.length === 3 && NON_DISCLOSABLE.has(arr[1])) throw new Error(`${arr[1]} disclosed`);
  }
  if (discs.length !== o.n) throw new Error(`${discs.length} claims disclosed, want ${o.n}`);
  // (by hand) aud, and the KB-JWT's iat: not in the future and at most
  // maxAge seconds old (ikdkit's defaults: 5 minutes, no skew). The nonce
  // was compared by the library.
  const kb = res.kb.payload;
  if (kb.aud !== o.aud) throw new Error(`aud ${JSON.stringify(kb.aud)}`);
  if (typeof kb.iat !== 'number' || kb.iat > o.now || o.now - kb.iat > o.maxAge) throw new Error(`KB-JWT iat ${kb.iat}`);
}

// sdjwtFloor: SHA-256 of the two signing inputs and two ES256
// verifications with node:crypto, keys parsed and inputs split once.
function sdjwtFloor(fx) {
  const p = fx.presentation;
  const issuerJWT = p.slice(0, p.indexOf('~'));
  const kbJWT = p.slice(p.lastIndexOf('~') + 1);
  const split = (jws) => {
    const dot = jws.lastIndexOf('.');
    return { data: Buffer.from(jws.slice(0, dot)), sig: Buffer.from(jws.slice(dot + 1), 'base64url') };
  };
  const a = split(issuerJWT);
  const b = split(kbJWT);
  const payload = JSON.parse(Buffer.from(issuerJWT.split('.')[1], 'base64url').toString('utf8'));
  const ka = jwkKey(fx.issuerJwk);
  const kb = jwkKey(payload.cnf.jwk);
  return () => {
    const ok1 = cryptoVerify('sha256', a.data, { key: ka, dsaEncoding: 'ieee-p1363' }, a.sig);
    const ok2 = cryptoVerify('sha256', b.data, { key: kb, dsaEncoding: 'ieee-p1363' }, b.sig);
    if (!ok1 || !ok2) throw new Error('floor: signature invalid');
  };
}

function sdjwtSides(fx) {
  const inst = newSDJwtVerifier(fx.issuerJwk);
  const opts = (c) => ({ n: fx.n, aud: c.aud, nonce: c.nonce, now: c.now, maxAge: fx.maxAge });
  return {
    check: (c) => verifySDJwt(inst, c.presentation, opts(c)),
    peer: () => verifySDJwt(inst, fx.presentation, opts(fx)),
    floor: sdjwtFloor(fx),
  };
}

// --------------------------------------------------------------------- mdoc

// verifyMDoc is the @auth0/mdl side: Verifier.verify checks (API) the DS
// certificate's chain to the trusted root and its validity, the issuer
// signature, the MSO's validity against the wall clock and its signed date
// against the certificate, the country name, the device signature over the
// DeviceAuthentication with the given SessionTranscriptBytes, and every
// disclosed element's digest; any failed check throws.
async function verifyMDoc(rootPem, bytes, transcript, fx) {
  const m = await new Verifier([rootPem]).verify(bytes, { encodedSessionTranscript: transcript });
  // (by hand) the document is of the expected docType and all n elements
  // were verified and returned.
  const doc = m.documents[0];
  if (m.documents.length !== 1 || doc.docType !== fx.docType) throw new Error(`docType ${doc.docType}`);
  const got = Object.keys(doc.getIssuerNameSpace(fx.docType) ?? {}).length;
  if (got !== fx.n) throw new Error(`${got} elements, want ${fx.n}`);
}

// mdocFloor: three ES256 verifications (DS certificate by the IACA key,
// issuerAuth, deviceSignature), each over the SHA-256 of its input, and the
// SHA-256 of every IssuerSignedItemBytes; keys parsed and inputs decoded once.
function mdocFloor(fl) {
  const spki = (hex) => createPublicKey({ key: Buffer.from(hex, 'hex'), format: 'der', type: 'spki' });
  const root = spki(fl.rootSpki);
  const ds = spki(fl.dsSpki);
  const dev = spki(fl.deviceSpki);
  const h = (x) => Buffer.from(x, 'hex');
  const [dsTbs, dsSig, issTbs, issSig, devTbs, devSig] = [fl.dsTbs, fl.dsSig, fl.issuerTbs, fl.issuerSig, fl.deviceTbs, fl.deviceSig].map(h);
  const items = fl.items.map(h);
  let acc = 0;
  return () => {
    const ok1 = cryptoVerify('sha256', dsTbs, { key: root, dsaEncoding: 'der' }, dsSig);
    const ok2 = cryptoVerify('sha256', issTbs, { key: ds, dsaEncoding: 'ieee-p1363' }, issSig);
    const ok3 = cryptoVerify('sha256', devTbs, { key: dev, dsaEncoding: 'ieee-p1363' }, devSig);
    for (const it of items) acc ^= sha256(it)[0];
    if (!ok1 || !ok2 || !ok3) throw new Error('floor: signature invalid');
    return acc;
  };
}

function mdocSides(fx) {
  const resp = Buffer.from(fx.deviceResponseHex, 'hex');
  const tr = Buffer.from(fx.transcriptHex, 'hex');
  return {
    check: (c) => verifyMDoc(fx.rootPem, Buffer.from(c.deviceResponseHex, 'hex'), Buffer.from(c.transcriptHex, 'hex'), fx),
    peer: () => verifyMDoc(fx.rootPem, resp, tr, fx),
    floor: mdocFloor(fx.floor),
  };
}

// ------------------------------------------------------------------ driver

function args(argv) {
  const o = { iterations: 100, warmup: 100, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--iterations') o.iterations = Number(argv[++i]);
    else if (argv[i] === '--warmup') o.warmup = Number(argv[++i]);
    else o.files.push(argv[i]);
  }
  if (!Number.isInteger(o.iterations) || o.iterations < 0 || !Number.isInteger(o.warmup) || o.warmup < 0) {
    throw new Error('--iterations and --warmup take a non-negative integer');
  }
  return o;
}

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

async function run(file, o) {
  const fx = JSON.parse(readFileSync(file, 'utf8'));
  const sides = fx.kind === 'sd-jwt' ? sdjwtSides(fx) : fx.kind === 'mdoc' ? mdocSides(fx) : null;
  if (!sides) throw new Error(`${file}: unknown kind ${fx.kind}`);
  const cases = [];
  for (const c of fx.cases) {
    try {
      await sides.check(c);
      cases.push({ name: c.name, ok: true, error: '' });
    } catch (e) {
      cases.push({ name: c.name, ok: false, error: String(e?.message ?? e) });
    }
  }
  const fns = [sides.peer, sides.floor];
  for (let i = 0; i < o.warmup; i++) {
    await fns[0]();
    fns[1]();
  }
  const cpu = [0, 0];
  for (let i = 0; i < o.iterations; i++) {
    for (let k = 0; k < 2; k++) {
      const s = (i + k) % 2; // which side goes first changes every iteration
      const t0 = cpuNs();
      await fns[s]();
      cpu[s] += cpuNs() - t0;
    }
  }
  const per = (s) => (o.iterations > 0 ? cpu[s] / o.iterations : 0);
  return { file, kind: fx.kind, n: fx.n, cases, iterations: o.iterations, warmup: o.warmup, peerCpuNs: per(0), floorCpuNs: per(1) };
}

const o = args(process.argv.slice(2));
const results = [];
for (const f of o.files) results.push(await run(f, o));
process.stdout.write(JSON.stringify({ clock: 'process.cpuUsage() user+system', node: process.version, results }));
