package main

import (
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// wstep is one CLI invocation of a wallet script: like step, with
// environment variables, and stdin that may end in "@FILE" (the contents of
// FILE when the step runs, after the PIN lines before it).
type wstep struct {
	name  string
	args  []string
	env   map[string]string
	stdin string
	code  int
	out   string // in stdout
	err   string // in stderr
}

// runWallet runs a wallet script; a failing step stops it. It returns the
// stdout of the last step.
func runWallet(t *testing.T, steps []wstep) string {
	t.Helper()
	return runWalletEnv(t, nil, steps)
}

// runWalletEnv is runWallet with mod applied to each step's env.
func runWalletEnv(t *testing.T, mod func(*env), steps []wstep) string {
	t.Helper()
	var last string
	for _, tc := range steps {
		ok := t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			e.getenv = func(k string) string { return tc.env[k] }
			if mod != nil {
				mod(e)
			}
			in := tc.stdin
			if i := strings.LastIndex(in, "@"); i >= 0 && (i == 0 || in[i-1] == '\n') {
				b, err := os.ReadFile(in[i+1:])
				if err != nil {
					t.Fatal(err)
				}
				in = in[:i] + string(b)
			}
			e.stdin = strings.NewReader(in)
			code := run(context.Background(), e, tc.args)
			last = out.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q; stdout %q", code, tc.code, errOut.String(), out.String())
			}
			if !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) {
				t.Errorf("stdout %q (want %q)\nstderr %q (want %q)", out.String(), tc.out, errOut.String(), tc.err)
			}
			if tc.code != 0 && strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("error not one line: %q", errOut.String())
			}
			for _, pin := range []string{"135790", "246801"} {
				if !strings.Contains(out.String(), "Example:") && strings.Contains(out.String()+errOut.String(), pin) {
					t.Errorf("a PIN was echoed: %q %q", out.String(), errOut.String())
				}
			}
		})
		if !ok {
			t.FailNow()
		}
	}
	return last
}

const (
	pin1 = "135790\n"
	pin2 = "246801\n"
)

// listIDs runs "wallet list --json" and returns the ids by format.
func listIDs(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := runWallet(t, []wstep{{"list json", []string{"wallet", "list", "--wallet", dir, "--json"}, nil, pin1, 0, `"format"`, ""}})
	var creds []credentialJSON
	if err := json.Unmarshal([]byte(out), &creds); err != nil {
		t.Fatalf("list --json: %v: %s", err, out)
	}
	ids := map[string]string{}
	for _, c := range creds {
		if c.ID == "" || c.Issuer == "" || c.ExpiresAt.IsZero() {
			t.Errorf("incomplete list entry %+v", c)
		}
		ids[string(c.Format)] = c.ID
	}
	return ids
}

