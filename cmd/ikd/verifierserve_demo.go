package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// localhostURL is the identifier of a demo service listening on ln (the
// bank's online OpenID4VP service, the login provider):
// http://localhost:PORT, the DNS name its certificate names for
// x509_san_dns.
func localhostURL(ln net.Listener) string {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://localhost:" + port
}

// onlineBankRegistration is its entry in the trust list: it may ask for
// the KTP-el's NIK, name and birth date.
func onlineBankRegistration(id string, key crypto.Signer) trustlist.Verifier {
	return trustlist.Verifier{ID: id, Name: "Bank Contoh", Keys: []trustlist.Key{{ID: bankKeyID, Public: key.Public()}},
		Claims: map[string][]string{credential.VCTKTPEL: vpIdentityClaims}}
}

// demoOnline is the demo's online step: the bank's app serves an
// OpenID4VP request on ln, the wallet reads it, the user consents, the
// wallet answers and the bank prints the verified claims.
func demoOnline(ctx context.Context, w io.Writer, wal *holder.Wallet, trust *trustlist.Store, cache *statuslist.Cache,
	bankKey crypto.Signer, ln net.Listener, now func() time.Time) error {
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	id := localhostURL(ln)
	chain, err := bankChain(bankKey, "localhost", now())
	if err != nil {
		return err
	}
	v, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: now, ClockSkew: 5 * time.Second, Audience: id})
	if err != nil {
		return err
	}
	h, err := verifier.NewVPHandler(v, verifier.VPHandlerConfig{BaseURL: id + "/vp", Signer: bankKey, Chain: chain,
		ResponseMode: oid4vp.ResponseModeDirectPostJWT, Now: now})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	q, err := vpIdentityQuery()
	if err != nil {
		return err
	}
	tx, err := h.NewRequest(ctx, q)
	if err != nil {
		return err
	}
	say("   the bank's app (%s, client_id %s) shows a signed OpenID4VP request by reference:", id, h.ClientID())
	say("      %.100s...", tx.Link)
	r, err := wal.ReadVPRequest(ctx, tx.Link, holder.VPOptions{Verifiers: trust.Current(), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		return fmt.Errorf("reading the OpenID4VP request: %w", err)
	}
	say("   the wallet fetched the Request Object (POST with a wallet_nonce), checked its x5c against the registered verifier %q <%s>", r.VerifierName, r.Verifier)
	_, err = wal.AnswerVPRequest(ctx, r, holder.PresentOptions{Consent: func(_ context.Context, c holder.ConsentRequest) (bool, error) {
		say("   consent screen: %q asks for:", c.VerifierName)
		writeVPItems(indentWriter{w, "   "}, c.Items)
		say("   the user taps \"Bagikan\" (share); the wallet posts the vp_token encrypted (direct_post.jwt)")
		return true, nil
	}})
	if err != nil {
		return err
	}
	o, err := h.Result(ctx, tx.ID)
	if err != nil {
		return err
	}
	if o.Pending || o.Err != nil || o.Result == nil {
		return errors.Join(errors.New("the bank's OpenID4VP transaction did not verify"), o.Err)
	}
	say("   the bank verified the response (issuer signature, key binding to its client_id and nonce, status): NIK %s", o.Result.NIK())
	for _, c := range o.Result.Credentials() {
		say("      %s (%s) from %s:", c.Type(), c.Format(), c.IssuerName())
		printClaims(w, "        ", c.Claims())
	}
	return nil
}

// indentWriter prefixes each Write (one line each) with an indent.
type indentWriter struct {
	w      io.Writer
	indent string
}

func (i indentWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(i.w, i.indent); err != nil {
		return 0, err
	}
	return i.w.Write(p)
}
