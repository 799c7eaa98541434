package oidcprovider_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/oidcprovider"
)

// chromium finds the headless browser (Debian package chromium, which
// .ci/run installs); the test fails without one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: the login page test needs the Debian package chromium (.ci/run installs it)")
	return ""
}

// TestLoginPageInChromium: headless Chromium opens a portal (a relying
// party on go-oidc, served on loopback), is sent to the login page, shows
// the QR code and the same-device link; the wallet answers the request
// of the page's link; the page, polling, goes on by itself to the portal,
// which verifies the ID token and greets the resident by name. Screenshots
// of the login page and of the portal are test artefacts (go test
// -artifacts keeps them).
func TestLoginPageInChromium(t *testing.T) {
	path := chromium(t)
	ctx := context.Background()

	// The portal: its own loopback server, a registered client of the
	// provider whose redirect URI is exactly its callback.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	portalURL := "http://" + ln.Addr().String()
	wd := newWorld(t, oidcprovider.Client{ID: "portal-web", Name: "Portal Layanan Publik", Secret: portalSecret,
		RedirectURIs: []string{portalURL + "/callback"}})
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: "portal-web", ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalURL + "/callback",
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile}}
	pkce := oauth2.GenerateVerifier()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, conf.AuthCodeURL("portal-state", oauth2.S256ChallengeOption(pkce), gooidc.Nonce("portal-nonce")), http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != "portal-state" {
			http.Error(w, "state", http.StatusBadRequest)
			return
		}
		tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := op.Verifier(&gooidc.Config{ClientID: "portal-web"}).Verify(r.Context(), raw)
		if err != nil || idt.Nonce != "portal-nonce" {
			http.Error(w, fmt.Sprint(err), http.StatusBadRequest)
			return
		}
		var c struct {
			Name string `json:"name"`
		}
		idt.Claims(&c)
		fmt.Fprintf(w, `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Portal</title></head>
<body><h1 id="welcome">Selamat datang, %s</h1></body></html>`, html.EscapeString(c.Name))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	alloc, cancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, 1400))...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("Chromium: %s: %v", what, err)
		}
	}
	attr := func(sel, name string) string {
		t.Helper()
		a, err := chromedp.Run(bctx, chromedp.AttributeValue(sel, name))
		step(sel+" "+name, err)
		return a.Value
	}
	_, err = chromedp.Run(bctx, chromedp.Navigate(portalURL+"/start"))
	step("navigate", err)
	_, err = chromedp.Run(bctx, chromedp.WaitVisible("#qr"))
	step("the QR code", err)
	link, sameHref, lang, alt := attr("#cross-link", "href"), attr("#same-device", "href"), attr("html", "lang"), attr("#qr", "alt")
	status, err := chromedp.Run(bctx, chromedp.Text("#status"))
	step("status", err)
	loginShot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	step("screenshot", err)
	if !strings.HasPrefix(link, "openid4vp://") || !strings.HasPrefix(sameHref, "openid4vp://") || sameHref == link ||
		lang != "id" || alt == "" || !strings.Contains(status, "Menunggu") {
		t.Fatalf("page: link %q same-device %q lang %q alt %q status %q", link, sameHref, lang, alt, status)
	}
	saveShot(t, "login-page.png", loginShot)

	// The resident's wallet scans the QR code (its link) and consents.
	r, err := wd.w.ReadVPRequest(ctx, link, holder.VPOptions{Verifiers: wd.trust.Current()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wd.w.AnswerVPRequest(ctx, r, holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }}); err != nil {
		t.Fatal(err)
	}
	// The page goes on by itself: no reload, no click.
	_, err = chromedp.Run(bctx, chromedp.WaitVisible("#welcome"))
	step("the portal after the wallet answered", err)
	welcome, err := chromedp.Run(bctx, chromedp.Text("#welcome"))
	step("welcome", err)
	loc, err := chromedp.Run(bctx, chromedp.Location())
	step("location", err)
	portalShot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	step("screenshot", err)
	if welcome != "Selamat datang, RINA KARTIKA SARI" || !strings.HasPrefix(loc, portalURL+"/callback?") {
		t.Fatalf("portal %q at %s", welcome, loc)
	}
	saveShot(t, "portal.png", portalShot)
}

// saveShot checks that b is a PNG of a page and keeps it as a test
// artefact.
func saveShot(t *testing.T, name string, b []byte) {
	t.Helper()
	// FullScreenshot at quality 100 is a PNG.
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() < 300 || img.Bounds().Dy() < 300 {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