// TestCLIWallet scripts a wallet's life with the CLI: init, import of an
// SD-JWT VC and an mdoc issued by "ikd issue", list, show, presentations
// verified by "ikd verify", history, change-pin, and the errors.
func TestCLIWallet(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	w := p("w")
	ktp, _, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	ktpJSON, _ := json.Marshal(ktp.SDJWTClaims(t0))
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ktp.json", ktpJSON)
	write("garbage.txt", []byte("hello, this is not a credential\n"))
	write("huge.txt", make([]byte, maxCredentialInput+1))
	ds, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, leaf, err := demoworld.NewPKI("Ditjen Dukcapil", ds, t0)
	if err != nil {
		t.Fatal(err)
	}
	dsKey, _ := keys.MarshalPrivateJWK(ds)
	write("ds.key.jwk", dsKey)
	write("ds.pem", keys.MarshalCertificatesPEM(leaf))
	write("iaca.pem", keys.MarshalCertificatesPEM(root))
	iss := demoworld.DukcapilID
	bank := "https://bank.example.co.id"
	wf := []string{"--wallet", w}
	wa := func(args ...string) []string { return append(append([]string{"wallet"}, args...), wf...) }

	runWallet(t, []wstep{
		{"help", []string{"wallet", "--help"}, nil, "", 0, "change-pin", ""},
		{"no sub", []string{"wallet"}, nil, "", 2, "", "want a subcommand"},
		{"bad sub", []string{"wallet", "frob"}, nil, "", 2, "", "unknown subcommand"},
		{"init help", []string{"wallet", "init", "--help"}, nil, "", 0, "Example:", ""},
		{"present help", []string{"wallet", "present", "--help"}, nil, "", 0, "--yes", ""},
		{"list no wallet", wa("list"), nil, pin1, 1, "", "no wallet in " + w},
		{"init no pin", wa("init"), nil, "", 2, "", "no PIN: set IKD_PIN"},
		{"init short pin", wa("init"), nil, "1234\n", 2, "", "6 to 16 decimal digits"},
		{"init bad env pin", wa("init"), map[string]string{"IKD_PIN": "abcdef"}, "", 2, "", "IKD_PIN: a PIN is"},
		{"init", wa("init", "--pub", p("device.jwk.json")), nil, pin1, 0, "device key written to", ""},
		{"init again", wa("init"), nil, pin1, 1, "", "already exists"},
		{"other key", []string{"keygen", "--out", p("x.jwk"), "--pub", p("x.pub.jwk")}, nil, "", 0, "", ""},
		{"issuer key", []string{"keygen", "--out", p("issuer.key.jwk"), "--pub", p("issuer.jwk.json")}, nil, "", 0, "", ""},
		{"issue sdjwt", []string{"issue", "--key", p("issuer.key.jwk"), "--iss", iss, "--holder", p("device.jwk.json"),
			"--out", p("ktp.sdjwt"), p("ktp.json")}, nil, "", 0, "", ""},
		{"issue to other", []string{"issue", "--key", p("issuer.key.jwk"), "--iss", iss, "--holder", p("x.pub.jwk"),
			"--out", p("other.sdjwt"), p("ktp.json")}, nil, "", 0, "", ""},
		{"issue mdoc", []string{"issue", "--key", p("ds.key.jwk"), "--format", "mdoc", "--chain", p("ds.pem"),
			"--holder", p("device.jwk.json"), "--out", p("ktp.mdoc"), p("ktp.json")}, nil, "", 0, "", ""},
		{"issue mdoc text", []string{"issue", "--key", p("ds.key.jwk"), "--format", "mdoc", "--chain", p("ds.pem"),
			"--holder", p("device.jwk.json"), p("ktp.json")}, nil, "", 0, "", ""},
	})
	// The mdoc as base64url text, as "ikd issue" prints it.
	e, out, _ := testEnv()
	if run(context.Background(), e, []string{"issue", "--key", p("ds.key.jwk"), "--format", "mdoc", "--chain", p("ds.pem"),
		"--holder", p("device.jwk.json"), p("ktp.json")}) != 0 {
		t.Fatal("issue mdoc text failed")
	}
	write("ktp.mdoc.txt", out.Bytes())

	runWallet(t, []wstep{
		{"list empty", wa("list"), nil, pin1, 0, "no credentials", ""},
		{"import no trust", wa("import", p("ktp.sdjwt")), nil, pin1, 2, "", "--trust is required"},
		{"import bad trust", wa("import", "--trust", p("garbage.txt"), p("ktp.sdjwt")), nil, pin1, 2, "", "not a JWK, PEM, did:key or trust list"},
		{"import missing trust file", wa("import", "--trust", p("nope.jwk"), p("ktp.sdjwt")), nil, pin1, 1, "", "no such file"},
		{"import two keys", wa("import", "--trust", p("x.pub.jwk"), "--trust", p("issuer.jwk.json"), p("ktp.sdjwt")), nil, pin1, 2, "", "one issuer key"},
		{"import wrong issuer key", wa("import", "--trust", p("x.pub.jwk"), p("ktp.sdjwt")), nil, pin1, 1, "", "not verifiable against the trust list"},
		{"import bound elsewhere", wa("import", "--trust", p("issuer.jwk.json"), p("other.sdjwt")), nil, pin1, 1, "", "bound to another key"},
		{"import garbage", wa("import", "--trust", p("issuer.jwk.json"), p("garbage.txt")), nil, pin1, 1, "", "neither an SD-JWT VC nor an mdoc"},
		{"import huge", wa("import", "--trust", p("issuer.jwk.json"), p("huge.txt")), nil, pin1, 1, "", "larger than 1048576 bytes"},
		{"import missing file", wa("import", "--trust", p("issuer.jwk.json"), p("nope.sdjwt")), nil, pin1, 1, "", "no such file"},
		{"import wrong pin", wa("import", "--trust", p("issuer.jwk.json"), p("ktp.sdjwt")), nil, "999999\n", 1, "", "wrong PIN: 9 attempt(s) left"},
		{"import sdjwt", wa("import", "--trust", p("issuer.jwk.json"), p("ktp.sdjwt")), nil, pin1, 0, "KTP-el (dc+sd-jwt) from " + iss, ""},
		{"import mdoc no root", wa("import", "--trust", p("ds.pem"), p("ktp.mdoc")), nil, pin1, 2, "", "no issuer key or IACA root"},
		{"import mdoc cbor", wa("import", "--trust", p("iaca.pem"), p("ktp.mdoc")), nil, pin1, 0, "KTP-el (mso_mdoc)", ""},
		{"import mdoc text stdin", wa("import", "--trust", p("iaca.pem"), "-"), nil, pin1 + "@" + p("ktp.mdoc.txt"), 0, "KTP-el (mso_mdoc)", ""},
		{"import sdjwt env pin stdin", wa("import", "--trust", p("issuer.jwk.json"), "-"), map[string]string{"IKD_PIN": "135790"},
			"@" + p("ktp.sdjwt"), 0, "KTP-el (dc+sd-jwt)", ""},
		{"list", wa("list"), nil, pin1, 0, "mso_mdoc", ""},
	})
	ids := listIDs(t, w)
	sdID, mdocID := ids["dc+sd-jwt"], ids["mso_mdoc"]
	if sdID == "" || mdocID == "" {
		t.Fatalf("list lacks a format: %v", ids)
	}
	nonce := "bi0wUzZfV3pBMk1q" // 12 bytes
	runWallet(t, []wstep{
		{"show sdjwt", wa("show", sdID), nil, pin1, 0, "personal_administrative_number  3174015708950021", ""},
		{"show mdoc", wa("show", mdocID), nil, pin1, 0, credential.DocTypeKTPEL + ".birth_date", ""},
		{"show json", wa("show", "--json", mdocID), nil, pin1, 0, `"portrait": "`, ""},
		{"show unknown", wa("show", "c-nope"), nil, pin1, 1, "", `no credential "c-nope"`},
		{"show no id", wa("show"), nil, pin1, 2, "", "want 1 argument(s)"},
		{"present no request", wa("present", "--aud", bank), nil, pin1, 2, "", "give --request, or --claims and --aud"},
		{"present both", wa("present", "--aud", bank, "--claims", "name", "--request", p("r.txt")), nil, pin1, 2, "", "not both"},
		{"present bad nonce", wa("present", "--aud", bank, "--claims", "name", "--nonce", "abc"), nil, pin1, 2, "", "--nonce"},
		{"present no consent", wa("present", "--aud", bank, "--claims", "personal_administrative_number,name"), nil, pin1, 1,
			"name = ", "consent refused"},
		{"present missing claim", wa("present", "--aud", bank, "--claims", "shoe_size", "--yes"), nil, pin1, 1, "", "no credential matches"},
		{"present", wa("present", "--aud", bank, "--claims", "personal_administrative_number,name,birthdate", "--yes",
			"--png", p("qr.png"), "--out", p("qr.txt")), nil, pin1, 0, "", "valid until"},
		{"verify", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, p("qr.txt")}, nil, "", 0, "3174015708950021", ""},
		{"verify png", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, p("qr.png")}, nil, "", 0, "birthdate", ""},
		// The imported SD-JWT VC is one copy, now spent: presenting it
		// again needs --reuse.
		{"present spent", wa("present", "--aud", bank, "--claims", "name", "--nonce", nonce, "--yes", "--out", p("qr2.txt")), nil, pin1, 1, "",
			"nothing shared: every copy of KTP-el (dc+sd-jwt) was presented (give --reuse"},
		{"present nonce stdout", wa("present", "--aud", bank, "--claims", "name", "--nonce", nonce, "--yes", "--reuse", "--out", p("qr2.txt")), nil, pin1, 0, "",
			"reusing copy 1 of KTP-el (dc+sd-jwt)"},
		{"verify nonce", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--nonce", nonce, p("qr2.txt")}, nil, "", 0, "name", ""},
		{"verify wrong nonce", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--nonce", "AAAAAAAAAAAAAAAA", p("qr2.txt")}, nil, "", 1, "", ""},
		{"present mdoc", wa("present", "--aud", bank, "--type", credential.DocTypeKTPEL, "--claims", "name,birth_date", "--yes",
			"--out", p("qr3.txt")), nil, pin1, 0, "", "KTP-el (mso_mdoc): birth_date"},
		{"verify mdoc", []string{"verify", "--trust", p("iaca.pem"), "--trust", p("ds.pem"), "--aud", bank, p("qr3.txt")}, nil, "", 0, "birth_date", ""},
		{"history", wa("history"), nil, pin1, 0, "consent_refused", ""},
		{"change-pin no new", wa("change-pin"), nil, pin1, 2, "", "no new PIN: set IKD_NEW_PIN"},
		{"change-pin wrong old", wa("change-pin"), nil, "999999\n" + pin2, 1, "", "wrong PIN"},
		{"change-pin", wa("change-pin"), nil, pin1 + pin2, 0, "PIN changed", ""},
		{"old pin", wa("list"), nil, pin1, 1, "", "wrong PIN: "},
		{"new pin env", wa("list"), map[string]string{"IKD_PIN": "246801"}, "", 0, "KTP-el", ""},
		{"change-pin env", wa("change-pin"), map[string]string{"IKD_PIN": "246801", "IKD_NEW_PIN": "135790"}, "", 0, "PIN changed", ""},
	})
	// The history, as JSON: the refusal and the presentations with claim
	// names (never values).
	out2 := runWallet(t, []wstep{{"history json", wa("history", "--json"), nil, pin1, 0, `"kind": "presentation"`, ""}})
	var acts []struct {
		Kind         string   `json:"kind"`
		Counterparty string   `json:"counterparty"`
		Claims       []string `json:"claims"`
	}
	if err := json.Unmarshal([]byte(out2), &acts); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, a := range acts {
		kinds[a.Kind]++
		if a.Kind == "presentation" && a.Counterparty != bank {
			t.Errorf("presentation to %q", a.Counterparty)
		}
		if strings.Contains(strings.Join(a.Claims, ","), "3174015708950021") {
			t.Errorf("history holds a claim value: %v", a.Claims)
		}
	}
	if kinds["import"] != 4 || kinds["presentation"] != 3 || kinds["consent_refused"] != 1 {
		t.Errorf("history kinds %v, want 4 imports, 3 presentations, 1 refusal", kinds)
	}
}

