package sdjwt

// Interoperability with the openwallet-foundation sd-jwt-js implementation
// (@sd-jwt/core and @sd-jwt/sd-jwt-vc 0.19.0, pinned by
// testdata/interop/sdjwt-js/package-lock.json), in both directions:
//
//   - sd-jwt-js issues an SD-JWT VC and presents it with a KB-JWT; VerifyVC
//     accepts it and sees exactly the claims sd-jwt-js reports as disclosed.
//   - IssueVC, Select and Present produce a presentation that sd-jwt-js
//     verifies, reporting the same processed claims as Verified.Claims.
//   - Tampered presentations are rejected by both, VerifyVC with the specific
//     sentinel error.
//
// sd-jwt-js 0.19.0 on its own ignores unreferenced or altered disclosures
// (the claim just disappears) and does not check the KB-JWT aud or iat, so
// the node scripts run their own RFC 9901 §7 checks next to the library's
// verdict and report which check failed (see testdata/interop/sdjwt-js).
//
// The test needs Node.js 20+ and npm: it runs `npm ci` when the pinned
// packages are not installed, and fails (never skips) when that is impossible.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/keys"
)

const interopJSDir = "../../testdata/interop/sdjwt-js"

// interopOtherHashes are the _sd_alg values tried besides the default sha-256.
var interopOtherHashes = []string{SHA384, SHA512}

// Fixed times: the credential is valid from interopIat to interopExp, the
// verifier's clock reads interopNow, and the holder signs its KB-JWT 10 s
// before that.
const (
	interopIat    = 1780000000
	interopExp    = 1880000000
	interopNow    = 1790000000
	interopKBIat  = interopNow - 10
	interopMaxAge = 5 * time.Minute
	interopAud    = "https://bank.example.co.id"
	interopNonce  = "xT0-interop-nonce"
)

// interopNode installs the pinned sd-jwt-js packages once per test binary.
var interopNode = sync.OnceValue(func() error {
	return nodeharness.Require(interopJSDir, "@sd-jwt/core", "@sd-jwt/sd-jwt-vc")
})

// interopRequireNode makes sure node and the pinned sd-jwt-js packages are
// usable, running `npm ci` if they are not installed.
func interopRequireNode(t *testing.T) {
	t.Helper()
	if err := interopNode(); err != nil {
		t.Fatalf("sd-jwt-js interop test cannot run: %v", err)
	}
}

// interopRunNode runs one node script with in as JSON on stdin and decodes
// its JSON stdout into out.
func interopRunNode(t *testing.T, script string, in, out any) {
	t.Helper()
	inJSON, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = interopJSDir
	cmd.Stdin = bytes.NewReader(inJSON)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v (context: %v)\nstderr:\n%s", script, err, ctx.Err(), stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed invalid JSON: %v\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
}

// interopJWK is a P-256 JWK as the node scripts take it.
type interopJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d,omitempty"`
}

func interopKeyJWK(k jwkYAML, private bool) interopJWK {
	j := interopJWK{Kty: k.Kty, Crv: k.Crv, X: k.X, Y: k.Y}
	if private {
		j.D = k.D
	}
	return j
}

// interopClaims is the SD-JWT VC claim set both sides issue (cnf is added
// from the holder key by each issuer).
func interopClaims() map[string]any {
	return map[string]any{
		"vct":           "https://ikd.example.go.id/vct/ktp-el",
		"iss":           "https://dukcapil.example.go.id",
		"iat":           interopIat,
		"exp":           interopExp,
		"nik":           "3174015708950021",
		"nama":          "RINA KARTIKA SARI",
		"tanggal_lahir": "1995-08-17",
		"tinggi_cm":     162,
		"age_over_18":   true,
		// Non-ASCII, HTML-sensitive and escaped characters: each side must
		// hash the disclosure exactly as the other encoded it.
		"catatan": "Ümit & <Çiçek> — 日本 \"kutip\" \\ tab\t 😀",
		"alamat": map[string]any{
			"jalan":     "JL. KENANGA RAYA NO. 7",
			"kel_desa":  "MENTENG DALAM",
			"kecamatan": "TEBET",
			"kab_kota":  "KOTA JAKARTA SELATAN",
			"provinsi":  "DKI JAKARTA",
		},
		"kewarganegaraan": []any{"ID", "NL", "JP"},
	}
}

