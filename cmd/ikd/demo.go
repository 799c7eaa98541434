package main

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
)

const demoHelp = `usage: ikd demo [--dir DIR]

Runs the whole IKD story offline with fresh throw-away keys and synthetic data,
narrating each step: the trust-list operator; Dukcapil, the tax office (DJP) and
BPJS Kesehatan with their keys and certificates; registration and activation
with a one-time code into a PIN-protected wallet; a bank's signed request QR;
the wallet's consent and 90-second response QR (an identity check: NIK, name,
birth date, sex), drawn in the terminal; the bank's offline verification; and
the phone reported lost, after which the same verification fails as revoked.
Exits 0 only if every step behaved as expected.

  --dir DIR   also write the artefacts into DIR (created if missing), made at
              the end of the story, at the real time:
                issuer.jwk.json           the KTP-el issuer's public key (JWK)
                presentation-sdjwt.txt    a KTP-el SD-JWT VC + KB-JWT presentation
                presentation-sdjwt.json   {"nonce": ..., "aud": ...} of its KB-JWT
                iaca.pem                  Dukcapil's IACA root certificate
                device-response.cbor      a KTP-el mdoc DeviceResponse (device signature)
                session-transcript.cbor   the SessionTranscript it was signed over
                qr.txt                    an identity-check response QR's text
                qr.png                    the same QR as a PNG image
                status-list.jwt           Dukcapil's Status List Token as the bank
                                          cached it, before the phone was lost
                status-list-revoked.jwt   the same list after: every credential
                                          above is revoked in it

Example:
  ikd demo --dir out && ikd verify --trust out/issuer.jwk.json \
      --aud https://bank.example.co.id --status out/status-list.jwt out/qr.png
`

// demoCmd parses the demo's flags and runs it.
func demoCmd(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("demo", demoHelp, e)
	dir := fs.String("dir", "", "write the artefacts into `DIR`")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return demo(ctx, e, *dir)
}