// TestCLIWalletSignedRequest presents against a bank's signed request QR,
// checked against the trust list's registered verifiers.
func TestCLIWalletSignedRequest(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	w := p("w")
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ktp, _, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	ktpJSON, _ := json.Marshal(ktp.SDJWTClaims(t0))
	write("ktp.json", ktpJSON)
	runWallet(t, []wstep{
		{"init", []string{"wallet", "init", "--wallet", w, "--pub", p("device.jwk.json")}, nil, pin1, 0, "", ""},
		{"issuer key", []string{"keygen", "--out", p("issuer.key.jwk"), "--pub", p("issuer.jwk.json")}, nil, "", 0, "", ""},
		{"issue", []string{"issue", "--key", p("issuer.key.jwk"), "--iss", demoworld.DukcapilID, "--kid", demoworld.KeyID,
			"--holder", p("device.jwk.json"), "--out", p("ktp.sdjwt"), p("ktp.json")}, nil, "", 0, "", ""},
	})
	issuerPub, err := readPublicKey(p("issuer.jwk.json"))
	if err != nil {
		t.Fatal(err)
	}
	op, bankKey, err := twoKeys()
	if err != nil {
		t.Fatal(err)
	}
	list := &trustlist.List{Operator: demoworld.OperatorID, Sequence: 1, IssuedAt: t0, NextUpdate: t0.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{{ID: demoworld.DukcapilID, Name: "Ditjen Dukcapil", Keys: []trustlist.Key{{ID: demoworld.KeyID, Public: issuerPub}},
			VCTs: []string{credential.VCTKTPEL}}},
		Verifiers: []trustlist.Verifier{{ID: bankID, Name: "Bank Contoh", Keys: []trustlist.Key{{ID: bankKeyID, Public: bankKey.Public()}},
			Claims: map[string][]string{credential.VCTKTPEL: {"personal_administrative_number", "name"}}}}}
	tok, err := trustlist.Sign(list, op, trustlist.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write("trust.jwt", tok)
	opPub, _ := keys.MarshalPublicJWK(op.Public())
	write("op.pub.jwk", opPub)
	req := func(claims ...string) []byte {
		var cq []request.ClaimQuery
		for _, c := range claims {
			cq = append(cq, request.ClaimQuery{Path: []any{c}})
		}
		code, err := request.Encode(request.Request{Verifier: bankID, Nonce: []byte("0123456789ab"), IssuedAt: t0, Expires: t0.Add(5 * time.Minute),
			Query: request.Query{Credentials: []request.CredentialQuery{{ID: "id", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTKTPEL},
				Claims: cq}}}}, request.SignOptions{Signer: bankKey, KeyID: bankKeyID})
		if err != nil {
			t.Fatal(err)
		}
		return code.Data
	}
	write("req.txt", req("personal_administrative_number", "name"))
	write("greedy.txt", req("personal_administrative_number", "religion"))
	wa := func(args ...string) []string { return append(append([]string{"wallet"}, args...), "--wallet", w) }
	pr := func(args ...string) []string {
		return wa(append(append([]string{"present"}, args...), "--verifiers", p("trust.jwt"), "--operator-key", p("op.pub.jwk"))...)
	}
	runWallet(t, []wstep{
		{"import with list", wa("import", "--trust", p("trust.jwt"), "--operator-key", p("op.pub.jwk"), p("ktp.sdjwt")), nil, pin1, 0, "KTP-el", ""},
		{"request no verifiers", wa("present", "--request", p("req.txt"), "--yes"), nil, pin1, 2, "", "--verifiers"},
		{"request not a list", wa("present", "--request", p("req.txt"), "--verifiers", p("issuer.jwk.json"), "--operator-key", p("op.pub.jwk")), nil, pin1, 2, "", "want a signed trust list"},
		{"request refused", pr("--request", p("req.txt")), nil, pin1, 1, `"Bank Contoh" <` + bankID + `> (registered`, "consent refused"},
		{"request greedy", pr("--request", p("greedy.txt"), "--yes"), nil, pin1, 1, "", "untrusted or unauthorised verifier"},
		{"request stdin", pr("--request", "-", "--yes", "--out", p("qr.txt")), nil, pin1 + "@" + p("req.txt"), 0, "", "registered in the trust list"},
		{"verify", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bankID, "--nonce", qrNonce([]byte("0123456789ab")), p("qr.txt")}, nil, "", 0, "3174015708950021", ""},
		{"history", wa("history"), nil, pin1, 0, "Bank Contoh <" + bankID + "> (verified)", ""},
	})
}

