package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// sdFloorWork is the work RFC 9901 makes every issuer of one particular
// SD-JWT do, whatever its implementation: it is read off a token this
// package issued.
type sdFloorWork struct {
	disclosures [][]byte // the JSON of each disclosure ([salt, name, value])
	decoys      int      // digests in _sd arrays that no disclosure matches
	header      []byte   // the JSON of the protected header
	payload     []byte   // the JSON of the payload
}

// sdFloorOf reads the floor work off an issued compact SD-JWT.
func sdFloorOf(token string) sdFloorWork {
	parts := strings.Split(token, "~")
	jwt := strings.Split(parts[0], ".")
	b64 := base64.RawURLEncoding
	var w sdFloorWork
	w.header, _ = b64.DecodeString(jwt[0])
	w.payload, _ = b64.DecodeString(jwt[1])
	for _, d := range parts[1:] {
		if d == "" {
			continue
		}
		raw, err := b64.DecodeString(d)
		if err != nil {
			panic(err)
		}
		w.disclosures = append(w.disclosures, raw)
	}
	// Every digest in the payload or in a disclosure is a disclosure's or
	// a decoy's.
	digests := 0
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if sd, ok := t["_sd"].([]any); ok {
				digests += len(sd)
			}
			if _, ok := t["..."]; ok {
				digests++
			}
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	var p any
	if err := json.Unmarshal(w.payload, &p); err != nil {
		panic(err)
	}
	walk(p)
	for _, d := range w.disclosures {
		var a []any
		if err := json.Unmarshal(d, &a); err != nil {
			panic(err)
		}
		walk(a[len(a)-1])
	}
	w.decoys = digests - len(w.disclosures)
	return w
}

// sdFloor does, n times, the least work any RFC 9901 implementation does
// to issue the SD-JWT w describes, signed with key: per disclosure a
// 128-bit salt from crypto/rand (§9.3; all salts in one read, the cheapest
// way) and its base64url, the base64url of the disclosure (§4.2.1) and the
// SHA-256 of that string and its base64url (§4.2.3); per decoy (§4.2.5) a
// random value, its digest and base64url; the base64url of header and
// payload; and the ES256 signature over the signing input, SHA-256
// included. It leaves out what an implementation cannot avoid either but
// that varies between implementations (building the JSON, sorting the
// digests), so it is a lower bound.
func sdFloor(key crypto.Signer, w sdFloorWork, n int) {
	b64 := base64.RawURLEncoding
	buf := make([]byte, 0, 16<<10)
	salts := make([]byte, 16*(len(w.disclosures)+w.decoys))
	var saltB64 [22]byte
	var dig [43]byte
	for range n {
		buf = buf[:0]
		rand.Read(salts)
		next := salts
		for _, d := range w.disclosures {
			b64.Encode(saltB64[:], next[:16])
			next = next[16:]
			at := len(buf)
			buf = b64.AppendEncode(buf, d)
			sum := sha256.Sum256(buf[at:])
			b64.Encode(dig[:], sum[:])
		}
		for range w.decoys {
			b64.Encode(saltB64[:], next[:16])
			next = next[16:]
			sum := sha256.Sum256(saltB64[:])
			b64.Encode(dig[:], sum[:])
		}
		at := len(buf)
		buf = b64.AppendEncode(buf, w.header)
		buf = append(buf, '.')
		buf = b64.AppendEncode(buf, w.payload)
		sum := sha256.Sum256(buf[at:])
		if _, err := key.Sign(rand.Reader, sum[:], crypto.SHA256); err != nil {
			panic(err)
		}
	}
}

// BenchmarkStoreIssueRows measures what the SQLite store alone costs per
// issued credential: in batches of 100 in one transaction, the credential
// record and its audit event (what IssueBatch writes), with the durable
// commit (WAL, synchronous=FULL); no signing. x-ES256 is the ratio to bare
// ES256 signing measured in the same run.
func BenchmarkStoreIssueRows(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.StatusList.Size = 1 << 22 })
	a := e.activate(newDevice(b))
	const batch, floorRuns = 100, 20
	lists, err := e.iss.StatusLists(e.ctx)
	if err != nil || len(lists) == 0 {
		b.Fatal(lists, err)
	}
	recs := make([]CredentialRecord, batch)
	var es, store phase
	start := time.Now()
	for b.Loop() {
		b.StopTimer()
		e.clock.Follow(start)
		es.add(floorRuns, func() { esFloor(e.key, floorRuns) })
		if err := e.iss.reserve(e.ctx, batch); err != nil {
			b.Fatal(err)
		}
		for i := range recs {
			id, err := e.iss.newID()
			if err != nil {
				b.Fatal(err)
			}
			list, seq, idx, err := e.iss.allocate()
			if err != nil {
				b.Fatal(err)
			}
			recs[i] = CredentialRecord{ID: id, BindingID: a.Binding.ID, VCT: credential.VCTKTPEL, Format: credential.FormatSDJWT, Profile: ProfileFull,
				List: list.Number, Index: idx, Seq: seq, KeyThumbprint: a.Binding.KeyThumbprint, IssuedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour)}
		}
		b.StartTimer()
		store.add(batch, func() {
			err := e.st.Update(e.ctx, func(tx Tx) error {
				for i := range recs {
					if err := tx.InsertCredential(&recs[i]); err != nil {
						return err
					}
					if err := e.iss.audit(tx, "bench", "issue", recs[i].ID, nil, "dc+sd-jwt "+credential.VCTKTPEL+" full"); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
	b.ReportMetric(store.wall(), "ns/credential")
	b.ReportMetric(store.wall()/es.wall(), "x-ES256")
	if store.haveCPU {
		b.ReportMetric(store.cpuPer()/es.cpuPer(), "x-ES256-cpu")
	}
}

// The RFC 9901 floor is read off the token correctly: every disclosure,
// and exactly the decoys the issuer added (Decoys per _sd array).
func TestSDFloorWorkMatchesToken(t *testing.T) {
	for _, tc := range []struct{ cfg, decoys int }{{NoDecoys, 0}, {0, DefaultDecoys}, {5, 5}} {
		decoys := tc.decoys
		e := newEnv(t, func(c *Config) { c.Decoys = tc.cfg })
		a := e.activate(newDevice(t))
		cs, err := e.iss.Issue(e.ctx, "test", IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t), Formats: []credential.Format{credential.FormatSDJWT}})
		if err != nil {
			t.Fatal(err)
		}
		tok := string(cs[0].Data)
		w := sdFloorOf(tok)
		if want := strings.Count(tok, "~") - 1; len(w.disclosures) != want || want < 30 {
			t.Errorf("decoys %d: %d disclosures read, token has %d", decoys, len(w.disclosures), want)
		}
		arrays := strings.Count(string(w.payload), `"_sd":[`)
		for _, d := range w.disclosures {
			arrays += strings.Count(string(d), `"_sd":[`)
		}
		if w.decoys != decoys*arrays || arrays == 0 {
			t.Errorf("decoys %d: %d decoys read over %d _sd arrays", decoys, w.decoys, arrays)
		}
		sdFloor(e.key, w, 1)
	}
}
