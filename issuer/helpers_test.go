package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/internal/pgtest"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const (
	testIssuer = "https://dukcapil.example.go.id"
	testNIK    = "3174015708950021"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Follow sets the clock to t0 plus the real time elapsed since start.
// Benchmarks call it before each batch so that the issuer's clock moves
// as a deployed one does: record IDs begin with the time (newID), and a
// frozen clock would scatter every insert over the whole ID index.
func (c *clock) Follow(start time.Time) {
	c.mu.Lock()
	c.t = t0.Add(time.Since(start))
	c.mu.Unlock()
}

var fakeJPEG = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9}

func sampleKTPEL(testing.TB) *credential.KTPEL { return mustKTPEL() }

// mustKTPEL builds the sample KTP-el; it panics on error (constant input).
func mustKTPEL() *credential.KTPEL {
	k, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK(testNIK), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		BloodType: credential.BloodO,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin,
		Occupation:  credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, Portrait: fakeJPEG, IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2},
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if err != nil {
		panic(err)
	}
	return k
}

func sampleNPWP(t testing.TB) *credential.NPWP {
	t.Helper()
	n, err := credential.NewNPWP(credential.NPWPFields{
		Number: testNIK, TaxpayerType: credential.OPPenduduk, Name: "RINA KARTIKA SARI",
		NIK: credential.MustParseNIK(testNIK), TaxOfficeCode: "012", TaxOfficeName: "KPP PRATAMA JAKARTA TEBET",
		RegistrationDate: credential.Date{Year: 2016, Month: 5, Day: 10}, ValidationStatus: credential.NPWPValid,
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testPKI returns an IACA root and a document signer certificate for key.
func testPKI(t testing.TB, ds crypto.Signer) (root, leaf *x509.Certificate) {
	t.Helper()
	root, leaf, err := makePKI(ds)
	if err != nil {
		t.Fatal(err)
	}
	return root, leaf
}

func makePKI(ds crypto.Signer) (root, leaf *x509.Certificate, err error) {
	iacaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	mk := func(tmpl, parent *x509.Certificate, pub any, signer crypto.Signer) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, e := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if e != nil {
			err = e
			return nil
		}
		c, e := x509.ParseCertificate(der)
		if e != nil {
			err = e
		}
		return c
	}
	root = mk(&x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test IACA", Country: []string{"ID"}},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}, nil, iacaKey.Public(), iacaKey)
	leaf = mk(&x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test DS", Country: []string{"ID"}},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(3, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}},
	}, root, ds.Public(), iacaKey)
	return root, leaf, err
}

// env is a test issuer over a fresh store: a SQLite file, or a PostgreSQL
// database of its own (see forEachStore).
type env struct {
	t     testing.TB
	ctx   context.Context
	path  string // the store's DSN: the SQLite file's path, or a postgres:// URL
	clock *clock
	key   crypto.Signer
	root  *x509.Certificate
	cfg   Config
	iss   *Issuer
	st    Store          // the open store
	store *SQLiteStore   // st when it is SQLite, nil otherwise
	pg    *PostgresStore // st when it is PostgreSQL, nil otherwise
}

// backend names a Store implementation the tests run on.
type backend string

const (
	sqliteBackend   backend = "SQLite"
	postgresBackend backend = "Postgres"
)

// forEachStore runs test as a subtest on each backend: SQLite, and
// PostgreSQL (skipped by pgtest.DSN when IKDKIT_TEST_POSTGRES_DSN is
// unset).
func forEachStore(t *testing.T, test func(t *testing.T, b backend)) {
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(string(b), func(t *testing.T) { test(t, b) })
	}
}

func newEnv(t testing.TB, mod ...func(*Config)) *env {
	t.Helper()
	return newEnvOn(t, sqliteBackend, mod...)
}

func newEnvOn(t testing.TB, b backend, mod ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: &clock{t: t0}}
	if b == postgresBackend {
		e.path = pgtest.DSN(t)
	} else {
		e.path = filepath.Join(t.TempDir(), "issuer.db")
	}
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.key = keys.Opaque(k)
	root, leaf := testPKI(t, k)
	e.root = root
	e.cfg = Config{
		Identifier: testIssuer,
		Signer:     e.key,
		KeyID:      "dukcapil-2026",
		Chain:      []*x509.Certificate{leaf},
		Types:      []credential.TypeInfo{credential.KTPELType(), credential.KKType()},
		StatusList: StatusListConfig{BaseURI: testIssuer + "/status", Size: 1024},
		Documents: DocumentsFunc(func(ctx context.Context, nik credential.NIK) ([]credential.Document, error) {
			return []credential.Document{sampleKTPEL(t)}, nil
		}),
		Now: e.clock.Now,
	}
	for _, m := range mod {
		m(&e.cfg)
	}
	e.open()
	t.Cleanup(func() { e.st.Close() })
	return e
}

