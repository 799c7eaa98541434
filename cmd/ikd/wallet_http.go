package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// maxServiceResponse caps a response body of the issuer service: a
// credential response carries a few credentials of at most
// holder.MaxRecordSize each, in practice tens of KiB in all.
const maxServiceResponse = 4 << 20

// maxServiceError caps the error_description shown to the user.
const maxServiceError = 300

// issuerClient is holder.IssuerService over HTTP against the endpoints of
// examples/issuer-service: POST /nonce (OpenID4VCI 1.0 §7, the Nonce
// Endpoint) and POST /credential (the §8 Credential Endpoint's shape, with
// the registration id and activation code in the body).
type issuerClient struct {
	base    *url.URL
	hc      *http.Client
	timeout time.Duration
}

var _ holder.IssuerService = (*issuerClient)(nil)

// serviceError is an error answer of the issuer service: OpenID4VCI 1.0
// §8.3.1.2 {error, error_description}.
type serviceError struct {
	Status      int
	Code        string
	Description string
}

func (e *serviceError) Error() string {
	s := "issuer service: "
	if e.Code != "" {
		s += e.Code
		if e.Description != "" {
			s += ": " + e.Description
		}
	} else {
		s += "unexpected answer"
	}
	return fmt.Sprintf("%s (HTTP %d)", s, e.Status)
}

// newIssuerClient checks the service URL: https, or http to a loopback
// address only (the demo service), with no query, fragment or user info.
func newIssuerClient(raw string, timeout time.Duration) (*issuerClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("want an https URL with a host and no query, got %q", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("http is allowed only to a loopback address; use https for %s", u.Host)
		}
	default:
		return nil, fmt.Errorf("want an https URL, got scheme %q", u.Scheme)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	hc := &http.Client{
		Timeout: timeout,
		// A redirect of a POST carrying the activation code is refused,
		// not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &issuerClient{base: u, hc: hc, timeout: timeout}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Nonce asks the Nonce Endpoint for a fresh c_nonce (OpenID4VCI 1.0 §7.2).
func (c *issuerClient) Nonce(ctx context.Context) (string, time.Time, error) {
	data, err := c.post(ctx, "/nonce", nil)
	if err != nil {
		return "", time.Time{}, err
	}
	var out struct {
		CNonce string `json:"c_nonce"`
	}
	if err := decodeStrict(data, &out); err != nil {
		return "", time.Time{}, fmt.Errorf("issuer service: malformed answer on /nonce: %v", err)
	}
	if out.CNonce == "" || len(out.CNonce) > 1024 {
		return "", time.Time{}, errors.New("issuer service: the nonce response has no usable c_nonce")
	}
	return out.CNonce, time.Time{}, nil
}

// credentialResponse is the service's answer on /credential.
type credentialResponse struct {
	Credentials []struct {
		Credential string `json:"credential"`
		Format     string `json:"format"`
		VCT        string `json:"vct"`
		ID         string `json:"credential_id"`
	} `json:"credentials"`
	BindingID string `json:"binding_id"`
}

// Redeem redeems the code with the key proof (OpenID4VCI 1.0 §8.2
// proofs.jwt) and decodes the credentials: an SD-JWT VC as its compact
// text, an mdoc as base64url of the IssuerSigned CBOR (issuer.Credential.Encoded).
func (c *issuerClient) Redeem(ctx context.Context, registrationID, code, proof string) ([]oid4vci.IssuedCredential, error) {
	body := map[string]any{
		"registration_id": registrationID,
		"activation_code": code,
		"proofs":          map[string][]string{"jwt": {proof}},
	}
	data, err := c.post(ctx, "/credential", body)
	if err != nil {
		return nil, err
	}
	return decodeCredentialResponse(data)
}

// decodeCredentialResponse decodes the /credential answer strictly (no
// duplicate or unknown members, at most holder.MaxCredentials credentials
// of a known format) into what holder.Wallet.Activate imports.
func decodeCredentialResponse(data []byte) ([]oid4vci.IssuedCredential, error) {
	var out credentialResponse
	if err := decodeStrict(data, &out); err != nil {
		return nil, fmt.Errorf("issuer service: malformed answer on /credential: %v", err)
	}
	if len(out.Credentials) == 0 || len(out.Credentials) > holder.MaxCredentials {
		return nil, fmt.Errorf("issuer service: %d credentials in the response", len(out.Credentials))
	}
	var issued []oid4vci.IssuedCredential
	for i, rc := range out.Credentials {
		ic := oid4vci.IssuedCredential{Format: credential.Format(rc.Format)}
		switch ic.Format {
		case credential.FormatSDJWT:
			ic.Data = []byte(rc.Credential)
		case credential.FormatMdoc:
			data, err := b64url(rc.Credential)
			if err != nil {
				return nil, fmt.Errorf("issuer service: credential %d: mdoc not in base64url: %v", i+1, err)
			}
			ic.Data = data
		default:
			return nil, fmt.Errorf("issuer service: credential %d: unknown format %.40q", i+1, rc.Format)
		}
		issued = append(issued, ic)
	}
	return issued, nil
}

// post sends a JSON body (or none) and returns a 200 answer's body, at most
// maxServiceResponse bytes; an error answer becomes a *serviceError.
func (c *issuerClient) post(ctx context.Context, path string, body any) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := *c.base
	u.Path += path
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("issuer service: POST %s: %v", u.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxServiceResponse+1))
	if err != nil {
		return nil, fmt.Errorf("issuer service: reading the answer: %v", err)
	}
	if len(data) > maxServiceResponse {
		return nil, fmt.Errorf("issuer service: answer larger than %d bytes", maxServiceResponse)
	}
	if resp.StatusCode != http.StatusOK {
		se := &serviceError{Status: resp.StatusCode}
		var eb struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(data, &eb) == nil {
			se.Code, se.Description = printable(eb.Error, 64), printable(eb.Description, maxServiceError)
		}
		return nil, se
	}
	return data, nil
}

// printable keeps at most n runes of s, with control and other
// non-printable characters (a hostile service's terminal escapes) dropped.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("...")
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			n--
		}
	}
	return b.String()
}
