package oid4vp_test

import (
	"errors"
	"fmt"

	"github.com/ikdkit/ikdkit/oid4vp"
)

// A Wallet scans a QR code that carries a request by reference (§5.6)
// and learns where to fetch the signed Request Object, and how.
func ExampleParseAuthorizationRequest() {
	req, err := oid4vp.ParseAuthorizationRequest("openid4vp://?client_id=x509_san_dns%3Aclient.example.org" +
		"&request_uri=https%3A%2F%2Fclient.example.org%2Frequest%2Fvapof4ql2i7m41m68uep&request_uri_method=post")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := req.Client()
	fmt.Println(c.Prefix, c.ID)
	fmt.Println(req.RequestURIMethod, req.RequestURI)
	// Output:
	// x509_san_dns client.example.org
	// post https://client.example.org/request/vapof4ql2i7m41m68uep
}

// A request the Wallet cannot serve is refused with the error code to
// send back to the Verifier (§8.5).
func ExampleProtocolError() {
	_, err := oid4vp.ParseAuthorizationRequest("openid4vp://?client_id=x509_san_dns%3Aclient.example.org" +
		"&request_uri=https%3A%2F%2Fclient.example.org%2Fr&request_uri_method=PUT")
	var pe *oid4vp.ProtocolError
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, errors.Is(err, oid4vp.ErrMalformed))
		fmt.Println(oid4vp.ErrorResponseForm(err, "eyJhb...6-sVA").Encode())
	}
	// Output:
	// invalid_request_uri_method true
	// error=invalid_request_uri_method&error_description=request_uri_method+%27PUT%27+is+neither+get+nor+post&state=eyJhb...6-sVA
}

// A Verifier's page asks for one claim over the Digital Credentials API
// without signing; the Wallet reads the request it gets from the platform
// and answers through the API.
func ExampleDCAPIRequest() {
	q, _ := oid4vp.ParseQuery([]byte(`{"credentials":[{"id":"ktp","format":"dc+sd-jwt",` +
		`"meta":{"vct_values":["https://ikd.example.id/ktp"]},"claims":[{"path":["age_over_18"]}]}]}`))
	proto, data, err := oid4vp.DCAPIRequest(&oid4vp.AuthorizationRequest{
		ResponseType: oid4vp.ResponseTypeVPToken,
		ResponseMode: oid4vp.ResponseModeDCAPI,
		Nonce:        "n-0S6_WzA2Mj",
		DCQLQuery:    q,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(proto)

	// The Wallet.
	req, err := oid4vp.ParseDCAPIRequest(proto, data)
	if err != nil {
		fmt.Println(err)
		return
	}
	aud, _ := req.Audience("https://bank.example.id")
	fmt.Println(aud)
	resp := &oid4vp.AuthorizationResponse{VPToken: map[string][]string{"ktp": {"<SD-JWT with KB-JWT>"}}}
	out, _ := resp.DCAPIData(req)

	// The Verifier.
	got, err := oid4vp.ParseDCAPIResponse(out, oid4vp.ResponseOptions{Mode: oid4vp.ResponseModeDCAPI})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Error, len(got.VPToken["ktp"]))
	// Output:
	// openid4vp-v1-unsigned
	// origin:https://bank.example.id
	// <nil> 1
}