// open (re)opens the store and the issuer.
func (e *env) open() {
	e.t.Helper()
	s, err := OpenStore(e.ctx, e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = s
	e.store, _ = s.(*SQLiteStore)
	e.pg, _ = s.(*PostgresStore)
	e.cfg.Store = s
	if e.iss, err = New(e.ctx, e.cfg); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) reopen() {
	e.t.Helper()
	e.st.Close()
	e.open()
}

// queryRow runs a query of one row on e's database, outside the Store, on
// either backend: q is written for SQLite, with ? placeholders, in SQL
// PostgreSQL also reads.
func (e *env) queryRow(q string, args ...any) scanner {
	if e.pg != nil {
		return e.pg.pool.QueryRow(e.ctx, dollarParams(q), args...)
	}
	return e.store.db.QueryRow(q, args...)
}

// dollarParams rewrites the ? placeholders of q as PostgreSQL's $1, $2, ...
func dollarParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// registerConfirm registers testNIK and returns the grant.
func (e *env) registerConfirm() *ActivationGrant {
	e.t.Helper()
	r, err := e.iss.Register(e.ctx, RegisterRequest{NIK: testNIK, Email: "rina@example.id", Phone: "0812-3456-7890"})
	if err != nil {
		e.t.Fatal(err)
	}
	g, err := e.iss.Confirm(e.ctx, "operator:kec-tebet-01", r.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

func newDevice(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return keys.Opaque(k)
}

// proof gets a nonce and signs a proof with device.
func (e *env) proof(device crypto.Signer) string {
	e.t.Helper()
	n, _, err := e.iss.Nonce(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := oid4vci.SignProof(nil, device, testIssuer, n, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// activation is what a test activation over OpenID4VCI gave: the binding
// its session made, the binding it replaced (one NIK, one phone) with the
// number of that binding's credentials it revoked, and the credentials
// of every configuration offered, as their records and responses say.
type activation struct {
	Binding     Binding
	Replaced    *Binding
	Revoked     int
	Credentials []Credential
}

// activate registers and confirms testNIK and activates device with the
// offer (see activateOffer).
func (e *env) activate(device crypto.Signer) *activation {
	e.t.Helper()
	return e.activateOffer(e.registerConfirm().Offer, device)
}

// activateOffer runs the Pre-Authorized Code Flow through a Handler of
// e.iss: the offer is redeemed at the token endpoint (Bearer), and every
// configuration it offers is asked for with one proof by device over a
// fresh c_nonce.
func (e *env) activateOffer(o *Offer, device crypto.Signer) *activation {
	e.t.Helper()
	h, err := NewHandler(e.iss, HandlerConfig{})
	if err != nil {
		e.t.Fatal(err)
	}
	he := &hEnv{env: e, h: h}
	var nik string
	if err := e.queryRow(`SELECT r.nik FROM registrations r JOIN offers o ON o.registration_id = r.id WHERE o.id = ?`, o.ID).Scan(&nik); err != nil {
		e.t.Fatal(err)
	}
	// The NIK's binding before, and which of its credentials were valid.
	var old *Binding
	valid := map[string]bool{}
	e.view(func(tx Tx) error {
		b, err := tx.ActiveBinding(nik)
		if isErr(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		old = b
		recs, err := tx.CredentialsOfBinding(b.ID)
		for _, r := range recs {
			valid[r.ID] = r.RevokedAt.IsZero()
		}
		return err
	})

	s := he.redeemOffer(o, nil)
	type response struct {
		config string
		cr     *oid4vci.CredentialResponse
	}
	var resps []response
	for _, id := range o.Offer.CredentialConfigurationIDs {
		resps = append(resps, response{id, he.issue(s, id, device)})
	}

	a := &activation{}
	lists, err := e.iss.StatusLists(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	e.view(func(tx Tx) error {
		sess, err := tx.Session(accessTokenHash(s.token))
		if err != nil {
			return err
		}
		b, err := tx.Binding(sess.BindingID)
		if err != nil {
			return err
		}
		a.Binding = *b
		for _, r := range resps {
			c := e.iss.configs[r.config]
			n, err := tx.Notification(r.cr.NotificationID)
			if err != nil {
				return err
			}
			issued, err := r.cr.Issued(c.format)
			if err != nil {
				return err
			}
			if len(n.CredentialIDs) != len(issued) {
				e.t.Fatalf("%s: %d credentials recorded, %d returned", r.config, len(n.CredentialIDs), len(issued))
			}
			for i, id := range n.CredentialIDs {
				rec, err := tx.Credential(id)
				if err != nil {
					return err
				}
				ref := statuslist.Reference{Index: rec.Index}
				for _, l := range lists {
					if l.Number == rec.List {
						ref.URI = l.URI
					}
				}
				a.Credentials = append(a.Credentials, Credential{ID: rec.ID, VCT: rec.VCT, DocType: c.docType(), Format: rec.Format,
					Profile: rec.Profile, Status: ref, IssuedAt: rec.IssuedAt, ExpiresAt: rec.ExpiresAt, Data: issued[i].Data})
			}
		}
		if old == nil {
			return nil
		}
		if b, err := tx.Binding(old.ID); err != nil {
			return err
		} else if b.State == BindingRevoked {
			a.Replaced = b
		}
		recs, err := tx.CredentialsOfBinding(old.ID)
		for _, r := range recs {
			if valid[r.ID] && !r.RevokedAt.IsZero() {
				a.Revoked++
			}
		}
		return err
	})
	return a
}

// view runs fn in a read transaction of e's store and fails the test on
// an error.
func (e *env) view(fn func(Tx) error) {
	e.t.Helper()
	if err := e.st.View(e.ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}
