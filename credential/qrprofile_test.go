package credential

import (
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// qrLeftOut are the KTP-el claims and elements the full QR profile
// leaves out (docs/qr-format.md §6.2), each with its reason.
var qrLeftOut = map[string]string{
	"picture":              "portrait: never fits one QR, frame sequences carry the full KTP-el",
	"portrait":             "portrait: never fits one QR, frame sequences carry the full KTP-el",
	"signature_usual_mark": "image: never fits one QR with other claims",
	"address.formatted":    "repeats the address components",
	"resident_address":     "repeats the address components",
	"address.country":      "constant: a KTP-el address is in Indonesia",
	"resident_country":     "constant: a KTP-el address is in Indonesia",
	"issuing_country":      "constant: a KTP-el is issued by Indonesia",
}

// TestQRFullCoversKTPEL: every claim of the full KTP-el is in exactly
// one group of the full QR profile, or left out for a documented reason,
// and the profile credential carries it.
func TestQRFullCoversKTPEL(t *testing.T) {
	k := sampleKTPEL(t)
	sd := k.QRFullSDJWTClaims(issueTime)
	t.Run("SD-JWT VC", func(t *testing.T) {
		for c, v := range k.SDJWTClaims(issueTime) {
			if c == "vct" {
				continue
			}
			names := []string{c}
			if obj, ok := v.(map[string]any); ok && c == "address" {
				names = names[:0]
				for m := range obj {
					names = append(names, c+"."+m)
				}
			}
			for _, n := range names {
				if _, ok := qrLeftOut[n]; ok {
					continue
				}
				g, ok := qrGroupOf(n)
				if !ok {
					t.Errorf("claim %s is in no group", n)
					continue
				}
				name, member, nested := strings.Cut(n, ".")
				grp, _ := sd[g].(map[string]any)
				got, ok := grp[name]
				if ok && nested {
					got, ok = got.(map[string]any)[member]
				}
				if (!ok || got == nil) && qrDefaults[n] != v {
					t.Errorf("claim %s missing from group %s", n, g)
				}
			}
		}
	})
	t.Run("mdoc", func(t *testing.T) {
		md := k.QRFullMdocElements(issueTime)[DocTypeQRFull]
		for e, v := range k.MdocElements(issueTime)[DocTypeKTPEL] {
			if _, ok := qrLeftOut[e]; ok {
				continue
			}
			g, ok := qrGroupOf(e)
			if !ok {
				t.Errorf("element %s is in no group", e)
				continue
			}
			if grp, _ := md[g].(map[string]any); grp[e] == nil && qrDefaults[e] != v {
				t.Errorf("element %s missing from group %s", e, g)
			}
		}
	})
	t.Run("groups are disjoint", func(t *testing.T) {
		seen := map[string]string{}
		for _, g := range qrGroups {
			for _, c := range append(append([]string{}, g.claims...), g.elemts...) {
				if prev, dup := seen[c]; dup && prev != g.name {
					t.Errorf("%s is in groups %s and %s", c, prev, g.name)
				}
				seen[c] = g.name
			}
		}
	})
}

// TestQRFullDefaults: the issuing authority is omitted only when it
// is the default, so the profile stays lossless.
func TestQRFullDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, authority string
		present         bool
	}{
		{"default authority omitted", "", false},
		{"other authority kept", "DINAS DUKCAPIL CONTOH", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleKTPEL(t).Fields()
			f.IssuingAuthority = tc.authority
			k, err := NewKTPEL(f)
			if err != nil {
				t.Fatal(err)
			}
			sd, _ := k.QRFullSDJWTClaims(issueTime)["issuance"].(map[string]any)
			md, _ := k.QRFullMdocElements(issueTime)[DocTypeQRFull]["issuance"].(map[string]any)
			_, inSD := sd["issuing_authority"]
			_, inMD := md["issuing_authority"]
			if inSD != tc.present || inMD != tc.present {
				t.Fatalf("issuing_authority present: SD-JWT %v, mdoc %v, want %v", inSD, inMD, tc.present)
			}
		})
	}
}

// TestQRProfileWire pins the compact QR profile's claims and elements of
// the sample KTP-el: its issued credentials, and so the QR sizes of
// docs/qr-format.md §8, depend on each byte.
func TestQRProfileWire(t *testing.T) {
	k := sampleKTPEL(t)
	sd, err := json.Marshal(k.QRSDJWTClaims(issueTime))
	if err != nil {
		t.Fatal(err)
	}
	const wantSD = `{"address":{"district":"TEBET","locality":"KOTA JAKARTA SELATAN","region":"DKI JAKARTA","region_code":"31.74.01.1003",` +
		`"rt":"004","rw":"009","street_address":"JL. KENANGA RAYA NO. 7","village":"MENTENG DALAM"},` +
		`"age_over_17":true,"age_over_18":true,"id":{"birthdate":"1995-08-17","name":"RINA KARTIKA SARI","nik":"3174015708950021","sex":2},"vct":"urn:ikd:qr:1"}`
	if string(sd) != wantSD {
		t.Errorf("SD-JWT VC claims\n got %s\nwant %s", sd, wantSD)
	}
	md, err := strictcbor.Marshal(k.QRMdocElements(issueTime))
	if err != nil {
		t.Fatal(err)
	}
	const wantMD = "a1781e69642e676f2e6b656d656e64616772692e64756b636170696c2e71722e31a4626964a4636e696b70333137343031353730" +
		"383935303032316373657802646e616d657152494e41204b415254494b4120534152496a62697274685f64617465d903ec6a3139" +
		"39352d30382d31376761646472657373a86b7265736964656e745f7274633030346b7265736964656e745f7277633030396d7265" +
		"736964656e745f63697479744b4f5441204a414b415254412053454c4154414e6e7265736964656e745f73746174656b444b4920" +
		"4a414b415254416f7265736964656e745f737472656574764a4c2e204b454e414e47412052415941204e4f2e2037707265736964" +
		"656e745f76696c6c6167656d4d454e54454e472044414c414d717265736964656e745f6469737472696374655445424554747265" +
		"736964656e745f726567696f6e5f636f64656d33312e37342e30312e313030336b6167655f6f7665725f3137f56b6167655f6f76" +
		"65725f3138f5"
	if got := hex.EncodeToString(md); got != wantMD {
		t.Errorf("mdoc elements\n got %s\nwant %s", got, wantMD)
	}
}

