package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ikdkit/ikdkit/holder"
)

const walletGrantsHelp = `usage: ikd wallet grants [--wallet DIR] [--json]

Lists the grants the wallet made, oldest first: each "Log in with IKD"
(an OpenID4VP login request carrying a grant, answered with "ikd wallet
vp") lets a relying party keep access until a set time unless withdrawn.
Each line shows the grant's ID, the relying party, the login provider it
went through, the scopes, the claims shared (names, never values), since
when, until when, and its status: active, expired, or revoked (with the
time; "gone" when the provider no longer had it).

Example:
  IKD_PIN=135790 ikd wallet grants
`

const walletRevokeGrantHelp = `usage: ikd wallet revoke-grant [--wallet DIR] [--timeout DURATION] ID

Withdraws grant ID (see "ikd wallet grants") at its login provider: a
POST to the provider's grant endpoint, proven with a DPoP proof signed by
the key of the copy presented in that login. When the provider confirms,
or answers that it no longer has the grant, the grant is marked revoked
and the activity log records it. If the provider cannot be reached or
refuses, the command exits 1 and the grant stays active: try again. A
grant already revoked is left as it is.

Flags:
  --timeout D   time limit of the request (default 30s)

Example:
  IKD_PIN=135790 ikd wallet revoke-grant grant-0123456789abcdef01234567
`

func walletGrants(ctx context.Context, ws *walletSession, args []string) error {
	asJSON := ws.fs.Bool("json", false, "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	gs, err := ws.w.Grants(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type grantJSON struct {
			holder.Grant
			Status string `json:"status"`
		}
		out := []grantJSON{}
		for _, g := range gs {
			out = append(out, grantJSON{g, grantStatus(g, ws.e.now())})
		}
		return printJSON(ws.e.stdout, out)
	}
	if len(gs) == 0 {
		_, err := fmt.Fprintln(ws.e.stdout, "no grants")
		return err
	}
	tw := tabwriter.NewWriter(ws.e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRELYING PARTY\tVIA\tSCOPES\tCLAIMS\tSINCE\tUNTIL\tSTATUS")
	for _, g := range gs {
		via := g.Provider
		if g.ProviderName != "" {
			via = fmt.Sprintf("%s <%s>", g.ProviderName, g.Provider)
		}
		fmt.Fprintf(tw, "%s\t%s <%s>\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, printable(g.ClientName, 200), printable(g.ClientID, 200), printable(via, 200),
			printable(strings.Join(g.Scopes, " "), 200), dash(strings.Join(g.Claims, ", ")), fmtTime(g.At), fmtTime(g.Until), grantStatus(g, ws.e.now()))
	}
	return tw.Flush()
}

// grantStatus is how the CLI words a grant's state at now.
func grantStatus(g holder.Grant, now time.Time) string {
	switch {
	case !g.RevokedAt.IsZero() && g.GoneAtProvider:
		return "revoked " + fmtTime(g.RevokedAt) + " (gone at the provider)"
	case !g.RevokedAt.IsZero():
		return "revoked " + fmtTime(g.RevokedAt)
	case !g.Active(now):
		return "expired"
	}
	return "active"
}

func walletRevokeGrant(ctx context.Context, ws *walletSession, args []string) error {
	timeout := ws.fs.Duration("timeout", holder.DefaultRevokeTimeout, "")
	rest, err := parseFlags(ws.fs, args, 1)
	if err != nil {
		return err
	}
	if *timeout <= 0 || *timeout > 10*time.Minute {
		return usagef("--timeout: want a positive duration up to 10m")
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	id := rest[0]
	err = ws.w.RevokeGrant(ctx, id, holder.RevokeOptions{HTTPClient: &http.Client{Timeout: *timeout, Transport: ws.e.transport}})
	if err != nil {
		return err
	}
	gs, err := ws.w.Grants(ctx)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ID == id {
			fmt.Fprintf(ws.e.stdout, "grant %s of %s <%s>: %s\n", g.ID, printable(g.ClientName, 200), printable(g.ClientID, 200), grantStatus(g, ws.e.now()))
		}
	}
	return nil
}

// writeGrantConsent prints the standing authorisation a login request
// asks for, on its consent screen.
func writeGrantConsent(w io.Writer, g *holder.GrantRequest) {
	if g == nil {
		return
	}
	fmt.Fprintf(w, "this is a login: %s <%s> will keep access (scopes %s) until %s unless you withdraw it (ikd wallet revoke-grant)\n",
		printable(g.ClientName, 200), printable(g.ClientID, 200), printable(strings.Join(g.Scopes, " "), 200), fmtTime(g.Until))
}
