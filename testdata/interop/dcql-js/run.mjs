// run.mjs: runs the dcql package over ikdkit's DCQL matching corpus and
// prints what it reports, for oid4vp/dcql_interop_test.go to compare with
// oid4vp.Query.Match and Query.CheckPresented.
//
// Usage: node run.mjs <corpus dir>
//
// For every <corpus dir>/*.json, in name order, it prints one element of a
// JSON array:
//
//   {
//     "file": "<name>.json",
//     "error": "<message>",              // the query was refused or threw
//     "satisfiable": <bool>,             // DcqlQuery.query: can_be_satisfied
//     "matches": {                       // per Credential Query id
//       "<id>": [{"credential": <input index>, "claim_set": <index or null>}]
//     },                                 // claim_set: the first valid claim set
//     "presentation": {                  // only when the case has "presentation"
//       "ok": <bool>,                    // DcqlPresentationResult: can_be_satisfied
//       "error": "<message>"             // it threw
//     }
//   }
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DcqlPresentationResult, DcqlQuery } from 'dcql'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node run.mjs <corpus dir>')
  process.exit(2)
}

const out = []
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const c = JSON.parse(readFileSync(join(dir, file), 'utf8'))
  const r = { file }
  let query
  try {
    query = DcqlQuery.parse(c.query)
    DcqlQuery.validate(query)
    const res = DcqlQuery.query(query, c.credentials)
    r.satisfiable = res.can_be_satisfied
    r.matches = {}
    for (const [id, m] of Object.entries(res.credential_matches)) {
      r.matches[id] = (m.valid_credentials ?? []).map((v) => ({
        credential: v.input_credential_index,
        claim_set: v.claims.valid_claim_sets[0].claim_set_index ?? null,
      }))
    }
  } catch (e) {
    r.error = String(e?.message ?? e)
  }
  if (c.presentation && query) {
    try {
      const pr = DcqlPresentationResult.fromDcqlPresentation(c.presentation.vp_token, { dcqlQuery: query })
      r.presentation = { ok: pr.can_be_satisfied }
    } catch (e) {
      r.presentation = { ok: false, error: String(e?.message ?? e) }
    }
  }
  out.push(r)
}
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`)