func TestQRTypes(t *testing.T) {
	for _, tc := range []struct {
		ti           TypeInfo
		vct, docType string
		disclosable  []ClaimPath
	}{
		{QRType(), VCTQR, DocTypeQR, []ClaimPath{{QRClaimID}, {QRClaimAddress}, {QRClaimAgeOver17}, {QRClaimAgeOver18}}},
		{QRFullType(), VCTQRFull, DocTypeQRFull, []ClaimPath{{"id"}, {"age_over"}, {"address"}, {"civil"}, {"issuance"}, {"age"}}},
	} {
		t.Run(tc.ti.Name, func(t *testing.T) {
			if tc.ti.VCT != tc.vct || tc.ti.DocType != tc.docType || tc.ti.Namespace != tc.docType {
				t.Fatalf("type %+v", tc.ti)
			}
			if got := tc.ti.SelectivelyDisclosable(); !reflect.DeepEqual(got, tc.disclosable) {
				t.Fatalf("disclosable %v, want %v", got, tc.disclosable)
			}
			// Derived from a KTP-el, not a document type of its own.
			if _, ok := TypeByVCT(tc.vct); ok {
				t.Fatal("found by TypeByVCT")
			}
			if _, ok := TypeByDocType(tc.docType); ok {
				t.Fatal("found by TypeByDocType")
			}
		})
	}
	// Every group of the full profile is a top-level claim of its claim
	// set, so an issuer finds it with ClaimPath.In.
	claims := sampleKTPEL(t).QRFullSDJWTClaims(issueTime)
	for _, p := range QRFullType().SelectivelyDisclosable() {
		if !p.In(claims) {
			t.Errorf("group %v missing from the sample's full QR profile", p)
		}
	}
}

func TestQRChecks(t *testing.T) {
	paths, md := QRIdentityCheck()
	if !reflect.DeepEqual(paths, []ClaimPath{{QRClaimID}}) || !reflect.DeepEqual(md, map[string][]string{DocTypeQR: {QRClaimID}}) {
		t.Fatalf("identity check %v %v", paths, md)
	}
	for years, name := range map[int]string{17: QRClaimAgeOver17, 18: QRClaimAgeOver18} {
		paths, md, ok := QRAgeCheck(years)
		if !ok || !reflect.DeepEqual(paths, []ClaimPath{{name}}) || !reflect.DeepEqual(md, map[string][]string{DocTypeQR: {name}}) {
			t.Fatalf("age check %d: %v %v %v", years, paths, md, ok)
		}
	}
	for _, years := range []int{0, 16, 19, 21} {
		if _, _, ok := QRAgeCheck(years); ok {
			t.Fatalf("age check %d exists", years)
		}
	}
	// The address check discloses the compact profile's address group,
	// which holds the members of the full profile's address group.
	paths, md = QRAddressCheck()
	if !reflect.DeepEqual(paths, []ClaimPath{{QRClaimAddress}}) || !reflect.DeepEqual(md, map[string][]string{DocTypeQR: {QRClaimAddress}}) {
		t.Fatalf("address check %v %v", paths, md)
	}
	k := sampleKTPEL(t)
	sdAddr, _ := k.QRSDJWTClaims(issueTime)[QRClaimAddress].(map[string]any)
	mdAddr, _ := k.QRMdocElements(issueTime)[DocTypeQR][QRClaimAddress].(map[string]any)
	fullSD, _ := k.QRFullSDJWTClaims(issueTime)["address"].(map[string]any)
	fullMD, _ := k.QRFullMdocElements(issueTime)[DocTypeQRFull]["address"].(map[string]any)
	if !reflect.DeepEqual(sdAddr, fullSD["address"]) || !reflect.DeepEqual(mdAddr, fullMD) || len(sdAddr) != 8 || len(mdAddr) != 8 {
		t.Fatalf("compact address %v / %v, full profile %v / %v", sdAddr, mdAddr, fullSD, fullMD)
	}
	group := "address"
	for _, c := range []string{"address.street_address", "address.rt", "address.rw", "address.village", "address.district",
		"address.locality", "address.region", "resident_street", "resident_rt", "resident_village", "resident_state"} {
		if g, ok := qrGroupOf(c); !ok || g != group {
			t.Errorf("%s is in group %q, not in the address check's %q", c, g, group)
		}
	}
}
