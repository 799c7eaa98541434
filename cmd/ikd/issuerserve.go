package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
)

const issuerHelp = `usage: ikd issuer serve --demo [--addr HOST:PORT] [--dir DIR] [--db DSN]

Start the demo world's Ditjen Dukcapil as an OpenID4VCI 1.0 credential
issuer (the library's issuer.NewHandler) that any OpenID4VCI wallet can
redeem from: issuer and authorization server metadata, credential offers
by reference, token (pre-authorized code with tx_code, DPoP supported),
nonce, credential (jwt key proofs, batches) and notification endpoints, and
the status lists. The demo resident (NIK ` + demoworld.ResidentNIK + `) is already
registered and confirmed by an operator; on stdout it prints that
confirmation's credential offer and its tx_code (the PIN the SOP e-mails):

  openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A...
  tx_code: 123456

Give both to a wallet: it scans or opens the offer, the user types the
tx_code, and it receives the KTP-el and the KK, each as dc+sd-jwt and
mso_mdoc (and the KTP-el's compact QR profile). The offer is single use.
The issuer runs until interrupted (Ctrl-C).

Plain HTTP is allowed on a loopback address only, so --addr must be one
(127.0.0.1, ::1 or localhost); the Credential Issuer Identifier is
http://HOST:PORT. Keys are fresh and synthetic every run, and so is the
store unless --db names one that already holds the demo's data.

Flags:
  --demo         serve the demo world's issuer (required: a real issuer
                 mounts issuer.NewHandler in its own HTTPS server)
  --addr H:P     loopback address to listen on (default 127.0.0.1:0, a free port)
  --dir DIR      where the store, issuer.jwk.json and iaca.pem go (the
                 issuer key and IACA root an ikdkit wallet trusts:
                 ikd wallet activate --trust DIR/issuer.jwk.json
                 --trust DIR/iaca.pem); default a temporary directory,
                 removed at exit
  --db DSN       the issuer's store: a postgres:// or postgresql:// URL
                 for a PostgreSQL database (created tables and all on first
                 use), or a SQLite file's path; default a SQLite file in
                 DIR (no database server needed). A store used again
                 keeps its status lists, whose URIs name the earlier
                 run's address: give a fixed --addr then

Example:
  ikd issuer serve --demo --addr 127.0.0.1:8080 --dir /tmp/dukcapil
`

// issuerServe runs "ikd issuer serve --demo" until ctx ends.
func issuerServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("issuer serve", issuerHelp, e)
	demo := fs.Bool("demo", false, "")
	addr := fs.String("addr", "127.0.0.1:0", "")
	dir := fs.String("dir", "", "")
	db := fs.String("db", "", "")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if !*demo {
		return usagef("--demo is required: only the demo issuer is served here; a deployment mounts issuer.NewHandler in its own HTTPS server")
	}
	if err := checkLoopbackAddr(*addr); err != nil {
		return err
	}
	d, done, err := workDir(*dir, "ikd-issuer-")
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
	// The identifier is the address actually bound: a free port for :0,
	// the loopback IP for localhost.
	id := "http://" + ln.Addr().String()

	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		return err
	}
	party, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: *dir, DSN: *db, ID: id, Name: "Ditjen Dukcapil",
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}, Now: e.now})
	if err != nil {
		return err
	}
	defer party.Close()
	h, err := party.Handler()
	if err != nil {
		return err
	}
	pub, err := keys.MarshalPublicJWK(party.Key.Public())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "issuer.jwk.json"), pub, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "iaca.pem"), keys.MarshalCertificatesPEM(party.Root), 0o644); err != nil {
		return err
	}
	reg, err := party.Issuer.Register(ctx, demoworld.RegisterRequest())
	if err != nil {
		return err
	}
	g, err := party.Issuer.Confirm(ctx, "operator:demo", reg.ID)
	if err != nil {
		return err
	}
	link, err := g.Offer.ReferenceLink()
	if err != nil {
		return err
	}

	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 32 << 10}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(e.stderr, "ikd issuer: Ditjen Dukcapil (demo) serves OpenID4VCI 1.0 at %s\n", id)
	// The DSN may hold a password: it is not printed.
	where := "store, issuer.jwk.json and iaca.pem in " + *dir
	if *db != "" {
		where = "store at --db; issuer.jwk.json and iaca.pem in " + *dir
	}
	fmt.Fprintf(e.stderr, "ikd issuer: metadata %s/.well-known/openid-credential-issuer; %s\n", id, where)
	fmt.Fprintf(e.stderr, "ikd issuer: an operator confirmed NIK %s; its offer (single use, until %s) and tx_code follow; Ctrl-C stops\n",
		demoworld.ResidentNIK, g.Offer.ExpiresAt.Format(time.RFC3339))
	fmt.Fprintln(e.stdout, link)
	fmt.Fprintf(e.stdout, "tx_code: %s\n", g.Offer.TxCode)

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
	fmt.Fprintln(e.stderr, "ikd issuer: stopped")
	return nil
}
