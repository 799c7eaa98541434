package mdoc

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// TestFinding11UnknownIssuerSignedMember is the regression test of finding
// 11: a DeviceResponse whose IssuerSigned "nameSpaces" key has one bit
// flipped ("NameSpaces") must not verify with every element silently
// dropped. ISO 18013-5 §8.3.2.1.2.2 closes IssuerSigned to {nameSpaces,
// issuerAuth}; an unknown member is a format error. Nothing but that one
// bit is changed: no re-encoding.
func TestFinding11UnknownIssuerSignedMember(t *testing.T) {
	_, _, resp, opts := newFixture(t)
	key := []byte("\x6anameSpaces")
	// DeviceSigned and IssuerSigned each have a "nameSpaces" key; the
	// document's keys in deterministic order are docType, deviceSigned,
	// issuerSigned, so IssuerSigned's is the last one.
	if n := bytes.Count(resp, key); n != 2 {
		t.Fatalf("%d nameSpaces keys in the response, want 2", n)
	}
	at := bytes.LastIndex(resp, key)
	if at < bytes.Index(resp, []byte("\x6cissuerSigned")) {
		t.Fatal("the last nameSpaces key is not IssuerSigned's")
	}
	bad := bytes.Clone(resp)
	bad[at+1] ^= 0x20 // 'n' -> 'N'

	got, err := Verify(bad, opts())
	if got != nil {
		t.Fatalf("verified with %d elements, error %v", len(got.Documents()[0].NameSpaces()[ktpDocType]), err)
	}
	var ce *check.Error
	if !errors.As(err, &ce) || ce.Check != check.Format || !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v, want a *check.Error with Check Format wrapping ErrMalformed", err)
	}
}

// addMember returns the map data with the member key = val added at the
// end of path (each element names a member holding a map). The maps on
// the path are re-encoded deterministically; the rest is kept.
func addMember(t *testing.T, data []byte, path []string, key any, val []byte) []byte {
	t.Helper()
	var m map[any]cbor.RawMessage
	if err := decMode.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(path) == 0 {
		if _, dup := m[key]; dup {
			t.Fatalf("member %v exists", key)
		}
		m[key] = val
	} else {
		inner, ok := m[path[0]]
		if !ok {
			t.Fatalf("no member %q", path[0])
		}
		m[path[0]] = addMember(t, inner, path[1:], key, val)
	}
	return mustMarshal(t, m)
}

// withMSO re-signs the document's MSO after edit changed it (the device
// signature does not cover the MSO, so it stays valid).
func withMSO(t *testing.T, pki *testPKI, resp []byte, edit func(d *documentWire, mso []byte) []byte) []byte {
	t.Helper()
	return editDoc(t, resp, func(d *documentWire) {
		msg, _, err := parseIssuerAuth(d.IssuerSigned.IssuerAuth, nil)
		if err != nil {
			t.Fatal(err)
		}
		inner, err := strictcbor.UnwrapTag24(msg.Payload)
		if err != nil {
			t.Fatal(err)
		}
		payload := strictcbor.WrapTag24(edit(d, bytes.Clone(inner)))
		if d.IssuerSigned.IssuerAuth, err = sign1(nil, pki.dsKey, map[int64]any{cose.HeaderX5Chain: pki.ds.Raw}, payload, false); err != nil {
			t.Fatal(err)
		}
	})
}

