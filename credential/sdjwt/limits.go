package sdjwt

// Limits on untrusted input. They are generous for real credentials (a
// KTP-el SD-JWT VC is about 3 KiB with 20 disclosures) and keep the cost of
// hostile input bounded.
const (
	// MaxTokenSize caps the length in bytes of an SD-JWT or SD-JWT+KB.
	MaxTokenSize = 256 << 10
	// MaxDisclosures caps the number of disclosures in one SD-JWT.
	MaxDisclosures = 1024
	// MaxDepth caps JSON nesting (arrays and objects) in the payload and in
	// each disclosure, and the depth of recursive disclosures.
	MaxDepth = 32
	// MaxDigests caps the total number of digests (_sd entries and array
	// "..." entries, decoys included) in the payload and disclosures.
	MaxDigests = 4096
)
