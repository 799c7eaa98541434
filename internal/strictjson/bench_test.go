package strictjson

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// sdPayload is an SD-JWT VC payload with n _sd digests (as 43-character
// base64url strings) and the usual other members.
func sdPayload(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"iss":"https://issuer.example.id","vct":"https://credentials.example.id/ktp","iat":1764806400,"exp":1796342400,` +
		`"cnf":{"jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},"_sd":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		d := sha256.Sum256(fmt.Appendf(nil, "digest %d", i))
		fmt.Fprintf(&b, "%q", base64.RawURLEncoding.EncodeToString(d[:]))
	}
	b.WriteString(`],"_sd_alg":"sha-256"}`)
	return []byte(b.String())
}

// BenchmarkUnmarshalPayload decodes an SD-JWT VC payload of 20 and 100
// digests as sdjwt's Verify does: owned, boxed from one Boxes per decode,
// with the room for arrays lent from one decode to the next (as an
// sdjwt.Workspace lends it).
func BenchmarkUnmarshalPayload(b *testing.B) {
	for _, n := range []int{20, 100} {
		data := sdPayload(n)
		b.Run(fmt.Sprintf("digests=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var stack []any
			for b.Loop() {
				var boxes Boxes
				boxes.Reserve(n + 16)
				boxes.UseStack(stack)
				if _, err := UnmarshalObjectBoxed(data, 32, &boxes); err != nil {
					b.Fatal(err)
				}
				stack = boxes.Stack()
			}
		})
	}
}
