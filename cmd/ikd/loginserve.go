package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oidcprovider"
	"github.com/ikdkit/ikdkit/verifier"
)

const loginHelp = `usage: ikd login serve --demo --trust T [--trust T] [--addr HOST:PORT] [--dir DIR]
                       [--redirect-uri URI]

Start a demo "Login with IKD" provider (package oidcprovider): an OpenID
Connect provider whose user authentication is an OpenID4VP presentation
from the resident's IKD wallet. Any OpenID Connect relying party logs a
resident in with it; the provider's login page shows an OpenID4VP request
(a QR code, and the same request as an openid4vp:// link), the wallet
answers, and the browser goes back to the relying party with a code.

It registers one relying party, "Portal Layanan Publik": client_id
demo-portal, a fresh random client secret (client_secret_basic or
client_secret_post), the one redirect URI --redirect-uri (compared
exactly), all scopes. On stdout it prints, one per line:

  issuer: http://localhost:PORT
  discovery: http://localhost:PORT/.well-known/openid-configuration
  client_id: demo-portal
  client_secret: ...
  redirect_uri: http://localhost:8080/callback
  trust_list: DIR/trust.jwt
  operator_key: DIR/operator.jwk.json

then serves until interrupted (Ctrl-C).

Scopes: openid (required), profile (name, birthdate), address (the KTP-el
address), nik (the NIK as the claim "nik"), family_card
(family_card_number, head_of_family_name, from the KK), offline_access (a
refresh token). The wallet is asked only for what the scopes need, plus
the NIK, from which sub is derived: pairwise per client, an HMAC that does
not reveal the NIK. PKCE with S256 is required (plain is refused).

A relying party uses the printed values with any OpenID Connect library:
discovery at the issuer, the authorization code flow with a PKCE S256
code_challenge and the redirect URI, the code exchanged at the token
endpoint with the client secret and the code_verifier, the ID token
checked against the keys at /keys; UserInfo, refresh, revocation and
end-session endpoints are in the discovery document.

A wallet answers the login page's request: LINK is the openid4vp:// link on
the page (the "#cross-link" anchor, the QR code's content):

  ikd wallet vp --request LINK --trust DIR/trust.jwt --operator-key DIR/operator.jwk.json

The login is stored in the wallet as a grant: "ikd wallet grants" lists
it, "ikd wallet revoke-grant ID" withdraws it at the provider, after which
the relying party's refresh and UserInfo calls fail.

Every key is fresh every run: the ID token key, the OpenID4VP request key
and its certificate (DNS name localhost), the token and pairwise keys, the
client secret. It writes into --dir the grants database, login.db, and a
trust list signed by a demo operator, trust.jwt, with the operator's key,
operator.jwk.json: Ditjen Dukcapil (` + dukcapilID + `) as the issuer with
the --trust key, and the provider (http://localhost:PORT) as a registered
verifier that may ask for the KTP-el's NIK, name, birth date and address
and the KK's number and head of family. The status of credentials
(revocation) is not checked in the demo. Plain HTTP is allowed on a
loopback address only, so --addr must be one.

Flags:
  --demo             serve the demo provider (required: a real deployment
                     configures oidcprovider.New in its own HTTPS server)
  --trust T          Ditjen Dukcapil's SD-JWT VC issuer key (JWK or PEM,
                     whose credentials name iss ` + dukcapilID + `),
                     required, and optionally its IACA root (PEM);
                     repeatable
  --addr H:P         loopback address to listen on (default 127.0.0.1:0, a
                     free port); the issuer is http://localhost:PORT
  --dir DIR          where login.db, trust.jwt and operator.jwk.json go;
                     default a temporary directory, removed at exit
  --redirect-uri URI the portal's redirect URI (default
                     http://localhost:8080/callback): https, or http on a
                     loopback host

Example:
  ikd login serve --demo --trust dukcapil.jwk.json --addr 127.0.0.1:9090 --dir /tmp/login
`

// The demo portal, the one relying party of "ikd login serve --demo".
const (
	loginServeClientID   = "demo-portal"
	loginServeClientName = "Portal Layanan Publik"
	loginServeRedirect   = "http://localhost:8080/callback"
)

// loginServeClaims are the claims the provider is registered for in the
// trust list: what its scopes may ask of the KTP-el and the KK.
var loginServeClaims = map[string][]string{
	credential.VCTKTPEL: {"personal_administrative_number", "name", "birthdate", "address"},
	credential.VCTKK:    {"family_card_number", "head_of_family_name"},
}

