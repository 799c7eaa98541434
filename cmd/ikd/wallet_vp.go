package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/holder"
)

const walletVPHelp = `usage: ikd wallet vp [--wallet DIR] --request LINK --trust TRUSTLIST --operator-key FILE
                     [--yes] [--timeout DURATION]

Answers an online OpenID4VP 1.0 request (package holder's ReadVPRequest and
AnswerVPRequest): LINK is the openid4vp:// authorization request a
verifier shows (as "ikd verifier serve --demo" prints). The signed request
is fetched and checked against the registered verifiers of the signed trust
list --trust (with the operator's key --operator-key): a verifier that is
not registered, or asks for more than its registration allows, is refused
before anything is shown.

The consent screen shows who asks and exactly which claim values would be
shared, and, for a login ("Log in with IKD": a request carrying a grant),
which relying party keeps access until when; such a login is stored as a
grant ("ikd wallet grants", "ikd wallet revoke-grant"). With --yes they are shared (the screen goes to stderr); without it
the command prints the screen and "Share? [y/N]" on stdout and reads the
answer from the next line of stdin (after the PIN line); anything but y or
yes refuses, tells the verifier (access_denied) and exits 1. On success stdout lists what was shared and
the verifier's answer.

Flags:
  --request LINK      the openid4vp:// link (required)
  --trust FILE        the signed trust list of registered verifiers (required)
  --operator-key FILE the trust list operator's public key (required)
  --yes               consent without asking
  --timeout D         time limit of each HTTP request (default 30s)

Example:
  IKD_PIN=135790 ikd wallet vp --request 'openid4vp://?client_id=...' \
      --trust /tmp/bank/trust.jwt --operator-key /tmp/bank/operator.jwk.json --yes
`

func walletVP(ctx context.Context, ws *walletSession, args []string) error {
	link := ws.fs.String("request", "", "")
	trustFile := ws.fs.String("trust", "", "")
	opKey := ws.fs.String("operator-key", "", "")
	yes := ws.fs.Bool("yes", false, "")
	timeout := ws.fs.Duration("timeout", holder.DefaultVPTimeout, "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	switch {
	case *link == "":
		return usagef("--request is required: the openid4vp:// link")
	case *trustFile == "" || *opKey == "":
		return usagef("--trust (a signed trust list) and --operator-key are required")
	case *timeout <= 0:
		return usagef("--timeout: want a positive duration")
	}
	ts, err := loadTrust([]string{*trustFile}, *opKey, ws.e.now)
	if err != nil {
		return err
	}
	if ts.list == nil {
		return usagef("--trust: want a signed trust list")
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	r, err := ws.w.ReadVPRequest(ctx, strings.TrimSpace(*link), holder.VPOptions{Verifiers: ts.list,
		HTTPClient: &http.Client{Timeout: *timeout, Transport: ws.e.transport}})
	if err != nil {
		return err
	}
	var shown []holder.ConsentItem
	consent := func(_ context.Context, c holder.ConsentRequest) (bool, error) {
		shown = c.Items
		if *yes {
			writeVPConsent(ws.e.stderr, r, c)
			fmt.Fprintln(ws.e.stderr, "consented with --yes")
			return true, nil
		}
		// Asked: the screen and the question on stdout, so that stderr
		// holds only the error line of a refusal.
		writeVPConsent(ws.e.stdout, r, c)
		fmt.Fprint(ws.e.stdout, "Share? [y/N] ")
		ans, err := ws.readLine("answer", 16)
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(ans)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
	ans, err := ws.w.AnswerVPRequest(ctx, r, holder.PresentOptions{Consent: consent})
	if errors.Is(err, holder.ErrConsentRefused) {
		return errors.New("consent refused: nothing shared; the verifier was told (access_denied)")
	}
	if err != nil {
		return err
	}
	if len(ans.Shared) == 0 {
		ans.Shared = shown
	}
	out := ws.e.stdout
	fmt.Fprintf(out, "shared with %q <%s>:\n", r.VerifierName, r.Verifier)
	writeVPItems(out, ans.Shared)
	fmt.Fprintln(out, "the verifier accepted the response")
	if ans.RedirectURI != "" {
		fmt.Fprintf(out, "redirect: %s\n", ans.RedirectURI)
	}
	if r.Grant != nil {
		fmt.Fprintf(out, "login grant stored: %s <%s> keeps access until %s (see \"ikd wallet grants\")\n",
			printable(r.Grant.ClientName, 200), printable(r.Grant.ClientID, 200), fmtTime(r.Grant.Until))
	}
	return nil
}

// writeVPConsent prints the consent screen of an OpenID4VP request.
func writeVPConsent(w io.Writer, r *holder.VPRequest, c holder.ConsentRequest) {
	fmt.Fprintf(w, "verifier: %q <%s> (registered in the trust list; client_id %s)\n", r.VerifierName, r.Verifier, r.ClientID)
	fmt.Fprintf(w, "request valid until %s; would share:\n", r.ExpiresAt.UTC().Format(time.RFC3339))
	writeVPItems(w, c.Items)
	for _, it := range c.Items {
		fmt.Fprintf(w, "copies of %s (%s) left afterwards: %d\n", it.Credential, it.Format, it.CopiesLeft)
	}
	writeGrantConsent(w, c.Grant)
}

func writeVPItems(w io.Writer, items []holder.ConsentItem) {
	for _, it := range items {
		for _, c := range it.Claims {
			v := plainValue(c.Value)
			if b, ok := v.([]byte); ok {
				v = fmt.Sprintf("(%d bytes)", len(b))
			}
			fmt.Fprintf(w, "  %s (%s): %s = %v\n", it.Credential, it.Format, c.Name, v)
		}
	}
}
