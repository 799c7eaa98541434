package trustlist

import "slices"

// NewLocal validates a list built in code — a verifier's own configuration,
// a test — with the rules [Sign] and [Verify] apply (identifiers, keys,
// certificates, types, sizes, next_update after iat) and returns it indexed,
// so that its lookups work as on a verified list.
//
// WARNING: a local list is not signed and no operator vouches for it: the
// caller does. Use it for trust the caller configured itself (keys it was
// given out of band), never for a list that arrived over a network or from
// a file someone else wrote; those come through [Verify] or a [Store].
//
// The returned list has its own Issuers and Verifiers slices but shares the
// keys, certificates, type lists and claim maps of l: do not modify them
// afterwards.
func NewLocal(l *List) (*List, error) {
	if l == nil {
		return nil, errorf("local", ErrOptions, "list is required")
	}
	cp := &List{Operator: l.Operator, Sequence: l.Sequence, IssuedAt: l.IssuedAt, NextUpdate: l.NextUpdate,
		Issuers: slices.Clone(l.Issuers), Verifiers: slices.Clone(l.Verifiers)}
	if err := validate(cp); err != nil {
		return nil, err
	}
	return cp, nil
}
