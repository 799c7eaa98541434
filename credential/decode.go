package credential

// DocumentFromClaims decodes a complete SD-JWT VC claim set of the ikdkit
// type vct into its typed document (*KTPEL, *KK, *NPWP, *BPJSKesehatan or
// *BPJSKetenagakerjaan). An unknown vct fails with ErrWrongType.
func DocumentFromClaims(vct string, claims map[string]any) (Document, error) {
	var d Document
	var err error
	switch vct {
	case VCTKTPEL:
		d, err = KTPELFromClaims(claims)
	case VCTKK:
		d, err = KKFromClaims(claims)
	case VCTNPWP:
		d, err = NPWPFromClaims(claims)
	case VCTBPJSKesehatan:
		d, err = BPJSKesehatanFromClaims(claims)
	case VCTBPJSKetenagakerja:
		d, err = BPJSKetenagakerjaanFromClaims(claims)
	default:
		return nil, fieldErr("vct", ErrWrongType, "not an ikdkit credential type")
	}
	if err != nil {
		return nil, err // not a typed nil in a non-nil interface
	}
	return d, nil
}

// DocumentFromMdoc decodes the mdoc elements (namespace → element
// identifier → value) of the ikdkit doctype docType into its typed
// document. An unknown doctype fails with ErrWrongType.
func DocumentFromMdoc(docType string, ns map[string]map[string]any) (Document, error) {
	var d Document
	var err error
	switch docType {
	case DocTypeKTPEL:
		d, err = KTPELFromMdoc(ns)
	case DocTypeKK:
		d, err = KKFromMdoc(ns)
	case DocTypeNPWP:
		d, err = NPWPFromMdoc(ns)
	case DocTypeBPJSKesehatan:
		d, err = BPJSKesehatanFromMdoc(ns)
	case DocTypeBPJSKetenagakerja:
		d, err = BPJSKetenagakerjaanFromMdoc(ns)
	default:
		return nil, fieldErr("docType", ErrWrongType, "not an ikdkit doctype")
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}
