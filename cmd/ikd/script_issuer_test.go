package main

import (
	"context"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptIssuer is the issuer of a script: demoworld's Dukcapil (a real
// issuer.Issuer on SQLite) behind OpenID4VCI endpoints on a loopback
// httptest server (vciIssuer).
type scriptIssuer struct {
	v *vciIssuer
}

// scriptIssuerService implements the script command
//
//	issuer-service start   start the issuer; write issuer.jwk.json and
//	                       iaca.pem; set ISSUER_URL (its Credential Issuer
//	                       Identifier)
//	issuer-service grant   register the demo resident and confirm it as an
//	                       operator would; set OFFER (the credential offer
//	                       link, by reference), TX_CODE (its tx_code, the
//	                       e-mailed activation PIN), WRONG_TX_CODE (a
//	                       code of the same length that is not it) and
//	                       write offer.txt
//	issuer-service status FILE  write the current Status List Token of the
//	                       issuer's first list to FILE
//
// The issuer's clock is $IKD_NOW when the command runs.
func scriptIssuerService(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 || (args[0] == "status") != (len(args) == 2) || len(args) > 2 {
		ts.Fatalf("usage: issuer-service start|grant|status FILE")
	}
	st := ts.Value(scriptStateKey{}).(*scriptState)
	now, err := time.Parse(time.RFC3339, ts.Getenv("IKD_NOW"))
	if err != nil {
		ts.Fatalf("IKD_NOW: %v", err)
	}
	ctx := context.Background()
	switch args[0] {
	case "start":
		if st.issuer != nil {
			ts.Fatalf("issuer-service already started")
		}
		v, err := newVCIIssuer(ts.MkAbs(""), func() time.Time { return now })
		ts.Check(err)
		st.issuer = &scriptIssuer{v: v}
		ts.Defer(v.Close)
		ts.Setenv("ISSUER_URL", v.srv.URL)
	case "grant":
		if st.issuer == nil {
			ts.Fatalf("issuer-service grant before start")
		}
		link, code, err := st.issuer.v.offer(ctx)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs("offer.txt"), []byte(link+"\n"), 0o644))
		ts.Setenv("OFFER", link)
		ts.Setenv("TX_CODE", code)
		ts.Setenv("WRONG_TX_CODE", wrongTxCode(code))
	case "status":
		if st.issuer == nil {
			ts.Fatalf("issuer-service status before start")
		}
		tok, err := st.issuer.v.party.Issuer.StatusListToken(ctx, 1)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), tok, 0o644))
	default:
		ts.Fatalf("usage: issuer-service start|grant|status FILE")
	}
}
