package didkey

// VerificationMethodType names the form of the verification methods in a
// DID document (did:key v0.7 §3.1.1 option publicKeyFormat).
type VerificationMethodType string

// The supported verification method types.
const (
	// Multikey puts the key in publicKeyMultibase, the same multibase value
	// as in the DID (W3C Controlled Identifiers v1.0 §2.2.2). The default.
	Multikey VerificationMethodType = "Multikey"
	// JsonWebKey2020 puts the key in publicKeyJwk (W3C CCG "JSON Web
	// Signature 2020").
	JsonWebKey2020 VerificationMethodType = "JsonWebKey2020"
)

// JSON-LD contexts of the document (DID Core v1.0 §4.1, and the context
// that defines each verification method type).
const (
	ContextDIDv1          = "https://www.w3.org/ns/did/v1"
	ContextMultikeyV1     = "https://w3id.org/security/multikey/v1"
	ContextJsonWebKey2020 = "https://w3id.org/security/suites/jws-2020/v1"
)

// DocumentOptions control [DID.Document].
type DocumentOptions struct {
	// Type of the verification methods; the zero value means [Multikey].
	Type VerificationMethodType
	// EncryptionKeyDerivation adds, for an Ed25519 did:key, an X25519
	// verification method derived from the Ed25519 key as keyAgreement
	// (did:key v0.7 §3.1.1 option enableEncryptionKeyDerivation, §3.1.4).
	// Ignored for other key types.
	EncryptionKeyDerivation bool
}

// Document is a DID document (DID Core v1.0 §5) as produced by the did:key
// Document Creation Algorithm (v0.7 §3.1.1). Its JSON encoding is the
// application/did+ld+json representation.
type Document struct {
	Context              []string             `json:"@context"`
	ID                   string               `json:"id"`
	VerificationMethod   []VerificationMethod `json:"verificationMethod"`
	Authentication       []string             `json:"authentication,omitempty"`
	AssertionMethod      []string             `json:"assertionMethod,omitempty"`
	CapabilityInvocation []string             `json:"capabilityInvocation,omitempty"`
	CapabilityDelegation []string             `json:"capabilityDelegation,omitempty"`
	KeyAgreement         []string             `json:"keyAgreement,omitempty"`
}

// VerificationMethod is one verification method of a [Document] (DID Core
// v1.0 §5.2). Exactly one of PublicKeyMultibase and PublicKeyJwk is set.
type VerificationMethod struct {
	ID                 string     `json:"id"`
	Type               string     `json:"type"`
	Controller         string     `json:"controller"`
	PublicKeyMultibase string     `json:"publicKeyMultibase,omitempty"`
	PublicKeyJwk       *PublicJWK `json:"publicKeyJwk,omitempty"`
}

// Resolve parses a did:key and returns its DID document with [Multikey]
// verification methods. It is [Parse] followed by [DID.Document] with zero
// options. No network access happens.
func Resolve(did string) (*Document, error) {
	d, err := Parse(did)
	if err != nil {
		return nil, err
	}
	return d.Document(DocumentOptions{})
}

// Document returns the DID document of d (did:key v0.7 §3.1.1). For a
// signing key (everything but X25519) the single verification method is
// referenced from authentication, assertionMethod, capabilityInvocation
// and capabilityDelegation; an X25519 key is referenced only from
// keyAgreement. An unknown opts.Type gives [ErrRepresentationNotSupported].
func (d *DID) Document(opts DocumentOptions) (*Document, error) {
	typ := opts.Type
	if typ == "" {
		typ = Multikey
	}
	var ctx string
	switch typ {
	case Multikey:
		ctx = ContextMultikeyV1
	case JsonWebKey2020:
		ctx = ContextJsonWebKey2020
	default:
		return nil, newErr(d.s, ErrRepresentationNotSupported, "verification method type %q", typ)
	}
	doc := &Document{
		Context: []string{ContextDIDv1, ctx},
		ID:      d.s,
	}
	vm := d.verificationMethod(d, typ)
	doc.VerificationMethod = []VerificationMethod{vm}
	if d.typ == X25519 {
		doc.KeyAgreement = []string{vm.ID}
		return doc, nil
	}
	ref := []string{vm.ID}
	doc.Authentication = ref
	doc.AssertionMethod = append([]string(nil), ref...)
	doc.CapabilityInvocation = append([]string(nil), ref...)
	doc.CapabilityDelegation = append([]string(nil), ref...)
	if opts.EncryptionKeyDerivation && d.typ == Ed25519 {
		if x, ok := d.DeriveX25519(); ok {
			evm := x.verificationMethod(d, typ)
			doc.VerificationMethod = append(doc.VerificationMethod, evm)
			doc.KeyAgreement = []string{evm.ID}
		}
	}
	return doc, nil
}

// verificationMethod builds the method for key d controlled by the DID
// controller; its id is the controller DID plus "#" and d's multibase value
// (did:key v0.7 §3.1.2 step 6, §3.1.4).
func (d *DID) verificationMethod(controller *DID, typ VerificationMethodType) VerificationMethod {
	vm := VerificationMethod{
		ID:         controller.s + "#" + d.Multibase(),
		Type:       string(typ),
		Controller: controller.s,
	}
	if typ == JsonWebKey2020 {
		j := d.PublicJWK()
		vm.PublicKeyJwk = &j
	} else {
		vm.PublicKeyMultibase = d.Multibase()
	}
	return vm
}

// DeriveX25519 returns the X25519 did:key birationally equivalent to an
// Ed25519 did:key (RFC 7748 §4.1), as used for keyAgreement by the did:key
// Encryption Method Creation Algorithm (v0.7 §3.1.4). It returns false for
// other key types.
func (d *DID) DeriveX25519() (*DID, bool) {
	if d.typ != Ed25519 {
		return nil, false
	}
	u, ok := ed25519ToX25519(d.raw)
	if !ok {
		return nil, false
	}
	return build(X25519, u, nil), true
}
