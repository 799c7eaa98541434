package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

const verifierHelp = `usage: ikd verifier serve --demo --trust T [--trust T] [--addr HOST:PORT] [--dir DIR]

Start the demo world's Bank Contoh as an OpenID4VP 1.0 verifier (the
library's verifier.NewVPHandler): signed requests by reference
(request_uri, POST with wallet_nonce), x509_san_dns client identifier,
direct_post.jwt responses verified with package verifier. It asks for an
identity check: the KTP-el as dc+sd-jwt with personal_administrative_number,
name and birthdate. On stdout it prints the authorization request link,

  openid4vp://?client_id=x509_san_dns%3Alocalhost&request_uri=http%3A%2F%2Flocalhost%3A...

then, as each wallet answers, one line "verified: ..." with the verified
claims or "failed: CHECK: ..." with the typed failure, followed by a fresh
link for the next customer. GET / serves the bank's page: the request as a
QR code, polling the result. Runs until interrupted (Ctrl-C).

The bank's key and certificate (DNS name localhost) are fresh every run. It
writes into --dir a trust list signed by a demo operator, trust.jwt, and the
operator's key, operator.jwk.json: Ditjen Dukcapil (` + dukcapilID + `) as
the issuer with the --trust key and IACA root, and Bank Contoh
(http://localhost:PORT) as a registered verifier that may ask for the
KTP-el's personal_administrative_number, name and birthdate (and the QR
identity group). A wallet answers with:

  ikd wallet vp --request LINK --trust DIR/trust.jwt --operator-key DIR/operator.jwk.json

Revocation is not checked (the demo has no status list cache). Plain HTTP is
allowed on a loopback address only, so --addr must be one.

Flags:
  --demo         serve the demo bank (required: a real verifier mounts
                 verifier.NewVPHandler in its own HTTPS server)
  --trust T      Ditjen Dukcapil's SD-JWT VC issuer key (JWK or PEM, whose
                 credentials name iss ` + dukcapilID + `) and/or its
                 IACA root (CA certificate, PEM); repeatable; required
  --addr H:P     loopback address to listen on (default 127.0.0.1:0, a free
                 port); the verifier is http://localhost:PORT
  --dir DIR      where trust.jwt and operator.jwk.json go; default a
                 temporary directory, removed at exit

Example:
  ikd verifier serve --demo --trust dukcapil.jwk.json --addr 127.0.0.1:8081 --dir /tmp/bank
`

// vpIdentityClaims are the KTP-el claims of the identity check.
var vpIdentityClaims = []string{"personal_administrative_number", "name", "birthdate"}

// vpIdentityQuery is the DCQL query of the identity check.
func vpIdentityQuery() (*oid4vp.Query, error) {
	var claims []string
	for _, c := range vpIdentityClaims {
		claims = append(claims, `{"path":["`+c+`"]}`)
	}
	return oid4vp.ParseQuery([]byte(`{"credentials":[{"id":"ktpel","format":"dc+sd-jwt","meta":{"vct_values":["` +
		credential.VCTKTPEL + `"]},"claims":[` + strings.Join(claims, ",") + `]}]}`))
}

// bankPKI makes the bank's request-signing key and its certificate chain
// (bankChain).
func bankPKI(dns string, now time.Time) (*ecdsa.PrivateKey, []*x509.Certificate, error) {
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	chain, err := bankChain(leafKey, dns, now)
	if err != nil {
		return nil, nil, err
	}
	return leafKey, chain, nil
}

// bankChain certifies signer's key for the DNS name dns under a fresh demo
// CA: the chain is the leaf alone (HAIP: without the trust anchor).
func bankChain(signer crypto.Signer, dns string, now time.Time) ([]*x509.Certificate, error) {
	return demoChain(signer, dns, "Bank Contoh", now)
}

// demoChain certifies signer's key for the DNS name dns, in a leaf named
// name, under a fresh demo CA "NAME Demo CA": the chain is the leaf alone
// (HAIP: without the trust anchor).
func demoChain(signer crypto.Signer, dns, name string, now time.Time) ([]*x509.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	mk := func(tmpl, parent *x509.Certificate, pub any) (*x509.Certificate, error) {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, caKey)
		if err != nil {
			return nil, err
		}
		return x509.ParseCertificate(der)
	}
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " Demo CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	ca, err := mk(caT, caT, caKey.Public())
	if err != nil {
		return nil, err
	}
	leaf, err := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{dns}}, ca, signer.Public())
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{leaf}, nil
}