// demo runs the story. Artefacts go to outDir when it is not empty.
func demo(ctx context.Context, e *env, outDir string) (err error) {
	w := e.stdout
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	step := 0
	head := func(title string) { step++; say("\n== %d. %s", step, title) }
	expect := func(ok bool, format string, args ...any) error {
		if !ok {
			return fmt.Errorf("step %d: "+format, append([]any{step}, args...)...)
		}
		return nil
	}
	work, err := os.MkdirTemp("", "ikd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return err
		}
	}
	write := func(name string, data []byte) error {
		if outDir == "" {
			return nil
		}
		return os.WriteFile(filepath.Join(outDir, name), data, 0o644)
	}
	// The story's clock starts 25m55s in the past and ends at the real
	// time, when the artefacts are made: other tools verify them within
	// their 90-second window right after the demo, and both status list
	// tokens are already issued then.
	clk := demoworld.NewClock(e.now().UTC().Truncate(time.Second).Add(-(25*time.Minute + 55*time.Second)))

	// 1. The trust list operator and the three issuers.
	head("The trust-list operator and the three issuing authorities")
	ktp, kk, npwp, bpjs, err := demoworld.ResidentDocuments()
	if err != nil {
		return err
	}
	opKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	dukcapil, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: work, ID: dukcapilID, Name: "Ditjen Dukcapil", Now: clk.Now,
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}})
	if err != nil {
		return err
	}
	defer dukcapil.Close()
	djp, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: work, ID: djpID, Name: "Direktorat Jenderal Pajak", Now: clk.Now,
		Types: []credential.TypeInfo{credential.NPWPType()}, Documents: []credential.Document{npwp}})
	if err != nil {
		return err
	}
	defer djp.Close()
	bpjsK, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: work, ID: bpjsID, Name: "BPJS Kesehatan", Now: clk.Now,
		Types: []credential.TypeInfo{credential.BPJSKesehatanType()}, Documents: []credential.Document{bpjs}})
	if err != nil {
		return err
	}
	defer bpjsK.Close()
	parties := []*demoworld.Party{dukcapil, djp, bpjsK}
	for _, p := range parties {
		var names []string
		for _, t := range p.Types {
			names = append(names, t.Name)
		}
		say("   %-26s %s  signs %s (ES256 key, IACA %q -> DS %q)", p.Name, p.ID, strings.Join(names, ", "),
			p.Root.Subject.CommonName, p.DS.Subject.CommonName)
	}
	bankKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	hospitalKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	// The bank's online service (OpenID4VP, step 6) listens on loopback.
	var lc net.ListenConfig
	online, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer online.Close()
	// The IKD login provider (OpenID Connect, step 7) too.
	loginLn, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer loginLn.Close()
	loginKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	idCheck, _ := credential.QRIdentityCheck()
	var idPaths []sdjwt.Path
	for _, p := range idCheck {
		idPaths = append(idPaths, sdjwt.Path(p))
	}
	list := &trustlist.List{Operator: operatorID, Sequence: 1, IssuedAt: clk.Now().Add(-time.Hour), NextUpdate: clk.Now().Add(24 * time.Hour),
		Verifiers: []trustlist.Verifier{{ID: bankID, Name: "Bank Contoh", Keys: []trustlist.Key{{ID: bankKeyID, Public: bankKey.Public()}},
			Claims: map[string][]string{credential.VCTQR: {credential.QRClaimID}}},
			{ID: hospitalID, Name: "RS Contoh", Keys: []trustlist.Key{{ID: hospitalKeyID, Public: hospitalKey.Public()}},
				Claims: map[string][]string{credential.VCTQR: {credential.QRClaimID}}},
			onlineBankRegistration(localhostURL(online), bankKey), loginRegistration(localhostURL(loginLn), loginKey)}}
	for _, p := range parties {
		list.Issuers = append(list.Issuers, p.TrustEntry())
	}
	listTok, err := trustlist.Sign(list, opKey, trustlist.SignOptions{KeyID: "op-2026"})
	if err != nil {
		return err
	}
	trust, err := trustlist.NewStore(opKey.Public(), trustlist.StoreOptions{Now: clk.Now})
	if err != nil {
		return err
	}
	if _, err := trust.Update(listTok); err != nil {
		return fmt.Errorf("trust list: %w", err)
	}
	say("   operator %s signed trust list #1 (%d bytes): 3 issuers, 4 registered verifiers (Bank Contoh, may ask for %v;",
		operatorID, len(listTok), idPaths)
	say("   RS Contoh, the same; Bank Contoh's online service %s, may ask for the KTP-el's %v;", localhostURL(online), vpIdentityClaims)
	say("   the IKD login provider %s, may ask for the KTP-el's %v)", localhostURL(loginLn), loginClaims)
	if err := write("issuer.jwk.json", mustJWK(dukcapil.Key.Public())); err != nil {
		return err
	}
	if err := write("iaca.pem", keys.MarshalCertificatesPEM(dukcapil.Root)); err != nil {
		return err
	}

	// 2. Registration and activation.
	head("Registration, operator confirmation and activation into a PIN-protected wallet")
	wal, err := holder.Create(ctx, filepath.Join(work, "wallet"), demoPIN, holder.Options{
		KDF: e.kdf, Trust: holder.TrustList(trust.Current()), Now: clk.Now})
	if err != nil {
		return err
	}
	defer wal.Close()
	say("   wallet created, protected by a 6-digit PIN (Argon2id t=%d m=%d KiB)", e.kdf.Time, e.kdf.MemoryKiB)
	for _, p := range parties {
		a, err := p.Activate(ctx, wal, "operator:kec-tebet-01")
		if err != nil {
			return fmt.Errorf("activation with %s: %w", p.Name, err)
		}
		var got []string
		for _, c := range a.Received.Credentials {
			got = append(got, fmt.Sprintf("%s (%s)", c.Name, c.Format))
		}
		say("   %s: registered NIK %s; the operator confirmed -> a credential offer (OpenID4VCI, by reference) and a %d-digit tx_code for the e-mail",
			p.Name, residentNK, len(a.Grant.Offer.TxCode))
		say("      the wallet read the issuer metadata, redeemed the pre-authorized code with the tx_code at %s/token,", p.ID)
		say("      proved its device key over a fresh c_nonce and received %d credentials, each verified before storing:", len(a.Received.Credentials))
		say("      %s", strings.Join(got, ", "))
	}
	all, err := wal.Credentials(ctx)
	if err != nil {
		return err
	}
	haveType := map[string]bool{}
	for _, c := range all {
		haveType[c.VCT] = true
	}
	for _, t := range []string{credential.VCTKTPEL, credential.VCTKK, credential.VCTNPWP, credential.VCTBPJSKesehatan} {
		if err := expect(haveType[t], "the wallet holds no %s", t); err != nil {
			return err
		}
	}
	wal.Lock()
	if err := wal.Unlock(ctx, "000000"); !errors.Is(err, holder.ErrWrongPIN) {
		return expect(false, "a wrong PIN was not refused: %v", err)
	}
	if err := wal.Unlock(ctx, demoPIN); err != nil {
		return err
	}
	say("   the wallet holds %d credentials: KTP-el, KK, NPWP, BPJS Kesehatan (+ the compact QR profile); a wrong PIN is refused", len(all))

	// The verifier: trust store, status cache fed by the issuers.
	cache, err := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: clk.Now})
	if err != nil {
		return err
	}
	for _, p := range parties {
		if _, err := p.Publish(ctx, cache); err != nil {
			return fmt.Errorf("status list of %s: %w", p.Name, err)
		}
	}
	// Dukcapil's one status list, as the bank cached it.
	statusToken := func() ([]byte, error) {
		recs, err := dukcapil.Issuer.StatusLists(ctx)
		if err != nil {
			return nil, err
		}
		if err := expect(len(recs) == 1, "Dukcapil has %d status lists, want 1", len(recs)); err != nil {
			return nil, err
		}
		return dukcapil.Issuer.StatusListToken(ctx, recs[0].Number)
	}
	tok, err := statusToken()
	if err != nil {
		return err
	}
	if err := write("status-list.jwt", tok); err != nil {
		return err
	}
	bank, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: clk.Now, ClockSkew: 5 * time.Second, Audience: bankID,
		Policy: verifier.Policy{Required: map[string][]string{credential.VCTQR: {credential.QRClaimID}}}})
	if err != nil {
		return err
	}

	// 3. The request QR.
	clk.Advance(10 * time.Minute)
	head("Bank Contoh shows a signed request QR: identity check (NIK, name, birth date, sex)")
	reqCode, nonce, err := verifierRequest(bankID, bankKeyID, bankKey, clk.Now())
	if err != nil {
		return err
	}
	say("   request QR: %d bytes (%s mode), QR version %d, nonce %x, valid 5 minutes", len(reqCode.Data), reqCode.Mode, reqCode.Version, nonce)

	// 4. Consent and the response QR.
	head("The wallet checks the request against the trust list and asks for consent")
	req, err := wal.ReadRequestQR(ctx, reqCode.Data, request.TrustListVerifiers(trust.Current()))
	if err != nil {
		return fmt.Errorf("reading the request QR: %w", err)
	}
	consented := false
	consent := func(_ context.Context, r holder.ConsentRequest) (bool, error) {
		say("   consent screen: %q (%s, verified: %v) asks, valid %s:", r.VerifierName, r.Verifier, r.Verified, r.ValidFor)
		for _, it := range r.Items {
			say("      %s (%s):", it.Credential, it.Format)
			shared := make(map[string]any, len(it.Claims))
			for _, c := range it.Claims {
				shared[c.Name] = c.Value
			}
			printClaims(e.stdout, "        ", shared)
		}
		say("   the user taps \"Bagikan\" (share)")
		consented = r.Verified
		return true, nil
	}
	pres, err := wal.Present(ctx, req, holder.PresentOptions{Consent: consent})
	if err != nil {
		return err
	}
	if err := expect(consented, "the consent screen did not show a verified verifier"); err != nil {
		return err
	}
	if err := expect(len(pres.Codes) == 1, "the identity check needs %d QR codes, want 1", len(pres.Codes)); err != nil {
		return err
	}
	if err := expect(pres.ExpiresAt.Sub(pres.Binding.IssuedAt) == qr.FreshnessWindow, "the QR is valid for %s", pres.ExpiresAt.Sub(pres.Binding.IssuedAt)); err != nil {
		return err
	}
	code := pres.Codes[0]
	// Issue 23's budget for the demo resident (docs/qr-format.md §8).
	if err := expect(code.Version <= demoQRBudget, "the identity-check QR needs version %d, budget %d", code.Version, demoQRBudget); err != nil {
		return err
	}
	png, err := qrcode.PNG(code, 4)
	if err != nil {
		return err
	}
	if back, err := qrcode.ScanImage(strings.NewReader(string(png))); err != nil || string(back) != string(code.Data) {
		return expect(false, "the PNG does not scan back to the QR text (%v)", err)
	}
	term, err := qrcode.Terminal(code)
	if err != nil {
		return err
	}
	say("   response QR: %d bytes (%s mode), version %d (level M), valid until %s (90 s); PNG %d bytes scans back to the same text",
		len(code.Data), code.Mode, code.Version, pres.ExpiresAt.Format(time.TimeOnly), len(png))
	fmt.Fprint(w, term)

	// 5. Offline verification.
	clk.Advance(20 * time.Second)
	head("The bank scans it 20 s later and verifies offline")
	res, err := bank.VerifyQRResponse(ctx, string(code.Data), nonce)
	if err != nil {
		return fmt.Errorf("verification of a good QR failed: %w", err)
	}
	c := res.Credentials()[0]
	say("   verified: %s (%s) from %q, presented %s ago, status %v (list %s old)",
		c.Type(), c.Format(), c.IssuerName(), res.VerifiedAt().Sub(c.PresentedAt()), statusName(c.Status()), c.StatusAge())
	printClaims(w, "      ", c.Claims())
	if err := expect(res.NIK() == residentNK && res.SameHolder(), "result NIK %q", res.NIK()); err != nil {
		return err
	}
	if _, err := bank.VerifyQRResponse(ctx, string(code.Data), nonce); !errors.Is(err, verifier.ErrReplay) {
		return expect(false, "a second scan of the same QR was not refused as a replay: %v", err)
	}
	say("   the same QR scanned again -> %v", verifier.ErrReplay)

	// 5b. A second verifier: another one-time copy.
	clk.Advance(5 * time.Minute)
	if _, err := dukcapil.Publish(ctx, cache); err != nil { // the hospital's status cache, refreshed
		return err
	}
	head("RS Contoh (a hospital) asks for the same identity check: the wallet shows another one-time copy")
	hospital, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: clk.Now, ClockSkew: 5 * time.Second, Audience: hospitalID,
		Policy: verifier.Policy{Required: map[string][]string{credential.VCTQR: {credential.QRClaimID}}}})
	if err != nil {
		return err
	}
	hReqCode, hNonce, err := verifierRequest(hospitalID, hospitalKeyID, hospitalKey, clk.Now())
	if err != nil {
		return err
	}
	hReq, err := wal.ReadRequestQR(ctx, hReqCode.Data, request.TrustListVerifiers(trust.Current()))
	if err != nil {
		return err
	}
	hPres, err := wal.Present(ctx, hReq, holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }})
	if err != nil {
		return err
	}
	clk.Advance(15 * time.Second)
	hRes, err := hospital.VerifyQRResponse(ctx, string(hPres.Codes[0].Data), hNonce)
	if err != nil {
		return fmt.Errorf("the hospital's verification failed: %w", err)
	}
	if err := expect(hRes.NIK() == residentNK, "hospital result NIK %q", hRes.NIK()); err != nil {
		return err
	}
	toBank, err := copyFacts(pres.Envelope.Presentations[0].SDJWT)
	if err != nil {
		return err
	}
	toHospital, err := copyFacts(hPres.Envelope.Presentations[0].SDJWT)
	if err != nil {
		return err
	}
	say("   verified by the hospital: the same NIK, name, birth date and sex")
	say("   what each verifier holds of the QR KTP-el, beyond the four values the resident disclosed:")
	say("      %-8s  %-24s  %-14s  %s", "", "device key (thumbprint)", "status index", "issuer signature")
	for _, f := range []struct {
		name string
		c    copyFact
	}{{"bank", toBank}, {"hospital", toHospital}} {
		say("      %-8s  %-24s  %-14d  %s…", f.name, f.c.key[:22]+"…", f.c.index, f.c.signature[:16])
	}
	if err := expect(toBank.key != toHospital.key && toBank.index != toHospital.index && toBank.signature != toHospital.signature &&
		toBank.issued == toHospital.issued, "the two presentations share a copy: %+v %+v", toBank, toHospital); err != nil {
		return err
	}
	left := -1
	if all, err := wal.Credentials(ctx); err == nil {
		for _, c := range all {
			if c.VCT == credential.VCTQR && c.Format == credential.FormatSDJWT {
				left = c.CopiesLeft()
			}
		}
	}
	say("   two copies of one batch (both dated %s) that share no key, index, signature, salt or digest: comparing notes,", time.Unix(toBank.issued, 0).UTC().Format(time.DateOnly))
	say("   the two can link them only by what she disclosed (here her NIK); the wallet has %d unused copies of the QR KTP-el left", left)

	// The online identity check (the story's clock stands still: it ends
	// at the real time).
	head("Online: the bank's app asks for an identity check over OpenID4VP (loopback); the wallet answers")
	if err := demoOnline(ctx, w, wal, trust, cache, bankKey, online, clk.Now); err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}

	head("Log in to a government portal with IKD (OpenID Connect; the wallet authenticates) and withdraw the grant")
	if err := demoLogin(ctx, w, wal, trust, cache, loginKey, loginLn, work, clk.Now); err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}

	// 6. The phone is lost.
	clk.Advance(10 * time.Minute)
	head("The phone is reported lost: Dukcapil revokes, the status list is updated")
	n, err := dukcapil.Issuer.ReportLost(ctx, "operator:kec-tebet-01", residentNK)
	if err != nil {
		return err
	}
	if err := expect(n > 0, "ReportLost revoked nothing"); err != nil {
		return err
	}
	if _, err := dukcapil.Publish(ctx, cache); err != nil {
		return err
	}
	if tok, err = statusToken(); err != nil {
		return err
	}
	if err := write("status-list-revoked.jwt", tok); err != nil {
		return err
	}
	say("   %d credentials of this phone revoked; the bank's status cache refreshed", n)
	reqCode, nonce, err = verifierRequest(bankID, bankKeyID, bankKey, clk.Now())
	if err != nil {
		return err
	}
	req, err = wal.ReadRequestQR(ctx, reqCode.Data, request.TrustListVerifiers(trust.Current()))
	if err != nil {
		return err
	}
	pres, err = wal.Present(ctx, req, holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }})
	if err != nil {
		return err
	}
	clk.Advance(20 * time.Second)
	_, err = bank.VerifyQRResponse(ctx, string(pres.Codes[0].Data), nonce)
	var ve *check.Error
	if !errors.Is(err, verifier.ErrRevoked) || !errors.As(err, &ve) || ve.Check != check.Status {
		return expect(false, "the same verification after the loss gave %v, want revoked", err)
	}
	say("   the same identity check now fails at the %q check: %v", ve.Check, ve.Err)

	// Artefacts in the raw formats, for other tools, made now.
	if outDir != "" {
		if err := rawArtefacts(ctx, wal, bankKey, request.TrustListVerifiers(trust.Current()), clk, write); err != nil {
			return err
		}
	}

	say("\n== done: every step behaved as expected")
	if outDir != "" {
		say("   artefacts in %s: issuer.jwk.json presentation-sdjwt.txt presentation-sdjwt.json iaca.pem device-response.cbor session-transcript.cbor qr.txt qr.png status-list.jwt status-list-revoked.jwt", outDir)
	}
	return nil
}

