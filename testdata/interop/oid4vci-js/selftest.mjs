// selftest.mjs: runs wallet.mjs against issuer.mjs in every mode and checks
// the outcomes, so this harness is known to work before ikdkit's Go peers
// use it. `npm run selftest` (or `node selftest.mjs`); exit 0 = all passed.
//
// It also verifies what the issuer issued with the libraries themselves:
// the SD-JWT VC with sd-jwt-js against issuer_jwk, the mdoc with
// @auth0/mdl's Verifier against iaca_pem (after presenting it with the
// wallet's key).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { es256Verify, strictB64u } from './lib.mjs';

const require = createRequire(import.meta.url);
const { DeviceResponse, Verifier, parse } = require('@auth0/mdl');
const { cborDecode, cborEncode } = require('@auth0/mdl/lib/cbor');

const here = dirname(fileURLToPath(import.meta.url));
const children = new Set();
let failures = 0;
let checks = 0;

function check(cond, what, detail) {
  checks++;
  if (cond) return;
  failures++;
  process.stdout.write(`FAIL ${what}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}\n`);
}

// startIssuer spawns issuer.mjs and resolves with its first stdout line,
// parsed: no sleeps, the line is the readiness signal.
function startIssuer(args = []) {
  const child = spawn(process.execPath, ['issuer.mjs', '--port', '0', ...args], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`issuer.mjs printed nothing in 30 s\n${stderr}`)), 30_000);
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      clearTimeout(timer);
      rl.close();
      resolve({ child, info: JSON.parse(line), stderr: () => stderr });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`issuer.mjs exited ${code} before it was ready\n${stderr}`));
    });
  });
}

function stopIssuer({ child }) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code, signal) => resolve(code ?? signal));
    child.kill('SIGTERM');
  });
}

// wallet runs wallet.mjs and returns {code, out (parsed stdout), stderr}.
function wallet(args) {
  const child = spawn(process.execPath, ['wallet.mjs', ...args], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      children.delete(child);
      let out;
      try {
        out = stdout ? JSON.parse(stdout) : undefined;
      } catch {
        out = undefined;
      }
      resolve({ code, out, stdout, stderr });
    });
  });
}