// twoKeys makes an operator and a verifier key.
func twoKeys() (crypto.Signer, crypto.Signer, error) {
	a, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, nil, err
	}
	b, err := keys.Generate(keys.ES256, nil)
	return a, b, err
}

// TestCLIWalletActivate: "ikd wallet activate" receives the KTP-el and the
// KK from an OpenID4VCI issuer (demoworld's Dukcapil behind
// issuer.NewHandler) with an offer link or @FILE and the tx_code from
// --tx-code or stdin, and reports bad offers and the issuer's errors.
func TestCLIWalletActivate(t *testing.T) {
	ctx := context.Background()
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	v, err := newVCIIssuer(d, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tls := func(e *env) { e.transport = v.srv.Client().Transport }
	offer := func() (string, string) {
		t.Helper()
		link, code, err := v.offer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return link, code
	}
	link, code := offer()
	if err := os.WriteFile(p("offer.txt"), []byte(link+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	unreachable, _ := oid4vci.OfferURILink(closed.URL + "/offers/1")
	w := p("w")
	trust := []string{"--trust", p("issuer.jwk.json"), "--trust", p("iaca.pem")}
	act := func(offer string, extra ...string) []string {
		return append(append([]string{"wallet", "activate", "--wallet", w, "--offer", offer}, trust...), extra...)
	}
	runWalletEnv(t, tls, []wstep{
		{"help", []string{"wallet", "activate", "--help"}, nil, "", 0, "--offer LINK|@FILE", ""},
		{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, `"kty"`, ""},
		{"no offer", []string{"wallet", "activate", "--wallet", w}, nil, pin1, 2, "", "--offer is required"},
		{"bad timeout", act(link, "--timeout", "0s"), nil, pin1, 2, "", "--timeout"},
		{"no trust", []string{"wallet", "activate", "--wallet", w, "--offer", link}, nil, pin1, 2, "", "--trust is required"},
		{"no offer file", act("@" + p("missing.txt")), nil, pin1, 1, "", "missing.txt"},
		{"not an offer", act("hello"), nil, pin1, 1, "", "activate: credential offer not usable: offer: not a credential offer"},
		{"http offer uri", act("openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fissuer.example.com%2Fo"), nil, pin1, 1, "",
			`"http://issuer.example.com/o" is not https`},
		{"unreachable", act(unreachable), nil, pin1, 1, "", "credential offer not usable: offer: fetching the offer by reference"},
		{"wrong tx_code", act(link, "--tx-code", wrongTxCode(code)), nil, pin1, 1, "",
			"activate: activation failed: token: token request: oid4vci: invalid_grant: "},
		{"tx_code not digits", act(link, "--tx-code", "AAAAA-BBBBB"), nil, pin1, 1, "",
			"activate: invalid input: tx_code: the transaction code must be digits only"},
		{"no tx_code on stdin", act(link), nil, pin1, 1, "", "activate: transaction code refused: tx_code: the app gave no transaction code: no transaction code"},
		{"activate, tx_code on stdin", act("@" + p("offer.txt")), nil, pin1 + code + "\n", 0, "KK (mso_mdoc)", ""},
		{"list", []string{"wallet", "list", "--wallet", w}, nil, pin1, 0, "QR KTP-el", ""},
		{"history", []string{"wallet", "history", "--wallet", w}, nil, pin1, 0, "activation", ""},
		{"offer used", act(link, "--tx-code", code), nil, pin1, 1, "", "no open credential offer here"},
	})

	// A hostile issuer's error text reaches the terminal without escapes.
	link, code = offer()
	v.Override("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "bad\ncode\x1b[31m " + strings.Repeat("x", 5000)})
	})
	out := runWalletEnv(t, tls, []wstep{{"hostile error", act(link, "--tx-code", code), nil, pin1, 1, "", "invalid_grant: bad?code?[31m xxx"}})
	if strings.Contains(out, "\x1b") {
		t.Error("escape on stdout")
	}
	v.Override("POST /token", nil)

	// A wallet that does not trust the issuer stores nothing.
	other, _ := keys.Generate(keys.ES256, nil)
	pub, _ := keys.MarshalPublicJWK(other.Public())
	if err := os.WriteFile(p("other.jwk.json"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	w2 := p("w2")
	runWalletEnv(t, tls, []wstep{
		{"init 2", []string{"wallet", "init", "--wallet", w2}, nil, pin1, 0, "", ""},
		{"untrusted", []string{"wallet", "activate", "--wallet", w2, "--offer", link, "--tx-code", code, "--trust", p("other.jwk.json"), "--trust", p("iaca.pem")},
			nil, pin1, 1, "", "activate: credential not verifiable against the trust list: verify:"},
		{"nothing stored", []string{"wallet", "list", "--wallet", w2}, nil, pin1, 0, "no credentials", ""},
	})
}

// TestCLIWalletActivatePrompt: on a terminal the tx_code is asked for
// after the PIN, through the prompt that does not echo.
func TestCLIWalletActivatePrompt(t *testing.T) {
	ctx := context.Background()
	d := t.TempDir()
	v, err := newVCIIssuer(d, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tls := func(e *env) { e.transport = v.srv.Client().Transport }
	link, code, err := v.offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := filepath.Join(d, "w")
	runWalletEnv(t, tls, []wstep{{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""}})
	e, out, errOut := testEnv()
	e.transport = v.srv.Client().Transport
	answers := []string{"135790", code}
	var prompts []string
	e.readSecret = func(prompt string) (string, error) {
		prompts = append(prompts, prompt)
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}
	args := []string{"wallet", "activate", "--wallet", w, "--offer", link, "--trust", filepath.Join(d, "issuer.jwk.json"), "--trust", filepath.Join(d, "iaca.pem")}
	if c := run(ctx, e, args); c != 0 {
		t.Fatalf("exit %d: %s", c, errOut.String())
	}
	if strings.Join(prompts, "|") != "ikd wallet: PIN: |ikd wallet: transaction code: " {
		t.Errorf("prompts %q", prompts)
	}
	if want := "asks for a transaction code: Masukkan PIN aktivasi dari surel Dukcapil"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	if strings.Contains(out.String()+errOut.String(), code) {
		t.Error("the tx_code was echoed")
	}
	if !strings.Contains(out.String(), "KTP-el (mso_mdoc)") {
		t.Errorf("stdout %q", out.String())
	}
}

// TestPrintable: a service's error text loses control characters and is
// capped.
func TestPrintable(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"plain", "code expired", 64, "code expired"},
		{"escapes", "a\x1b[2Jb\r\nc\x00", 64, "a[2Jbc"},
		{"cap", strings.Repeat("é", 10), 4, "éééé..."},
		{"exact", "abcd", 4, "abcd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := printable(tc.in, tc.n); got != tc.want {
				t.Errorf("printable(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

// TestCLIWalletPINDelay: after 3 wrong PINs the wallet refuses attempts
// until the delay is over, even the right PIN, and says until when.
func TestCLIWalletPINDelay(t *testing.T) {
	w := filepath.Join(t.TempDir(), "w")
	wrong := wstep{"wrong", []string{"wallet", "list", "--wallet", w}, nil, "999999\n", 1, "", "wrong PIN: "}
	runWallet(t, []wstep{
		{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""},
		wrong, wrong, wrong,
		{"delayed", []string{"wallet", "list", "--wallet", w}, nil, pin1, 1, "", "too many wrong PINs: try again after " +
			t0.Add(holder.PINDelay(3)).Format(time.RFC3339)},
		{"history delayed", []string{"wallet", "history", "--wallet", w}, map[string]string{"IKD_PIN": "135790"}, "", 1, "", "try again after"},
	})
}

// TestCLIWalletHelp: every subcommand has --help with its usage and an
// example, on stdout, exit 0.
func TestCLIWalletHelp(t *testing.T) {
	for _, sub := range []string{"init", "activate", "import", "list", "show", "present", "refresh", "history", "change-pin"} {
		runWallet(t, []wstep{{sub, []string{"wallet", sub, "--help"}, nil, "", 0, "usage: ikd wallet " + sub, ""}})
		runWallet(t, []wstep{{sub + " example", []string{"wallet", sub, "-h"}, nil, "", 0, "Example:\n  ", ""}})
		runWallet(t, []wstep{{sub + " bad flag", []string{"wallet", sub, "--frob"}, nil, "", 2, "", "wallet: " + sub + ": flag provided but not defined"}})
	}
}
