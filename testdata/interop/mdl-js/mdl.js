// Test tooling for credential/mdoc/interop_test.go: runs @auth0/mdl on a list
// of commands read as JSON from stdin and writes a JSON list of results.
//   {op: "issue", docType, nameSpace, values, dsKey (JWK), dsCertPem, deviceKey (JWK),
//    signed, validFrom, validUntil, disclose: [names], transcriptHex (SessionTranscriptBytes)}
//     -> {deviceResponseHex}
//   {op: "verify", rootPem, deviceResponseHex, transcriptHex} -> {ok, error, docType, values}
'use strict';
const { Document, MDoc, DeviceResponse, Verifier, parse } = require('@auth0/mdl');

async function issue(c) {
  const doc = await new Document(c.docType)
    .addIssuerNameSpace(c.nameSpace, c.values)
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo({ signed: new Date(c.signed), validFrom: new Date(c.validFrom), validUntil: new Date(c.validUntil) })
    .addDeviceKeyInfo({ deviceKey: publicJWK(c.deviceKey) })
    .sign({ issuerPrivateKey: c.dsKey, issuerCertificate: c.dsCertPem, alg: 'ES256' });
  const issued = new MDoc([doc]).encode();
  const pd = {
    id: 'ikdkit-interop',
    input_descriptors: [{
      id: c.docType,
      format: { mso_mdoc: { alg: ['ES256'] } },
      constraints: {
        limit_disclosure: 'required',
        fields: c.disclose.map((n) => ({ path: [`$['${c.nameSpace}']['${n}']`], intent_to_retain: false })),
      },
    }],
  };
  const resp = await DeviceResponse.from(issued)
    .usingPresentationDefinition(pd)
    .usingSessionTranscriptBytes(Buffer.from(c.transcriptHex, 'hex'))
    .authenticateWithSignature(c.deviceKey, 'ES256')
    .sign();
  return { deviceResponseHex: Buffer.from(resp.encode()).toString('hex') };
}

async function verify(c) {
  try {
    const mdoc = await new Verifier([c.rootPem]).verify(Buffer.from(c.deviceResponseHex, 'hex'), {
      encodedSessionTranscript: Buffer.from(c.transcriptHex, 'hex'),
    });
    const doc = mdoc.documents[0];
    const values = {};
    for (const ns of Object.keys(doc.issuerSigned.nameSpaces)) {
      values[ns] = doc.getIssuerNameSpace(ns);
    }
    return { ok: true, docType: doc.docType, values };
  } catch (e) {
    return { ok: false, error: String(e && e.message || e) };
  }
}

function publicJWK(k) {
  const { d, ...pub } = k;
  return pub;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const out = [];
  for (const c of JSON.parse(input)) {
    if (c.op === 'issue') out.push(await issue(c));
    else if (c.op === 'verify') out.push(await verify(c));
    else throw new Error(`unknown op ${c.op}`);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