var (
	interopTopSD     = []string{"nik", "nama", "tanggal_lahir", "tinggi_cm", "age_over_18", "catatan", "alamat"}
	interopAddressSD = []string{"jalan", "kel_desa", "kecamatan", "kab_kota", "provinsi"}
)

// interopGoPolicy is the Go disclosure policy: top-level claims, the address
// and each of its members (recursive disclosures, RFC 9901 §6.3), and every
// element of the kewarganegaraan array.
func interopGoPolicy() []Path {
	var sd []Path
	for _, k := range interopTopSD {
		sd = append(sd, P(k))
	}
	for _, k := range interopAddressSD {
		sd = append(sd, P("alamat", k))
	}
	return append(sd, P("kewarganegaraan", nil))
}

// interopJSFrame is the same policy as an sd-jwt-js disclosure frame.
func interopJSFrame() map[string]any {
	return map[string]any{
		"_sd":             interopTopSD,
		"_sd_decoy":       2,
		"alamat":          map[string]any{"_sd": interopAddressSD, "_sd_decoy": 1},
		"kewarganegaraan": map[string]any{"_sd": []int{0, 1, 2}},
	}
}

// interopSelection is one choice of claims to disclose, as Go paths and as
// the equivalent sd-jwt-js presentation frame.
type interopSelection struct {
	name  string
	paths []Path
	frame map[string]any
}

func interopSelections() []interopSelection {
	all := interopSelection{name: "all", frame: map[string]any{}}
	addr := map[string]any{}
	for _, k := range interopTopSD {
		all.paths = append(all.paths, P(k))
		all.frame[k] = true
	}
	for _, k := range interopAddressSD {
		all.paths = append(all.paths, P("alamat", k))
		addr[k] = true
	}
	all.frame["alamat"] = addr
	all.paths = append(all.paths, P("kewarganegaraan", 0), P("kewarganegaraan", 1), P("kewarganegaraan", 2))
	all.frame["kewarganegaraan"] = map[string]any{"0": true, "1": true, "2": true}
	return []interopSelection{
		{
			name:  "subset",
			paths: []Path{P("nik"), P("nama"), P("tinggi_cm"), P("catatan"), P("alamat", "kab_kota"), P("kewarganegaraan", 1)},
			frame: map[string]any{"nik": true, "nama": true, "tinggi_cm": true, "catatan": true,
				"alamat": map[string]any{"kab_kota": true}, "kewarganegaraan": map[string]any{"1": true}},
		},
		all,
		{name: "nothing", paths: nil, frame: map[string]any{}},
	}
}

type interopCheck struct {
	OK           bool           `json:"ok"`
	Reason       string         `json:"reason"`
	Detail       string         `json:"detail"`
	LibraryOK    bool           `json:"libraryOk"`
	LibraryError string         `json:"libraryError"`
	Claims       map[string]any `json:"claims"`
}

type interopJSIssued struct {
	Issued        string `json:"issued"`
	Presentations []struct {
		Name         string       `json:"name"`
		Presentation string       `json:"presentation"`
		Check        interopCheck `json:"check"`
	} `json:"presentations"`
}

type interopVerifyCase struct {
	Name         string `json:"name"`
	Presentation string `json:"presentation"`
	Aud          string `json:"aud"`
	Nonce        string `json:"nonce"`
}

type interopVerifyResult struct {
	Name string `json:"name"`
	interopCheck
}

// interopTamper is a presentation altered so that verification must fail:
// Go with wantErr (and, if set, wantCheck), the node script with wantJS.
type interopTamper struct {
	name         string
	presentation string
	wantErr      error
	wantCheck    check.Check
	wantJS       string
}