// checkRedirectURI refuses a --redirect-uri that is not an absolute https
// URL, or http on a loopback host, without a fragment.
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil {
		return usagef("--redirect-uri: want an absolute URL without fragment, got %q", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return usagef("--redirect-uri: want https, or http on a loopback host, got %q", s)
}

// loginServe runs "ikd login serve --demo" until ctx ends.
func loginServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("login serve", loginHelp, e)
	demo := fs.Bool("demo", false, "")
	addr := fs.String("addr", "127.0.0.1:0", "")
	dir := fs.String("dir", "", "")
	redirect := fs.String("redirect-uri", loginServeRedirect, "")
	var trustArgs multiFlag
	fs.Var(&trustArgs, "trust", "")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if !*demo {
		return usagef("--demo is required: only the demo provider is served here; a deployment configures oidcprovider.New in its own HTTPS server")
	}
	if err := checkLoopbackAddr(*addr); err != nil {
		return err
	}
	if err := checkRedirectURI(*redirect); err != nil {
		return err
	}
	if len(trustArgs) == 0 {
		return usagef("--trust is required: Ditjen Dukcapil's SD-JWT VC issuer key, which the provider trusts")
	}
	ts, err := loadTrust(trustArgs, "", e.now)
	if err != nil {
		return err
	}
	if ts.list != nil || len(ts.signers) > 0 || len(ts.keys) != 1 {
		return usagef("--trust: give one SD-JWT VC issuer key (the login asks for SD-JWT VCs), optionally with IACA roots; not a trust list or document signer")
	}
	d, done, err := workDir(*dir, "ikd-login-")
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
	// x509_san_dns needs a DNS name: the provider is localhost.
	issuer := localhostURL(ln)
	now := e.now()

	// Fresh keys: the OpenID4VP request key and its certificate, the
	// trust list operator, the ID token key, the token and pairwise keys,
	// the portal's secret.
	reqKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	chain, err := demoChain(reqKey, "localhost", "Login dengan IKD", now)
	if err != nil {
		return err
	}
	opKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	idKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	var tokenKey [32]byte
	pairwise := make([]byte, oidcprovider.MinPairwiseKey)
	secret := make([]byte, 24)
	for _, b := range [][]byte{tokenKey[:], pairwise, secret} {
		if _, err := rand.Read(b); err != nil {
			return err
		}
	}
	clientSecret := base64.RawURLEncoding.EncodeToString(secret)

	dukcapil := trustlist.Issuer{ID: dukcapilID, Name: "Ditjen Dukcapil", IACARoots: ts.roots,
		Keys: []trustlist.Key{{ID: demoworld.KeyID, Public: ts.keys[0].pub}},
		VCTs: []string{credential.VCTKTPEL, credential.VCTKK, credential.VCTQR, credential.VCTQRFull}}
	if len(ts.roots) > 0 {
		dukcapil.DocTypes = []string{credential.DocTypeKTPEL, credential.KKType().DocType, credential.DocTypeQR}
	}
	list := &trustlist.List{Operator: operatorID, Sequence: 1, IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{dukcapil},
		Verifiers: []trustlist.Verifier{{ID: issuer, Name: "Login dengan IKD (demo)",
			Keys: []trustlist.Key{{ID: "login-demo", Public: reqKey.Public()}}, Claims: loginServeClaims}}}
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
	trustFile, opFile := filepath.Join(*dir, "trust.jwt"), filepath.Join(*dir, "operator.jwk.json")
	if err := os.WriteFile(trustFile, tok, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(opFile, opPub, 0o644); err != nil {
		return err
	}
	v, err := verifier.New(verifier.Config{Trust: store, Now: e.now, ClockSkew: 5 * time.Second, Audience: issuer,
		Policy: verifier.Policy{SkipStatus: true}})
	if err != nil {
		return err
	}
	p, err := oidcprovider.New(oidcprovider.Config{Issuer: issuer,
		Clients: []oidcprovider.Client{{ID: loginServeClientID, Name: loginServeClientName, Secret: clientSecret,
			RedirectURIs: []string{*redirect}}},
		Verifier: v, RequestSigner: reqKey, RequestChain: chain, SigningKey: idKey, TokenKey: tokenKey, PairwiseKey: pairwise,
		Database: filepath.Join(*dir, "login.db"), Now: e.now, ErrorLog: log.New(e.stderr, "ikd login: ", 0)})
	if err != nil {
		return err
	}
	defer p.Close()
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 32 << 10}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(e.stderr, "ikd login: Login dengan IKD (demo), an OpenID Connect provider at %s; each login is an OpenID4VP presentation from an IKD wallet\n", issuer)
	fmt.Fprintf(e.stderr, "ikd login: one relying party, %s (%s), PKCE S256 required; credential status is not checked (demo)\n", loginServeClientName, loginServeClientID)
	fmt.Fprintf(e.stderr, "ikd login: login.db, trust.jwt and operator.jwk.json in %s; Ctrl-C stops\n", *dir)
	for _, kv := range [][2]string{{"issuer", issuer}, {"discovery", issuer + "/.well-known/openid-configuration"},
		{"client_id", loginServeClientID}, {"client_secret", clientSecret}, {"redirect_uri", *redirect},
		{"trust_list", trustFile}, {"operator_key", opFile}} {
		fmt.Fprintf(e.stdout, "%s: %s\n", kv[0], kv[1])
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(e.stderr, "ikd login: stopped")
	return nil
}