// TestUnknownMembersRejected: every ISO 18013-5 structure Verify reads is
// closed (§8.3.2.1.2.2, §9.1.2.4), so one unknown member, text or integer,
// makes the response malformed (finding 11); signed structures are
// re-signed so only the member is wrong. The Token Status List "status"
// map is the one open map: another status mechanism beside status_list
// verifies.
func TestUnknownMembersRejected(t *testing.T) {
	pki, _, resp, opts := newFixture(t)
	zero := []byte{0x00}
	// rawDoc edits the raw Document map of the response.
	rawDoc := func(path []string, key any) []byte {
		var r map[string]cbor.RawMessage
		if err := decMode.Unmarshal(resp, &r); err != nil {
			t.Fatal(err)
		}
		var docs []cbor.RawMessage
		if err := decMode.Unmarshal(r["documents"], &docs); err != nil {
			t.Fatal(err)
		}
		docs[0] = addMember(t, docs[0], path, key, zero)
		r["documents"] = mustMarshal(t, docs)
		return mustMarshal(t, r)
	}
	mso := func(path []string, key any) []byte {
		return withMSO(t, pki, resp, func(_ *documentWire, m []byte) []byte { return addMember(t, m, path, key, zero) })
	}
	itemWithMember := withMSO(t, pki, resp, func(d *documentWire, m []byte) []byte {
		items := d.IssuerSigned.NameSpaces[ktpDocType]
		inner, err := strictcbor.UnwrapTag24(items[0])
		if err != nil {
			t.Fatal(err)
		}
		it, err := parseIssuerSignedItem(inner)
		if err != nil {
			t.Fatal(err)
		}
		items[0] = strictcbor.WrapTag24(addMember(t, inner, nil, "x", zero))
		sum := sha256.Sum256(items[0])
		var mw msoWire
		if err := decode(decMode, m, &mw, tagTDate); err != nil {
			t.Fatal(err)
		}
		mw.ValueDigests[ktpDocType][*it.DigestID] = sum[:]
		return mustMarshal(t, mw)
	})
	keyAuth := withMSO(t, pki, resp, func(_ *documentWire, m []byte) []byte {
		return addMember(t, m, []string{"deviceKeyInfo"}, "keyAuthorizations", mustMarshal(t, map[string]any{"nameSpaces": []string{"other"}, "x": 0}))
	})
	for _, tc := range []struct {
		name string
		resp []byte
		doc  int // the Credential of the error
	}{
		{"DeviceResponse", addMember(t, resp, nil, "x", zero), -1},
		{"DeviceResponse, integer key", addMember(t, resp, nil, int64(1), zero), -1},
		{"Document", rawDoc(nil, "x"), 0},
		{"Document, integer key", rawDoc(nil, int64(-1)), 0},
		{"IssuerSigned", rawDoc([]string{"issuerSigned"}, "x"), 0},
		{"DeviceSigned", rawDoc([]string{"deviceSigned"}, "x"), 0},
		{"DeviceAuth", rawDoc([]string{"deviceSigned", "deviceAuth"}, "deviceMAC"), 0},
		{"MobileSecurityObject", mso(nil, "x"), 0},
		{"MobileSecurityObject, integer key", mso(nil, int64(7)), 0},
		{"ValidityInfo", mso([]string{"validityInfo"}, "validuntil"), 0},
		{"DeviceKeyInfo", mso([]string{"deviceKeyInfo"}, "x"), 0},
		{"KeyAuthorizations", keyAuth, 0},
		{"status_list", mso([]string{"status", "status_list"}, "x"), 0},
		{"IssuerSignedItem", itemWithMember, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(tc.resp, opts())
			var ce *check.Error
			if got != nil || !errors.As(err, &ce) || ce.Check != check.Format || ce.Err != ErrMalformed || ce.Credential != tc.doc {
				t.Fatalf("got %v, %v; want a format error for credential %d", got, err, tc.doc)
			}
			if !strings.Contains(err.Error(), "unknown member") {
				t.Fatalf("not rejected for the member: %v", err)
			}
		})
	}
	// The genuine response and one whose "status" names another mechanism
	// beside status_list verify.
	other := withMSO(t, pki, resp, func(_ *documentWire, m []byte) []byte {
		return addMember(t, m, []string{"status"}, "identifier_list", mustMarshal(t, map[string]any{"id": []byte{1}, "uri": "https://x.example"}))
	})
	for name, r := range map[string][]byte{"genuine": resp, "other status mechanism": other} {
		got, err := Verify(r, opts())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st := got.Documents()[0].Status(); st == nil || st.Index != 42 {
			t.Fatalf("%s: status %+v", name, st)
		}
	}
}