// verifierServe runs "ikd verifier serve --demo" until ctx ends.
func verifierServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("verifier serve", verifierHelp, e)
	demo := fs.Bool("demo", false, "")
	addr := fs.String("addr", "127.0.0.1:0", "")
	dir := fs.String("dir", "", "")
	var trustArgs multiFlag
	fs.Var(&trustArgs, "trust", "")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if !*demo {
		return usagef("--demo is required: only the demo verifier is served here; a deployment mounts verifier.NewVPHandler in its own HTTPS server")
	}
	if err := checkLoopbackAddr(*addr); err != nil {
		return err
	}
	if len(trustArgs) == 0 {
		return usagef("--trust is required: Ditjen Dukcapil's issuer key and/or IACA root, which the bank trusts")
	}
	ts, err := loadTrust(trustArgs, "", e.now)
	if err != nil {
		return err
	}
	if ts.list != nil || len(ts.signers) > 0 || len(ts.keys) > 1 || (len(ts.keys) == 0 && len(ts.roots) == 0) {
		return usagef("--trust: give one issuer key and/or IACA roots (not a trust list or document signer)")
	}
	d, done, err := workDir(*dir, "ikd-verifier-")
	if err != nil {
		return err
	}
	defer done()
	*dir = d
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	// x509_san_dns needs a DNS name: the bank is localhost.
	id := localhostURL(ln)
	now := e.now()

	signer, chain, err := bankPKI("localhost", now)
	if err != nil {
		return err
	}
	opKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	dukcapil := trustlist.Issuer{ID: dukcapilID, Name: "Ditjen Dukcapil", IACARoots: ts.roots,
		VCTs: []string{credential.VCTKTPEL, credential.VCTKK, credential.VCTQR, credential.VCTQRFull}}
	if len(ts.keys) == 1 {
		dukcapil.Keys = []trustlist.Key{{ID: demoworld.KeyID, Public: ts.keys[0].pub}}
	}
	if len(ts.roots) > 0 {
		dukcapil.DocTypes = []string{credential.DocTypeKTPEL, credential.KKType().DocType, credential.DocTypeQR}
	}
	list := &trustlist.List{Operator: operatorID, Sequence: 1, IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{dukcapil},
		Verifiers: []trustlist.Verifier{{ID: id, Name: "Bank Contoh", Keys: []trustlist.Key{{ID: bankKeyID, Public: signer.Public()}},
			Claims: map[string][]string{credential.VCTKTPEL: vpIdentityClaims, credential.DocTypeKTPEL: {"personal_administrative_number", "name", "birth_date"},
				credential.VCTQR: {credential.QRClaimID}}}}}
	tok, err := trustlist.Sign(list, opKey, trustlist.SignOptions{KeyID: "op-demo"})
	if err != nil {
		return fmt.Errorf("trust list: %w", err)
	}
	store, err := trustlist.NewStore(opKey.Public(), trustlist.StoreOptions{Now: e.now})
	if err != nil {
		return err
	}
	if _, err := store.Update(tok); err != nil {
		return fmt.Errorf("trust list: %w", err)
	}
	opPub, err := keys.MarshalPublicJWK(opKey.Public())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "trust.jwt"), tok, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "operator.jwk.json"), opPub, 0o644); err != nil {
		return err
	}
	v, err := verifier.New(verifier.Config{Trust: store, Now: e.now, ClockSkew: 5 * time.Second, Audience: id,
		Policy: verifier.Policy{SkipStatus: true}})
	if err != nil {
		return err
	}
	h, err := verifier.NewVPHandler(v, verifier.VPHandlerConfig{BaseURL: id + "/vp", Signer: signer, Chain: chain,
		ResponseMode: oid4vp.ResponseModeDirectPostJWT, Now: e.now, ErrorLog: nil})
	if err != nil {
		return err
	}
	q, err := vpIdentityQuery()
	if err != nil {
		return err
	}
	page := &bankPage{}
	out := &lockedWriter{w: e.stdout}
	mux := http.NewServeMux()
	mux.Handle("/vp/", h)
	mux.Handle("GET /{$}", page)
	// The page's "wallet in this browser" button: a transaction over the
	// Digital Credentials API, whose outcome is printed like the others.
	mux.HandleFunc("POST /dcapi/new", func(w http.ResponseWriter, r *http.Request) {
		tx, err := h.NewDCAPIRequest(r.Context(), q, false)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		go func() {
			if o := awaitOutcome(ctx, h, tx); o != "" {
				fmt.Fprintln(out, o)
			}
		}()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(tx.DCAPI)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 32 << 10}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(e.stderr, "ikd verifier: Bank Contoh (demo) serves OpenID4VP 1.0 at %s (client_id %s); its page is %s/\n", id, h.ClientID(), id)
	fmt.Fprintf(e.stderr, "ikd verifier: trust.jwt and operator.jwk.json in %s; each answer is printed, then a new request; Ctrl-C stops\n", *dir)

	loop := make(chan error, 1)
	go func() { loop <- bankLoop(ctx, out, h, q, page) }()
	select {
	case err := <-served:
		return err
	case err := <-loop:
		if err != nil {
			return err
		}
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(e.stderr, "ikd verifier: stopped")
	return nil
}

// bankLoop mints a request, prints its link, waits for its outcome and
// prints it, and starts over, until ctx ends.
func bankLoop(ctx context.Context, out io.Writer, h *verifier.VPHandler, q *oid4vp.Query, page *bankPage) error {
	for {
		tx, err := h.NewRequest(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		page.set(tx)
		fmt.Fprintln(out, tx.Link)
		o := awaitOutcome(ctx, h, tx)
		if o == "" {
			return nil
		}
		fmt.Fprintln(out, o)
	}
}

// awaitOutcome polls tx until it has an outcome and returns it as the
// line the demo prints; "" when ctx ends first.
func awaitOutcome(ctx context.Context, h *verifier.VPHandler, tx *verifier.VPTransaction) string {
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(100 * time.Millisecond):
		}
		o, err := h.Result(ctx, tx.ID)
		switch {
		case err != nil:
			return "failed: " + vpFailure(err)
		case o.Pending:
			continue
		case o.Err != nil:
			return "failed: " + vpFailure(o.Err)
		default:
			return "verified: " + vpVerified(o.Result)
		}
	}
}

