package main

import (
	"context"
	"net/http/httptest"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
)

// scriptIssuer is the issuer service of a script: demoworld's Dukcapil
// (a real issuer.Issuer on SQLite) behind the issuer service's wallet
// endpoints on a loopback httptest server.
type scriptIssuer struct {
	party *demoworld.Party
	srv   *httptest.Server
}

// scriptIssuerService implements the script command
//
//	issuer-service start   start the service; write issuer.jwk.json and
//	                       iaca.pem; set ISSUER_URL and ISSUER_ID
//	issuer-service grant   register the demo resident and confirm it as an
//	                       operator would; set REGISTRATION and CODE
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
		dbDir := ts.MkAbs("issuer-db")
		ts.Check(os.MkdirAll(dbDir, 0o755))
		ktp, kk, _, _, err := demoworld.ResidentDocuments()
		ts.Check(err)
		party, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: dbDir, ID: demoworld.DukcapilID,
			Name: "Ditjen Dukcapil", Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()},
			Documents: []credential.Document{ktp, kk}, Now: func() time.Time { return now }})
		ts.Check(err)
		srv := httptest.NewServer(issuerHandler(party.Issuer, nil))
		st.issuer = &scriptIssuer{party: party, srv: srv}
		ts.Defer(func() { srv.Close(); party.Close() })
		pub, err := keys.MarshalPublicJWK(party.Key.Public())
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs("issuer.jwk.json"), pub, 0o644))
		ts.Check(os.WriteFile(ts.MkAbs("iaca.pem"), keys.MarshalCertificatesPEM(party.Root), 0o644))
		ts.Setenv("ISSUER_URL", srv.URL)
		ts.Setenv("ISSUER_ID", demoworld.DukcapilID)
	case "grant":
		if st.issuer == nil {
			ts.Fatalf("issuer-service grant before start")
		}
		reg, err := st.issuer.party.Issuer.Register(ctx, demoworld.RegisterRequest())
		ts.Check(err)
		g, err := st.issuer.party.Issuer.Confirm(ctx, "operator:script", reg.ID)
		ts.Check(err)
		ts.Setenv("REGISTRATION", g.RegistrationID)
		ts.Setenv("CODE", g.Code)
	case "status":
		if st.issuer == nil {
			ts.Fatalf("issuer-service status before start")
		}
		tok, err := st.issuer.party.Issuer.StatusListToken(ctx, 1)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), tok, 0o644))
	default:
		ts.Fatalf("usage: issuer-service start|grant|status FILE")
	}
}
