package issuer

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Issue 19: each credential is issued as a batch of one-time copies, each
// with its own device key, salts, decoys, status index and signature, and
// coarse times, so that two presentations of different copies cannot be
// linked by their bytes.

// devices makes n device keys.
func devices(t testing.TB, n int) []crypto.Signer {
	out := make([]crypto.Signer, n)
	for i := range out {
		out[i] = newDevice(t)
	}
	return out
}

// copyParts are what one copy carries that could link it to another:
// its salts, digests (decoys included), status index, device key and
// signature, and its time claims as raw bytes.
type copyParts struct {
	salts, digests []string
	status         statuslist.Reference
	key, signature string
	times          map[string]string // claim name → raw encoding
}

// sdjwtParts reads the parts of an issued SD-JWT VC.
func sdjwtParts(t *testing.T, tok string) copyParts {
	t.Helper()
	segs := strings.Split(tok, "~")
	jws := strings.Split(segs[0], ".")
	if len(jws) != 3 {
		t.Fatal("not a JWS")
	}
	pl, err := base64.RawURLEncoding.DecodeString(jws[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(pl, &claims); err != nil {
		t.Fatal(err)
	}
	p := copyParts{signature: jws[2], key: string(claims["cnf"]), times: map[string]string{}}
	for _, c := range []string{"iat", "nbf", "exp"} {
		if v, ok := claims[c]; ok {
			p.times[c] = string(v)
		}
	}
	var st struct {
		StatusList struct {
			Idx uint64 `json:"idx"`
			URI string `json:"uri"`
		} `json:"status_list"`
	}
	if err := json.Unmarshal(claims["status"], &st); err != nil {
		t.Fatal(err)
	}
	p.status = statuslist.Reference{Index: st.StatusList.Idx, URI: st.StatusList.URI}
	// Every digest: the _sd arrays of the payload and of the disclosed
	// objects (decoys included), and the "..." of array elements.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch k {
				case "_sd":
					for _, d := range x.([]any) {
						p.digests = append(p.digests, d.(string))
					}
				case "...":
					p.digests = append(p.digests, x.(string))
				default:
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var all any
	json.Unmarshal(pl, &all)
	walk(all)
	for _, d := range segs[1:] {
		if d == "" {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(d)
		if err != nil {
			t.Fatal(err)
		}
		var arr []any
		if err := json.Unmarshal(raw, &arr); err != nil {
			t.Fatal(err)
		}
		p.salts = append(p.salts, arr[0].(string))
		walk(arr[len(arr)-1])
	}
	return p
}

// mdocParts reads the parts of an issued mdoc (IssuerSigned).
func mdocParts(t *testing.T, data []byte) (copyParts, map[string]uint64) {
	t.Helper()
	var is struct {
		NameSpaces map[string][]cbor.Tag `cbor:"nameSpaces"`
		IssuerAuth []cbor.RawMessage     `cbor:"issuerAuth"`
	}
	if err := cbor.Unmarshal(data, &is); err != nil || len(is.IssuerAuth) != 4 {
		t.Fatalf("IssuerSigned: %v", err)
	}
	p := copyParts{times: map[string]string{}}
	ids := map[string]uint64{}
	for ns, items := range is.NameSpaces {
		for _, tag := range items {
			var it struct {
				DigestID uint64 `cbor:"digestID"`
				Random   []byte `cbor:"random"`
				Name     string `cbor:"elementIdentifier"`
			}
			if err := cbor.Unmarshal(tag.Content.([]byte), &it); err != nil {
				t.Fatal(err)
			}
			p.salts = append(p.salts, string(it.Random))
			ids[ns+"/"+it.Name] = it.DigestID
		}
	}
	var payload, sig []byte
	if err := cbor.Unmarshal(is.IssuerAuth[2], &payload); err != nil {
		t.Fatal(err)
	}
	if err := cbor.Unmarshal(is.IssuerAuth[3], &sig); err != nil {
		t.Fatal(err)
	}
	p.signature = string(sig)
	var msoTag cbor.Tag
	if err := cbor.Unmarshal(payload, &msoTag); err != nil || msoTag.Number != 24 {
		t.Fatalf("MSO: %v", err)
	}
	var mso struct {
		ValueDigests  map[string]map[uint64][]byte `cbor:"valueDigests"`
		DeviceKeyInfo struct {
			DeviceKey cbor.RawMessage `cbor:"deviceKey"`
		} `cbor:"deviceKeyInfo"`
		ValidityInfo map[string]cbor.RawMessage `cbor:"validityInfo"`
		Status       struct {
			StatusList struct {
				Idx uint64 `cbor:"idx"`
				URI string `cbor:"uri"`
			} `cbor:"status_list"`
		} `cbor:"status"`
	}
	if err := cbor.Unmarshal(msoTag.Content.([]byte), &mso); err != nil {
		t.Fatal(err)
	}
	for _, ds := range mso.ValueDigests {
		for _, d := range ds {
			p.digests = append(p.digests, string(d))
		}
	}
	p.key = string(mso.DeviceKeyInfo.DeviceKey)
	for k, v := range mso.ValidityInfo {
		p.times[k] = string(v)
	}
	p.status = statuslist.Reference{Index: mso.Status.StatusList.Idx, URI: mso.Status.StatusList.URI}
	return p, ids
}

// parts reads a copy of configuration config.
func (he *hEnv) parts(t *testing.T, config string, e oid4vci.CredentialEntry) copyParts {
	t.Helper()
	p, _ := he.partsAndIDs(t, config, e)
	return p
}

// partsAndIDs reads a copy of configuration config and, for an mdoc, the
// digest ID of each element.
func (he *hEnv) partsAndIDs(t *testing.T, config string, e oid4vci.CredentialEntry) (copyParts, map[string]uint64) {
	t.Helper()
	c := he.iss.configs[config]
	cr := &oid4vci.CredentialResponse{Credentials: []oid4vci.CredentialEntry{e}}
	issued, err := cr.Issued(c.format)
	if err != nil {
		t.Fatal(err)
	}
	if c.format == credential.FormatMdoc {
		return mdocParts(t, issued[0].Data)
	}
	return sdjwtParts(t, string(issued[0].Data)), nil
}

// TestCopiesPerType: a credential request gets at most its type's
// copies (Config.Copies, TypeInfo.Copies by default; an mdoc
// configuration uses its type's vct), and batch_size is the largest.
func TestCopiesPerType(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		he := newHandlerEnv(t, HandlerConfig{})
		for vct, want := range map[string]int{credential.VCTKTPEL: 10, credential.VCTQR: 10, credential.VCTKK: 5, credential.VCTNPWP: 0} {
			if got := he.iss.Copies(vct); got != want {
				t.Errorf("Copies(%s) = %d, want %d", vct, got, want)
			}
		}
		md, _ := oid4vci.ParseCredentialIssuerMetadata(he.h.CredentialIssuerMetadata(), testIssuer)
		if md.BatchCredentialIssuance == nil || md.BatchCredentialIssuance.BatchSize != 10 {
			t.Fatalf("batch_credential_issuance %+v", md.BatchCredentialIssuance)
		}
		s := he.redeem(nil)
		ds := devices(t, 10)
		for i, c := range he.issue(s, "ktpel_mso_mdoc", ds...).Credentials {
			he.verifyIssued(he.iss.configs["ktpel_mso_mdoc"], c, ds[i])
		}
	})
	t.Run("configured", func(t *testing.T) {
		he := newHandlerEnv(t, HandlerConfig{}, func(c *Config) {
			c.Copies = map[string]int{credential.VCTKTPEL: 3, credential.VCTQR: 2}
		})
		// KK keeps its default, 5: the largest.
		md, _ := oid4vci.ParseCredentialIssuerMetadata(he.h.CredentialIssuerMetadata(), testIssuer)
		if md.BatchCredentialIssuance.BatchSize != 5 {
			t.Fatalf("batch_size %d", md.BatchCredentialIssuance.BatchSize)
		}
		s := he.redeem(nil)
		for config, n := range map[string]int{"ktpel_dc_sd_jwt": 3, "ktpel_mso_mdoc": 3, "ktpel_qr_dc_sd_jwt": 2, "ktpel_qr_mso_mdoc": 2} {
			pe := wantError(t, he.request(s, config, devices(t, n+1)...), http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest)
			if want := fmt.Sprintf("at most %d copies of %s", n, config); !strings.Contains(pe.Description, want) {
				t.Fatalf("%s: description %q does not say %q", config, pe.Description, want)
			}
			if he.lastOutcome("credential") != ErrInvalidInput.Error() {
				t.Fatalf("%s: audit %q", config, he.lastOutcome("credential"))
			}
			he.issue(s, config, devices(t, n)...)
		}
	})
	t.Run("batch_size below the copies", func(t *testing.T) {
		he := newHandlerEnv(t, HandlerConfig{BatchSize: 4})
		s := he.redeem(nil)
		wantError(t, he.request(s, "ktpel_dc_sd_jwt", devices(t, 5)...), http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest)
		he.issue(s, "ktpel_dc_sd_jwt", devices(t, 4)...)
	})
}

// activateCopies redeems a new offer for testNIK and asks for every
// configuration of the KTP-el (both formats, full and QR profile) with
// its full number of copies, each copy under its own device key. It
// returns the responses by configuration and their keys.
func (he *hEnv) activateCopies(t *testing.T, dpop crypto.Signer) (*session, map[string]*oid4vci.CredentialResponse, map[string][]crypto.Signer) {
	t.Helper()
	s := he.redeem(dpop)
	resps := map[string]*oid4vci.CredentialResponse{}
	keys := map[string][]crypto.Signer{}
	for _, id := range s.offer.Offer.CredentialConfigurationIDs {
		ds := devices(t, he.iss.Copies(he.iss.configs[id].vct()))
		keys[id] = ds
		resps[id] = he.issue(s, id, ds...)
	}
	return s, resps, keys
}

// publishedStatus reads the status of ref in the status list token the
// handler serves.
func (he *hEnv) publishedStatus(t *testing.T, ref statuslist.Reference) statuslist.Status {
	t.Helper()
	if !strings.HasPrefix(ref.URI, testIssuer+"/status/") {
		t.Fatalf("status uri %q", ref.URI)
	}
	resp := he.do(httptest.NewRequest(http.MethodGet, ref.URI, nil))
	b := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status list: %d %s", resp.StatusCode, b)
	}
	vt, err := (&statuslist.Verifier{Key: he.key.Public(), Now: he.clock.Now}).VerifyJWT(b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := vt.Status(ref.Index)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestOneActivationBindsTheBatch: every copy of every configuration
// belongs to the binding of the activation that issued it, so a lost
// phone or a new phone revokes all of them, KTP-el 10 copies × both
// formats × full and QR profile: 40 status entries.
func TestOneActivationBindsTheBatch(t *testing.T) {
	for _, how := range []string{"lost phone", "new phone"} {
		t.Run(how, func(t *testing.T) {
			he := newHandlerEnv(t, HandlerConfig{})
			_, resps, keys := he.activateCopies(t, nil)
			var refs []statuslist.Reference
			for id, cr := range resps {
				for i, c := range cr.Credentials {
					he.verifyIssued(he.iss.configs[id], c, keys[id][i])
					p := he.parts(t, id, c)
					if st := he.publishedStatus(t, p.status); st != statuslist.Valid {
						t.Fatalf("fresh copy has status %v", st)
					}
					refs = append(refs, p.status)
				}
			}
			if len(refs) != 40 {
				t.Fatalf("%d copies", len(refs))
			}
			var bindingKeys, bindings int
			he.store.db.QueryRow(`SELECT COUNT(*) FROM binding_keys`).Scan(&bindingKeys)
			he.store.db.QueryRow(`SELECT COUNT(*) FROM bindings`).Scan(&bindings)
			if bindingKeys != 40 || bindings != 1 {
				t.Fatalf("%d bindings, %d binding keys", bindings, bindingKeys)
			}
			switch how {
			case "lost phone":
				n, err := he.iss.ReportLost(he.ctx, "operator:kec-tebet-01", testNIK)
				if err != nil || n != 40 {
					t.Fatalf("ReportLost revoked %d: %v", n, err)
				}
			case "new phone":
				he.clock.Advance(time.Hour)
				a := he.activate(newDevice(t))
				if a.Revoked != 40 {
					t.Fatalf("the new phone revoked %d", a.Revoked)
				}
			}
			for _, ref := range refs {
				if st := he.publishedStatus(t, ref); st != statuslist.Invalid {
					t.Fatalf("copy at %d has status %v after %s", ref.Index, st, how)
				}
			}
		})
	}
}

// TestCopiesShareNothing: two copies of a batch share no salt, digest
// (decoys included), status index, device key or signature, in either
// format; mdoc digest IDs differ too. Only their times are the same.
func TestCopiesShareNothing(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	_, resps, _ := he.activateCopies(t, nil)
	for id, cr := range resps {
		seen := map[string]int{}
		mark := func(i int, kind, v string) {
			if j, ok := seen[kind+"\x00"+v]; ok && j != i {
				t.Fatalf("%s: copies %d and %d share a %s", id, j, i, kind)
			}
			seen[kind+"\x00"+v] = i
		}
		var first copyParts
		for i, c := range cr.Credentials {
			p, ids := he.partsAndIDs(t, id, c)
			if len(p.salts) < 3 || len(p.digests) < len(p.salts) {
				t.Fatalf("%s: %d salts, %d digests", id, len(p.salts), len(p.digests))
			}
			for _, v := range p.salts {
				mark(i, "salt", v)
			}
			for _, v := range p.digests {
				mark(i, "digest", v)
			}
			mark(i, "status index", fmt.Sprint(p.status))
			mark(i, "device key", p.key)
			mark(i, "signature", p.signature)
			if i == 0 {
				first = p
			} else if fmt.Sprint(p.times) != fmt.Sprint(first.times) {
				t.Fatalf("%s: copy %d times %v, copy 0 %v", id, i, p.times, first.times)
			}
			for el, d := range ids {
				mark(i, "digest ID of "+el, fmt.Sprint(d))
			}
		}
		// The full SD-JWT VC has decoys: more digests than disclosures.
		if id == "ktpel_dc_sd_jwt" {
			p := he.parts(t, id, cr.Credentials[0])
			if len(p.digests) < len(p.salts)+DefaultDecoys {
				t.Fatalf("%d digests for %d disclosures: no decoys", len(p.digests), len(p.salts))
			}
		}
	}
}

// TestCoarseTimes: the time claims are the start of the UTC day, byte
// for byte the same in two copies of a batch and in copies issued at
// 09:00 and at 17:00 of one day; the credentials verify at once.
func TestCoarseTimes(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	he.clock.Advance(day.Add(9 * time.Hour).Sub(he.clock.Now()))
	_, morning, mkeys := he.activateCopies(t, nil)
	he.clock.Advance(8 * time.Hour)
	_, evening, ekeys := he.activateCopies(t, nil)
	for id := range morning {
		c := he.iss.configs[id]
		he.verifyIssued(c, evening[id].Credentials[3], ekeys[id][3])
		want := he.parts(t, id, morning[id].Credentials[0]).times
		for _, cr := range []*oid4vci.CredentialResponse{morning[id], evening[id]} {
			for _, e := range cr.Credentials {
				if got := he.parts(t, id, e).times; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s: times %q, want %q", id, got, want)
				}
			}
		}
		if c.format == credential.FormatSDJWT {
			if want["iat"] != fmt.Sprint(day.Unix()) || want["nbf"] != "" {
				t.Fatalf("%s: iat %s nbf %s, want %d", id, want["iat"], want["nbf"], day.Unix())
			}
			var exp int64
			json.Unmarshal([]byte(want["exp"]), &exp)
			if exp%86400 != 0 {
				t.Fatalf("%s: exp %d not at the start of a day", id, exp)
			}
		} else {
			var from, signed time.Time
			if err := cbor.Unmarshal([]byte(want["validFrom"]), &from); err != nil || !from.Equal(day) {
				t.Fatalf("%s: validFrom %v, %v", id, from, err)
			}
			if want["signed"] != want["validFrom"] {
				t.Fatalf("%s: signed %x, validFrom %x", id, want["signed"], want["validFrom"])
			}
			cbor.Unmarshal([]byte(want["signed"]), &signed)
			var until time.Time
			cbor.Unmarshal([]byte(want["validUntil"]), &until)
			if until.Unix()%86400 != 0 {
				t.Fatalf("%s: validUntil %v", id, until)
			}
		}
		he.verifyIssued(c, morning[id].Credentials[0], mkeys[id][0])
	}
	var issued []time.Time
	rows, err := he.store.db.Query(`SELECT issued_at FROM credentials`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int64
		rows.Scan(&n)
		issued = append(issued, fromTS(n))
	}
	rows.Close()
	for _, at := range issued {
		if !at.Equal(day) {
			t.Fatalf("record issued_at %v", at)
		}
	}
}

// TestCoarse: flooring to the granularity, and an expiry that flooring
// would leave with under an hour of validity.
func TestCoarse(t *testing.T) {
	at := time.Date(2026, 3, 1, 17, 42, 7, 500, time.UTC)
	for _, tc := range []struct {
		g         time.Duration
		exp, want time.Time
	}{
		{24 * time.Hour, at.AddDate(1, 0, 0), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{6 * time.Hour, at.AddDate(0, 0, 30), time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)},
		{time.Hour, at.Add(70 * time.Minute), at.Add(70 * time.Minute).Truncate(time.Second)},
		{7 * 24 * time.Hour, at.AddDate(0, 0, 30), time.Date(2026, 3, 26, 0, 0, 0, 0, time.UTC)}, // Thursdays, as 1970-01-01
		// A birthday at 00:00 WIB (17:00 UTC) tomorrow floors to 00:00
		// UTC tomorrow, more than an hour away: floored.
		{24 * time.Hour, time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		// The same birthday today, in 18 minutes: kept exact.
		{24 * time.Hour, time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)},
	} {
		t.Run(fmt.Sprint(tc.g, tc.exp), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.TimeGranularity = tc.g })
			if got := e.iss.coarseExpiry(tc.exp, at); !got.Equal(tc.want) {
				t.Fatalf("expiry %v, want %v", got, tc.want)
			}
			c := e.iss.coarse(at)
			if c.After(at) || at.Sub(c) >= tc.g || c.Unix()%int64(tc.g/time.Second) != 0 {
				t.Fatalf("coarse(%v) = %v", at, c)
			}
		})
	}
}