func TestInteropSDJWTJS(t *testing.T) {
	interopRequireNode(t)
	settings := loadSettings(t, filepath.Join(vectors, "rfc9901/settings.yml"))
	issuerY, holderY := settings.KeySettings.IssuerKeys[0], settings.KeySettings.HolderKey
	issuer, holder := issuerY.private(t), holderY.private(t)
	sels := interopSelections()

	opts := VerifyOptions{
		IssuerKey:        &issuer.PublicKey,
		Algorithms:       []keys.Algorithm{keys.ES256},
		Now:              fixedClock(interopNow),
		Audience:         interopAud,
		Nonce:            interopNonce,
		KeyBindingMaxAge: interopMaxAge,
	}
	jsVerify := map[string]any{"now": interopNow, "skew": 0, "maxAge": int(interopMaxAge / time.Second)}

	// Direction 1: sd-jwt-js issues and presents (one node process).
	jsIn := map[string]any{
		"issuerJwk": interopKeyJWK(issuerY, true),
		"holderJwk": interopKeyJWK(holderY, true),
		"claims":    interopClaims(),
		"frame":     interopJSFrame(),
		"verify":    jsVerify,
	}
	var jsPres []map[string]any
	for _, s := range sels {
		jsPres = append(jsPres, map[string]any{"name": s.name, "frame": s.frame,
			"aud": interopAud, "nonce": interopNonce, "iat": interopKBIat})
	}
	jsIn["presentations"] = jsPres
	// Also issue with the other _sd_alg values RFC 9901 implementations use
	// (presented with the first selection).
	jsIn["hashAlgs"] = interopOtherHashes
	var js interopJSIssued
	interopRunNode(t, "issue.mjs", jsIn, &js)
	if len(js.Presentations) != len(sels)+len(interopOtherHashes) {
		t.Fatalf("sd-jwt-js returned %d presentations, want %d", len(js.Presentations), len(sels)+len(interopOtherHashes))
	}
	jsByName := map[string]string{}
	t.Run("js-issues/go-verifies", func(t *testing.T) {
		for _, p := range js.Presentations {
			jsByName[p.Name] = p.Presentation
			t.Run(p.Name, func(t *testing.T) {
				if !p.Check.OK {
					t.Fatalf("sd-jwt-js rejects its own presentation: %s: %s", p.Check.Reason, p.Check.Detail)
				}
				v, err := VerifyVC(p.Presentation, opts)
				if err != nil {
					t.Fatalf("VerifyVC: %v\npresentation: %s", err, p.Presentation)
				}
				assertJSONEqual(t, v.Claims(), p.Check.Claims)
				if got, want := len(v.Disclosed()), interopCountDisclosures(p.Presentation); got != want {
					t.Errorf("Disclosed() lists %d paths, the presentation has %d disclosures", got, want)
				}
				if kb := v.KeyBinding(); kb == nil || kb.Audience != interopAud || kb.Nonce != interopNonce ||
					kb.IssuedAt.Unix() != interopKBIat {
					t.Errorf("KeyBinding() = %+v", kb)
				}
			})
		}
	})
	// Go must read what sd-jwt-js issued as a holder, too: every disclosure
	// with its claim path.
	jsIssued, err := Parse(js.Issued)
	if err != nil {
		t.Fatalf("Parse(sd-jwt-js issued): %v", err)
	}
	if n := len(jsIssued.Disclosures()); n != len(interopTopSD)+len(interopAddressSD)+3 {
		t.Fatalf("sd-jwt-js credential has %d disclosures, want %d", n, len(interopTopSD)+len(interopAddressSD)+3)
	}

	// Direction 2: Go issues and presents; sd-jwt-js verifies (one node
	// process for every case, the tampered ones included).
	goIssue := func(t *testing.T, hashAlg string) *Unverified {
		t.Helper()
		issued, err := IssueVC(interopClaims(), IssueOptions{
			Signer:        keys.Opaque(issuer),
			KeyID:         "dukcapil-2026",
			Disclosable:   interopGoPolicy(),
			Decoys:        2,
			HolderKey:     &holder.PublicKey,
			HashAlgorithm: hashAlg,
		})
		if err != nil {
			t.Fatal(err)
		}
		u, err := Parse(issued)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	goPresent := func(t *testing.T, u *Unverified, paths []Path) string {
		t.Helper()
		sel, err := u.Select(paths...)
		if err != nil {
			t.Fatalf("Select(%v): %v", paths, err)
		}
		pres, err := sel.Present(KeyBindingOptions{Signer: keys.Opaque(holder), Audience: interopAud,
			Nonce: interopNonce, IssuedAt: time.Unix(interopKBIat, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return pres
	}
	goIssued := goIssue(t, "")
	var cases []interopVerifyCase
	goByName := map[string]string{}
	goClaims := map[string]map[string]any{}
	for _, s := range sels {
		pres := goPresent(t, goIssued, s.paths)
		v, err := VerifyVC(pres, opts)
		if err != nil {
			t.Fatalf("%s: Go rejects its own presentation: %v", s.name, err)
		}
		goByName[s.name] = pres
		goClaims["go/"+s.name] = v.Claims()
		cases = append(cases, interopVerifyCase{Name: "go/" + s.name, Presentation: pres})
		// sd-jwt-js issued, Go holder selects and presents, both verify.
		pres = goPresent(t, jsIssued, s.paths)
		v, err = VerifyVC(pres, opts)
		if err != nil {
			t.Fatalf("%s: Go rejects its presentation of the sd-jwt-js credential: %v", s.name, err)
		}
		goClaims["js-issued-go-presents/"+s.name] = v.Claims()
		cases = append(cases, interopVerifyCase{Name: "js-issued-go-presents/" + s.name, Presentation: pres})
	}

	for _, h := range interopOtherHashes {
		name := "go/" + sels[0].name + "/" + h
		pres := goPresent(t, goIssue(t, h), sels[0].paths)
		v, err := VerifyVC(pres, opts)
		if err != nil {
			t.Fatalf("%s: Go rejects its own presentation: %v", name, err)
		}
		goClaims[name] = v.Claims()
		cases = append(cases, interopVerifyCase{Name: name, Presentation: pres})
	}

	// Tampered inputs, on top of a Go and an sd-jwt-js presentation.
	var tampers []interopTamper
	for _, base := range []struct {
		name, subset, all string
	}{
		{"go", goByName["subset"], goByName["all"]},
		{"js", jsByName["subset"], jsByName["all"]},
	} {
		for _, tc := range interopTampers(t, base.subset, base.all, holder, issuer) {
			tc.name = "tampered/" + base.name + "/" + tc.name
			tampers = append(tampers, tc)
			cases = append(cases, interopVerifyCase{Name: tc.name, Presentation: tc.presentation})
		}
	}
	for i := range cases {
		cases[i].Aud, cases[i].Nonce = interopAud, interopNonce
	}

	var res struct {
		Results []interopVerifyResult `json:"results"`
	}
	interopRunNode(t, "verify.mjs", map[string]any{
		"issuerJwk": interopKeyJWK(issuerY, false),
		"now":       interopNow, "skew": 0, "maxAge": int(interopMaxAge / time.Second),
		"cases": cases,
	}, &res)
	if len(res.Results) != len(cases) {
		t.Fatalf("sd-jwt-js returned %d results for %d cases", len(res.Results), len(cases))
	}
	jsRes := map[string]interopVerifyResult{}
	for i, r := range res.Results {
		if r.Name != cases[i].Name {
			t.Fatalf("result %d is for %q, want %q", i, r.Name, cases[i].Name)
		}
		jsRes[r.Name] = r
	}

	t.Run("go-issues/js-verifies", func(t *testing.T) {
		for _, c := range cases {
			want, ok := goClaims[c.Name]
			if !ok {
				continue
			}
			t.Run(c.Name, func(t *testing.T) {
				name := c.Name
				r := jsRes[name]
				if !r.OK {
					t.Fatalf("sd-jwt-js rejects: reason %q: %s (library ok=%v: %s)", r.Reason, r.Detail, r.LibraryOK, r.LibraryError)
				}
				assertJSONEqual(t, r.Claims, want)
			})
		}
	})

	t.Run("tampered", func(t *testing.T) {
		for _, tc := range tampers {
			t.Run(strings.TrimPrefix(tc.name, "tampered/"), func(t *testing.T) {
				_, err := VerifyVC(tc.presentation, opts)
				r := jsRes[tc.name]
				if tc.wantErr == nil {
					// Control: the tamper helpers themselves produce valid input.
					if err != nil {
						t.Errorf("Go rejects the control case: %v", err)
					}
					if !r.OK {
						t.Errorf("sd-jwt-js rejects the control case: %s: %s", r.Reason, r.Detail)
					}
					return
				}
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Go: got %v, want %v", err, tc.wantErr)
				}
				var e *check.Error
				if tc.wantCheck != 0 && (!errors.As(err, &e) || e.Check != tc.wantCheck) {
					t.Errorf("Go: got %v, want check %v", err, tc.wantCheck)
				}
				if r.OK || r.Reason != tc.wantJS {
					t.Errorf("sd-jwt-js: ok=%v reason=%q (%s), want rejection for %q", r.OK, r.Reason, r.Detail, tc.wantJS)
				}
				t.Logf("sd-jwt-js library verdict on its own: ok=%v %s", r.LibraryOK, r.LibraryError)
			})
		}
	})
}

// interopTampers derives the tampered cases from a valid presentation of
// the "subset" selection (which discloses nik) and one of the "all"
// selection of the same credential. KB-JWTs are re-signed with the holder
// key wherever that isolates the tampering from the sd_hash check.
func interopTampers(t *testing.T, subset, all string, holder, issuer *ecdsa.PrivateKey) []interopTamper {
	t.Helper()
	sd, kb := interopSplitKB(t, subset)
	_, kbAll := interopSplitKB(t, all)
	kbFor := func(sd, aud, nonce string, iat int64, key *ecdsa.PrivateKey) string {
		return sd + interopKBJWT(t, key, "kb+jwt", sd, aud, nonce, iat)
	}
	parts := strings.Split(sd, "~") // issuer JWT, disclosures..., ""

	// Flip a character in the middle of the issuer signature (not the last
	// one, whose low bits are padding).
	jwt := parts[0]
	dot := strings.LastIndexByte(jwt, '.')
	i := dot + 1 + (len(jwt)-dot-1)/2
	flip := byte('A')
	if jwt[i] == 'A' {
		flip = 'B'
	}
	flipped := jwt[:i] + string(flip) + jwt[i+1:] + sd[len(jwt):] + kb

	// Alter the nik disclosure's value, keeping its salt and name.
	altered := ""
	for k, d := range parts[1 : len(parts)-1] {
		raw, err := base64.RawURLEncoding.DecodeString(d)
		if err != nil {
			t.Fatal(err)
		}
		var arr []any
		if err := json.Unmarshal(raw, &arr); err != nil {
			t.Fatal(err)
		}
		if len(arr) == 3 && arr[1] == "nik" {
			arr[2] = "3174015708950099"
			b, _ := json.Marshal(arr)
			np := append([]string(nil), parts...)
			np[k+1] = base64.RawURLEncoding.EncodeToString(b)
			altered = strings.Join(np, "~")
		}
	}
	if altered == "" {
		t.Fatal("the subset presentation has no nik disclosure")
	}
	extraD, _ := interopDisclosure(t, "c2FsdC1leHRyYS1kaXNjbG9zdXJl", "status_perkawinan", "KAWIN")
	extra := sd + extraD + "~"
	// The same disclosure presented twice.
	dup := sd + parts[1] + "~"
	// vct moved into a disclosure, which SD-JWT VC forbids; the issuer
	// signs this, so only the profile check can catch it.
	vctD, vctDigest := interopDisclosure(t, "c2FsdC12Y3QtZGlzY2xvc3Vy", "vct", "https://ikd.example.go.id/vct/ktp-el")
	vctDisclosed := interopResignIssuer(t, issuer, sd, func(_, p map[string]any) {
		delete(p, "vct")
		p["_sd"] = append(p["_sd"].([]any), vctDigest)
	}, vctD)
	typJWT := interopResignIssuer(t, issuer, sd, func(h, _ map[string]any) { h["typ"] = "JWT" })
	expired := interopResignIssuer(t, issuer, sd, func(_, p map[string]any) { p["exp"] = interopNow - 60 })

	return []interopTamper{
		{name: "control-resigned-kb", presentation: kbFor(sd, interopAud, interopNonce, interopKBIat, holder)},
		{name: "flipped-issuer-signature", presentation: flipped, wantErr: ErrSignature, wantCheck: check.Signature, wantJS: "signature"},
		{name: "altered-disclosure", presentation: kbFor(altered, interopAud, interopNonce, interopKBIat, holder),
			wantErr: ErrUnreferencedDisclosure, wantCheck: check.Disclosure, wantJS: "unreferenced-disclosure"},
		{name: "extra-unreferenced-disclosure", presentation: kbFor(extra, interopAud, interopNonce, interopKBIat, holder),
			wantErr: ErrUnreferencedDisclosure, wantCheck: check.Disclosure, wantJS: "unreferenced-disclosure"},
		{name: "wrong-kb-aud", presentation: kbFor(sd, "https://evil.example", interopNonce, interopKBIat, holder),
			wantErr: ErrAudience, wantCheck: check.HolderBinding, wantJS: "aud"},
		{name: "wrong-kb-nonce", presentation: kbFor(sd, interopAud, "replayed-nonce", interopKBIat, holder),
			wantErr: ErrNonce, wantCheck: check.Freshness, wantJS: "nonce"},
		{name: "stale-kb-iat", presentation: kbFor(sd, interopAud, interopNonce, interopNow-3600, holder),
			wantErr: ErrFreshness, wantCheck: check.Freshness, wantJS: "iat"},
		{name: "kb-over-other-disclosures", presentation: sd + kbAll,
			wantErr: ErrSDHash, wantCheck: check.HolderBinding, wantJS: "sd_hash"},
		{name: "kb-signed-by-other-key", presentation: kbFor(sd, interopAud, interopNonce, interopKBIat, issuer),
			wantErr: ErrSignature, wantCheck: check.HolderBinding, wantJS: "kb-signature"},
		{name: "kb-dropped", presentation: sd,
			wantErr: ErrKeyBindingMissing, wantCheck: check.HolderBinding, wantJS: "kb-missing"},
		{name: "kb-typ-jwt", presentation: sd + interopKBJWT(t, holder, "JWT", sd, interopAud, interopNonce, interopKBIat),
			wantErr: ErrType, wantCheck: check.HolderBinding, wantJS: "kb-typ"},
		{name: "duplicate-disclosure", presentation: kbFor(dup, interopAud, interopNonce, interopKBIat, holder),
			wantErr: ErrDuplicateDisclosure, wantCheck: check.Disclosure, wantJS: "duplicate-disclosure"},
		{name: "control-resigned-issuer", presentation: kbFor(interopResignIssuer(t, issuer, sd, func(_, _ map[string]any) {}),
			interopAud, interopNonce, interopKBIat, holder)},
		{name: "issuer-typ-jwt", presentation: kbFor(typJWT, interopAud, interopNonce, interopKBIat, holder),
			wantErr: ErrType, wantCheck: check.Format, wantJS: "typ"},
		{name: "issuer-expired", presentation: kbFor(expired, interopAud, interopNonce, interopKBIat, holder),
			wantErr: ErrExpired, wantCheck: check.Validity, wantJS: "exp"},
		{name: "vct-in-disclosure", presentation: kbFor(vctDisclosed, interopAud, interopNonce, interopKBIat, holder),
			wantErr: ErrNotDisclosable, wantCheck: check.Format, wantJS: "vct"},
	}
}

// interopSplitKB splits an SD-JWT+KB into the SD-JWT (ending in ~) and the KB-JWT.
func interopSplitKB(t *testing.T, pres string) (sd, kb string) {
	t.Helper()
	i := strings.LastIndexByte(pres, '~')
	if i < 0 || i == len(pres)-1 {
		t.Fatalf("not an SD-JWT+KB: %q", pres)
	}
	return pres[:i+1], pres[i+1:]
}

func interopCountDisclosures(pres string) int {
	return strings.Count(pres, "~") - 1
}

// interopKBJWT signs a KB-JWT (RFC 9901 §4.3) over sd with ES256, written
// independently of the package's own Present so that tampered presentations
// can carry a validly signed KB-JWT.
func interopKBJWT(t *testing.T, key *ecdsa.PrivateKey, typ, sd, aud, nonce string, iat int64) string {
	t.Helper()
	enc := base64.RawURLEncoding
	sum := sha256.Sum256([]byte(sd))
	payload, err := json.Marshal(map[string]any{"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": enc.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	header := `{"alg":"ES256","typ":"` + typ + `"}`
	return interopSignES256(t, key, enc.EncodeToString([]byte(header))+"."+enc.EncodeToString(payload))
}

// interopSignES256 returns input.signature with an ES256 (P1363) signature.
func interopSignES256(t *testing.T, key *ecdsa.PrivateKey, input string) string {
	t.Helper()
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// interopResignIssuer rewrites the issuer JWT of the SD-JWT sd (which ends
// in ~) with edit applied to its header and payload, signs it again with the
// issuer key, and appends the extra disclosures.
func interopResignIssuer(t *testing.T, key *ecdsa.PrivateKey, sd string, edit func(h, p map[string]any), extra ...string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	jwt, rest, _ := strings.Cut(sd, "~")
	segs := strings.Split(jwt, ".")
	var h, p map[string]any
	for i, v := range []*map[string]any{&h, &p} {
		raw, err := enc.DecodeString(segs[i])
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	edit(h, p)
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	out := interopSignES256(t, key, enc.EncodeToString(hb)+"."+enc.EncodeToString(pb)) + "~" + rest
	for _, d := range extra {
		out += d + "~"
	}
	return out
}

// interopDisclosure encodes a disclosure and returns it with its SHA-256 digest.
func interopDisclosure(t *testing.T, elems ...any) (disclosure, digest string) {
	t.Helper()
	b, err := json.Marshal(elems)
	if err != nil {
		t.Fatal(err)
	}
	disclosure = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(disclosure))
	return disclosure, base64.RawURLEncoding.EncodeToString(sum[:])
}