async function newOffer(issuer, body) {
  const r = await fetch(`${issuer.info.issuer}/test/offer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : '',
  });
  if (!r.ok) throw new Error(`POST /test/offer: ${r.status} ${await r.text()}`);
  return r.json();
}

const SD = 'ktpel_dc_sd_jwt';
const MDOC = 'ktpel_mso_mdoc';

function walletOK(name, r) {
  check(r.code === 0, `${name}: wallet exit code`, { code: r.code, stderr: r.stderr });
  check(r.out !== undefined, `${name}: wallet printed one JSON object`, r.stdout.slice(0, 500));
  return r.out ?? { credentials: [], errors: [], notifications: [] };
}

// expectGood checks a good run: every configuration issued once per key,
// bound to the right key, no errors, every credential acknowledged.
function expectGood(name, out, { batch = 1, configs = [SD, MDOC], tokenType = 'DPoP' } = {}) {
  check(out.errors.length === 0, `${name}: no errors`, out.errors);
  check(out.draft_version === 'V1', `${name}: library sees OpenID4VCI 1.0 metadata`, out.draft_version);
  check(out.token_type === tokenType, `${name}: token_type ${tokenType}`, out.token_type);
  check(out.credentials.length === configs.length * batch, `${name}: ${configs.length * batch} credentials`, out.credentials.length);
  for (const c of configs) {
    const got = out.credentials.filter((x) => x.configuration === c);
    check(got.length === batch, `${name}: ${batch} credential(s) of ${c}`, got.length);
    const idx = got.map((x) => x.key_index).sort();
    check(JSON.stringify(idx) === JSON.stringify([...Array(batch).keys()]), `${name}: ${c} bound to each proof key once`, idx);
    for (const x of got) {
      check(!x.decode_error && !x.count_mismatch, `${name}: ${c} decodes`, x.decode_error ?? x.count_mismatch);
      if (x.format === 'dc+sd-jwt') {
        const cl = x.decoded?.claims ?? {};
        check(cl.vct === 'urn:id:kemendagri:dukcapil:ktp-el:1', `${name}: vct`, cl.vct);
        check(cl.iss === out.issuer, `${name}: iss is the credential issuer`, cl.iss);
        check(cl.personal_administrative_number === '3174015708950021' && cl.birthdate === '1995-08-17', `${name}: SD-JWT claims`, cl);
        check(x.decoded?.header?.typ === 'dc+sd-jwt' && x.decoded?.header?.alg === 'ES256', `${name}: SD-JWT header`, x.decoded?.header);
      } else {
        const el = x.decoded?.elements?.['id.go.kemendagri.dukcapil.ktpel.1'] ?? {};
        check(x.decoded?.doctype === 'id.go.kemendagri.dukcapil.ktpel.1', `${name}: doctype`, x.decoded?.doctype);
        check(el.personal_administrative_number === '3174015708950021' && el.birth_date === '1995-08-17', `${name}: mdoc elements`, el);
      }
    }
  }
  check(out.notifications.length === configs.length && out.notifications.every((n) => n.status === 204), `${name}: notifications acknowledged`, out.notifications);
}

function expectErrors(name, out, want) {
  // want: [{step, configuration?, case?, status, error: [codes]}] in order
  check(out.errors.length === want.length, `${name}: ${want.length} error(s)`, out.errors);
  for (const [i, w] of want.entries()) {
    const e = out.errors[i] ?? {};
    for (const k of ['step', 'configuration', 'case', 'status']) {
      if (w[k] !== undefined) check(e[k] === w[k], `${name}: errors[${i}].${k} = ${w[k]}`, e);
    }
    check(w.error.includes(e.error), `${name}: errors[${i}].error in ${w.error.join('|')}`, e);
  }
}

// verifyWithLibraries checks the issued credentials with sd-jwt-js and
// @auth0/mdl, the wallet's private keys revealed.
async function verifyWithLibraries(name, info, out) {
  const issuerJwk = info.issuer_jwk;
  const sd = new SDJwtVcInstance({
    hasher: (data, alg) => new Uint8Array(createHash('sha256').update(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)).digest()),
    verifier: (data, sig) => es256Verify(issuerJwk, data, sig),
    loadTypeMetadataFormat: false,
  });
  for (const c of out.credentials) {
    const key = out.holder_jwks[c.key_index];
    if (c.format === 'dc+sd-jwt') {
      try {
        const v = await sd.verify(c.credential);
        check(v.payload?.personal_administrative_number === '3174015708950021', `${name}: sd-jwt-js verifies the SD-JWT VC`, v.payload);
      } catch (e) {
        check(false, `${name}: sd-jwt-js verifies the SD-JWT VC`, String(e?.message ?? e));
      }
      continue;
    }
    try {
      const issuerSigned = cborDecode(strictB64u(c.credential));
      const doc = new Map([
        ['docType', 'id.go.kemendagri.dukcapil.ktpel.1'],
        ['issuerSigned', issuerSigned],
      ]);
      const mdoc = parse(cborEncode({ version: '1.0', documents: [doc], status: 0 }));
      const ns = 'id.go.kemendagri.dukcapil.ktpel.1';
      const pd = {
        id: 'selftest',
        input_descriptors: [
          {
            id: ns,
            format: { mso_mdoc: { alg: ['ES256'] } },
            constraints: {
              limit_disclosure: 'required',
              fields: ['personal_administrative_number', 'name', 'birth_date'].map((n) => ({ path: [`$['${ns}']['${n}']`], intent_to_retain: false })),
            },
          },
        ],
      };
      const transcript = cborEncode(['selftest', randomBytes(16).toString('hex')]);
      const resp = await DeviceResponse.from(mdoc)
        .usingPresentationDefinition(pd)
        .usingSessionTranscriptBytes(transcript)
        .authenticateWithSignature(key, 'ES256')
        .sign();
      const verified = await new Verifier([info.iaca_pem]).verify(resp.encode(), { encodedSessionTranscript: transcript });
      const values = verified.documents[0].getIssuerNameSpace(ns);
      check(values.personal_administrative_number === '3174015708950021', `${name}: @auth0/mdl verifies the mdoc`, values);
    } catch (e) {
      check(false, `${name}: @auth0/mdl verifies the mdoc`, String(e?.stack ?? e));
    }
  }
}

async function main() {
  const iss = await startIssuer();
  const info = iss.info;
  for (const k of ['issuer', 'offer', 'offer_by_value', 'tx_code', 'issuer_jwk', 'iaca_pem']) {
    check(info[k], `issuer line has ${k}`, info);
  }
  check(/^openid-credential-offer:\/\/\?credential_offer_uri=/.test(info.offer), 'offer is by reference', info.offer);
  check(/^\d{6}$/.test(info.tx_code), 'tx_code has 6 digits', info.tx_code);

  // 1. good, offer by reference, keys revealed for the library checks.
  let out = walletOK('good', await wallet(['--offer', info.offer, '--tx-code', info.tx_code, '--reveal-keys']));
  expectGood('good', out);
  check(out.offer_by_reference === true, 'good: offer resolved by reference');
  await verifyWithLibraries('good', info, out);
  const logged = await (await fetch(`${info.issuer}/test/log`)).json();
  check(logged.notifications.filter((n) => n.event === 'credential_accepted').length === 2, 'issuer logged both notifications', logged);

  // 2. the same pre-authorized code again: single use.
  out = walletOK('reused code', await wallet(['--offer', info.offer, '--tx-code', info.tx_code]));
  expectErrors('reused code', out, [{ step: 'token', status: 400, error: ['invalid_grant'] }]);

  // 3. good, offer by value, two proofs per request (batch).
  let o = await newOffer(iss);
  out = walletOK('batch', await wallet(['--offer', o.offer_by_value, '--tx-code', o.tx_code, '--batch', '2']));
  expectGood('batch', out, { batch: 2 });
  check(out.offer_by_reference === false, 'batch: offer by value');

  // 4. wrong tx_code, then the right one still works (attempts are limited, not single).
  o = await newOffer(iss);
  out = walletOK('wrong-tx-code', await wallet(['--offer', o.offer, '--tx-code', o.tx_code, '--mode', 'wrong-tx-code']));
  expectErrors('wrong-tx-code', out, [{ step: 'token', status: 400, error: ['invalid_grant'] }]);
  check(out.credentials.length === 0, 'wrong-tx-code: no credentials');
  out = walletOK('right tx-code after a wrong one', await wallet(['--offer', o.offer, '--tx-code', o.tx_code]));
  expectGood('right tx-code after a wrong one', out);

  // 4b. five wrong tx_codes kill the pre-authorized code.
  o = await newOffer(iss);
  const preAuth = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
  const preAuthCode = JSON.parse(new URL(o.offer_by_value).searchParams.get('credential_offer')).grants[preAuth]['pre-authorized_code'];
  const wrong = o.tx_code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${info.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: preAuth, 'pre-authorized_code': preAuthCode, tx_code: wrong }),
    });
    const body = await r.json();
    check(r.status === 400 && body.error === 'invalid_grant', `wrong tx_code ${i + 1}: invalid_grant`, { status: r.status, body });
  }
  out = walletOK('right tx-code after five wrong', await wallet(['--offer', o.offer, '--tx-code', o.tx_code]));
  expectErrors('right tx-code after five wrong', out, [{ step: 'token', status: 400, error: ['invalid_grant'] }]);

  // 5. replayed nonce: first use works, both replays are refused.
  o = await newOffer(iss);
  out = walletOK('replayed-nonce', await wallet(['--offer', o.offer, '--tx-code', o.tx_code, '--mode', 'replayed-nonce']));
  check(out.credentials.length === 2, 'replayed-nonce: the first use of each nonce issued', out.credentials.length);
  const replay = ['invalid_nonce', 'invalid_proof'];
  expectErrors('replayed-nonce', out, [
    { step: 'credential', configuration: SD, case: 'same-proofs-again', status: 400, error: replay },
    { step: 'credential', configuration: SD, case: 'same-nonce-new-proofs', status: 400, error: replay },
    { step: 'credential', configuration: MDOC, case: 'same-proofs-again', status: 400, error: replay },
    { step: 'credential', configuration: MDOC, case: 'same-nonce-new-proofs', status: 400, error: replay },
  ]);

  // 6. proofs for another audience.
  o = await newOffer(iss);
  out = walletOK('wrong-audience', await wallet(['--offer', o.offer, '--tx-code', o.tx_code, '--mode', 'wrong-audience']));
  check(out.credentials.length === 0, 'wrong-audience: no credentials', out.credentials.length);
  expectErrors('wrong-audience', out, [
    { step: 'credential', configuration: SD, case: 'other-audience', status: 400, error: ['invalid_proof'] },
    { step: 'credential', configuration: MDOC, case: 'other-audience', status: 400, error: ['invalid_proof'] },
  ]);

  // 7. an offer without tx_code, for the SD-JWT VC only.
  o = await newOffer(iss, { tx_code: false, credential_configuration_ids: [SD] });
  check(o.tx_code === null, 'offer without tx_code', o);
  out = walletOK('no tx_code', await wallet(['--offer', o.offer]));
  expectGood('no tx_code', out, { configs: [SD] });

  // 8. bad arguments and an unreachable issuer are harness failures.
  let r = await wallet(['--offer', info.offer, '--mode', 'nonsense']);
  check(r.code === 2 && r.stdout === '', 'bad --mode: exit 2, nothing on stdout', r);
  r = await wallet(['--offer', 'openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A1%2Foffers%2Fx']);
  check(r.code === 1 && r.stdout === '', 'unreachable issuer: exit 1, nothing on stdout', { code: r.code, stdout: r.stdout });

  const code = await stopIssuer(iss);
  check(code === 0, 'issuer exits 0 on SIGTERM', code);

  // 9. an issuer without DPoP: Bearer tokens.
  const plain = await startIssuer(['--dpop', 'off']);
  out = walletOK('bearer', await wallet(['--offer', plain.info.offer, '--tx-code', plain.info.tx_code]));
  expectGood('bearer', out, { tokenType: 'Bearer' });
  check(out.dpop === false, 'bearer: no DPoP used', out.dpop);
  await stopIssuer(plain);

  // 10. an issuer requiring DPoP.
  const strict = await startIssuer(['--dpop', 'required']);
  out = walletOK('dpop required', await wallet(['--offer', strict.info.offer, '--tx-code', strict.info.tx_code]));
  expectGood('dpop required', out);
  await stopIssuer(strict);

  process.stdout.write(`${failures === 0 ? 'ok' : 'FAILED'}: ${checks - failures}/${checks} checks passed\n`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stdout.write(`FAILED: ${e?.stack ?? e}\n`);
    for (const c of children) c.kill('SIGTERM');
    process.exit(1);
  },
);