// demoQRBudget is the largest QR version (level M) the demo resident's
// identity-check response QR may need (docs/qr-format.md §8).
const demoQRBudget = 17

// verifierRequest makes a registered verifier's signed request QR for an
// identity check (docs/qr-format.md §10) and returns it with its nonce.
func verifierRequest(id, keyID string, key crypto.Signer, now time.Time) (qr.Code, []byte, error) {
	nonce, err := request.NewNonce(nil)
	if err != nil {
		return qr.Code{}, nil, err
	}
	req := request.Request{Verifier: id, Nonce: nonce, IssuedAt: now, Expires: now.Add(5 * time.Minute),
		Query: request.Query{Credentials: []request.CredentialQuery{{ID: "id", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTQR},
			Claims: []request.ClaimQuery{{Path: []any{credential.QRClaimID}}}}}}}
	code, err := request.Encode(req, request.SignOptions{Signer: key, KeyID: keyID})
	return code, nonce, err
}

// copyFact is what identifies one copy of an SD-JWT VC in a presentation.
type copyFact struct {
	key       string // RFC 7638 thumbprint of the cnf key
	index     int64  // status list index
	signature string // the issuer JWT's signature, base64url
	issued    int64  // iat
}

// copyFacts reads them from a presentation (already verified).
func copyFacts(presentation string) (copyFact, error) {
	parts := strings.Split(strings.Split(presentation, "~")[0], ".")
	if len(parts) != 3 {
		return copyFact{}, fmt.Errorf("not an SD-JWT presentation")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return copyFact{}, err
	}
	var claims struct {
		IAT int64 `json:"iat"`
		Cnf struct {
			JWK json.RawMessage `json:"jwk"`
		} `json:"cnf"`
		Status struct {
			StatusList struct {
				Idx int64 `json:"idx"`
			} `json:"status_list"`
		} `json:"status"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return copyFact{}, err
	}
	pub, err := keys.ParsePublicKey(claims.Cnf.JWK)
	if err != nil {
		return copyFact{}, err
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		return copyFact{}, err
	}
	return copyFact{key: tp, index: claims.Status.StatusList.Idx, signature: parts[2], issued: claims.IAT}, nil
}

// qrNonce is the KB-JWT nonce of a QR binding: its bytes in base64url
// without padding (docs/qr-format.md §5).
func qrNonce(n []byte) string { return base64.RawURLEncoding.EncodeToString(n) }

// mustJWK is the public JWK of a key this program generated.
func mustJWK(pub crypto.PublicKey) []byte {
	b, err := keys.MarshalPublicJWK(pub)
	if err != nil {
		panic(err) // a key from keys.Generate always marshals
	}
	return b
}

// statusName describes a status answer.
func statusName(a *statuslist.Answer) string {
	if a == nil {
		return "not checked"
	}
	return a.Status.String()
}

// printClaims prints claims as an aligned, sorted table, nested objects
// flattened with dots.
func printClaims(w io.Writer, indent string, claims map[string]any) {
	flat := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x)
			}
		case []byte:
			flat[prefix] = fmt.Sprintf("(%d bytes)", len(v))
		default:
			flat[prefix] = fmt.Sprint(v)
			switch prefix {
			case "iat", "exp", "nbf":
				if n, err := strconv.ParseInt(flat[prefix], 10, 64); err == nil {
					flat[prefix] = time.Unix(n, 0).UTC().Format(time.RFC3339)
				}
			}
		}
	}
	walk("", claims)
	names := make([]string, 0, len(flat))
	width := 0
	for k := range flat {
		if k == "cnf" || strings.HasPrefix(k, "cnf.") || strings.HasPrefix(k, "status.") {
			continue
		}
		names = append(names, k)
		width = max(width, len(k))
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "%s%-*s  %s\n", indent, width, k, flat[k])
	}
}

// rawArtefacts answers a new identity-check request QR of the bank, and
// presents the KTP-el as a raw SD-JWT VC + KB-JWT and as a raw mdoc
// DeviceResponse, and writes them.
func rawArtefacts(ctx context.Context, wal *holder.Wallet, bankKey crypto.Signer, lookup request.VerifierLookup, clk *demoworld.Clock,
	write func(string, []byte) error) error {
	yes := holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }}
	reqCode, _, err := verifierRequest(bankID, bankKeyID, bankKey, clk.Now())
	if err != nil {
		return err
	}
	req, err := wal.ReadRequestQR(ctx, reqCode.Data, lookup)
	if err != nil {
		return err
	}
	resp, err := wal.Present(ctx, req, yes)
	if err != nil {
		return err
	}
	png, err := qrcode.PNG(resp.Codes[0], 4)
	if err != nil {
		return err
	}
	if err := write("qr.txt", resp.Codes[0].Data); err != nil {
		return err
	}
	if err := write("qr.png", png); err != nil {
		return err
	}
	claims := []string{"personal_administrative_number", "name", "birthdate", "sex"}
	p, err := wal.Present(ctx, &holder.Request{Verifier: bankID, Items: []holder.RequestItem{{Type: credential.VCTKTPEL, Claims: claims}}}, yes)
	if err != nil {
		return err
	}
	sd := p.Envelope.Presentations[0].SDJWT
	meta, _ := json.Marshal(map[string]string{"nonce": qrNonce(p.Binding.Nonce), "aud": bankID})
	if err := write("presentation-sdjwt.txt", []byte(sd)); err != nil {
		return err
	}
	if err := write("presentation-sdjwt.json", meta); err != nil {
		return err
	}
	p, err = wal.Present(ctx, &holder.Request{Verifier: bankID, Items: []holder.RequestItem{{Type: credential.DocTypeKTPEL,
		Claims: []string{"personal_administrative_number", "name", "birth_date", "sex"}}}}, yes)
	if err != nil {
		return err
	}
	m := p.Envelope.Presentations[0].Mdoc
	st, err := qr.OfflineSessionTranscript(m.Binding)
	if err != nil {
		return err
	}
	if err := write("device-response.cbor", m.DeviceResponse); err != nil {
		return err
	}
	return write("session-transcript.cbor", st)
}
