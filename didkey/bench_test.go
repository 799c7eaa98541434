package didkey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"testing"
)

var benchDIDs = []struct{ name, did string }{
	{"Ed25519", validEd},
	{"P-256", "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"},
	{"P-384", "did:key:z82Lm1MpAkeJcix9K8TMiLd5NMAhnwkjjCBeWHXyu3U4oT2MVJJKXkcVBgjGhnLBn2Kaau9"},
	{"secp256k1", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"},
}

func BenchmarkParse(b *testing.B) {
	for _, bd := range benchDIDs {
		b.Run(bd.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(bd.did); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResolvePublicKey(b *testing.B) {
	for _, bd := range benchDIDs {
		b.Run(bd.name, func(b *testing.B) {
			for b.Loop() {
				d, err := Parse(bd.did)
				if err != nil || d.PublicKey() == nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, bd := range benchDIDs[:2] {
		d, err := Parse(bd.did)
		if err != nil {
			b.Fatal(err)
		}
		pub := d.PublicKey()
		switch pub.(type) {
		case ed25519.PublicKey, *ecdsa.PublicKey:
		default:
			b.Fatalf("%T", pub)
		}
		b.Run(bd.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Encode(pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