// lockedWriter serialises the lines of the request loop and of the DC API
// transactions.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// vpFailure names a failure's check, or the wallet's error code.
func vpFailure(err error) string {
	var ce *check.Error
	var pe *oid4vp.ProtocolError
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("wallet: %s: %s", pe.Code, pe.Description)
	case errors.As(err, &ce):
		return fmt.Sprintf("%s: %v", ce.Check, err)
	}
	return err.Error()
}

// vpVerified is one line of a verified result's credentials and claims.
func vpVerified(r *verifier.Result) string {
	var parts []string
	for _, c := range r.Credentials() {
		claims := c.Claims()
		names := make([]string, 0, len(claims))
		for n := range claims {
			// The holder key and the status reference are the
			// credential's machinery, checked above, not what it says.
			if n != "cnf" && n != "status" {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		var kv []string
		for _, n := range names {
			kv = append(kv, fmt.Sprintf("%s=%v", n, plainValue(claims[n])))
		}
		parts = append(parts, fmt.Sprintf("%s (%s) from %s: %s", c.Type(), c.Format(), c.IssuerName(), strings.Join(kv, " ")))
	}
	return strings.Join(parts, "; ")
}

// bankPage is the bank's web page: the current request as a QR code,
// polling its result.
type bankPage struct {
	mu        sync.Mutex
	link, res string
	png       []byte
}

func (p *bankPage) set(tx *verifier.VPTransaction) {
	var png []byte
	if c, err := qr.NewCode([]byte(tx.Link)); err == nil {
		png, _ = qrcode.PNG(c, 4)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.link, p.res, p.png = tx.Link, tx.ResultURL, png
}

var bankPageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Bank Contoh: identity check</title></head>
<body>
<h1>Bank Contoh</h1>
<p>Scan with your IKD wallet to share your NIK, name and birth date (OpenID4VP).</p>
{{if .PNG}}<img alt="request QR code" src="{{.PNG}}">{{end}}
<p><a href="{{.Link}}">{{.Link}}</a></p>
<p><button id="dcapi">Use the wallet in this browser (Digital Credentials API)</button></p>
<pre id="result">waiting for the wallet…</pre>
<script src="/vp/dcapi.js"></script>
<script>
document.getElementById("dcapi").onclick = async () => {
  const out = document.getElementById("result");
  try {
    const tx = await (await fetch("/dcapi/new", {method: "POST"})).json();
    out.textContent = JSON.stringify(await ikdkitDCAPI(tx), null, 2);
  } catch (e) {
    out.textContent = "Digital Credentials API: " + e.message;
  }
};
const poll = async () => {
  const r = await fetch({{.Result}});
  const j = await r.json();
  if (j.state === "pending") { setTimeout(poll, 1000); return; }
  document.getElementById("result").textContent = JSON.stringify(j, null, 2);
  setTimeout(() => location.reload(), 10000);
};
poll();
</script>
</body></html>
`))

func (p *bankPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	data := struct {
		Link   template.URL
		Result string
		PNG    template.URL
	}{template.URL(p.link), p.res, ""}
	if len(p.png) > 0 {
		data.PNG = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.png))
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bankPageTmpl.Execute(w, data)
}
