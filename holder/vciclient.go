package holder

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/oid4vci"
)

// DefaultReceiveTimeout is the time limit of each HTTP request of
// [Wallet.ReceiveOffer] when ReceiveOptions.HTTPClient is nil.
const DefaultReceiveTimeout = 30 * time.Second

// maxNotificationResponse caps the body of a Notification Response: 204,
// no content (§11.2).
const maxNotificationResponse = 4 << 10

// vciClient is the wallet's HTTP side of OpenID4VCI: capped bodies, no
// redirects, error responses as *oid4vci.ProtocolError, and DPoP (RFC 9449)
// with an ephemeral key when one is set.
type vciClient struct {
	hc   *http.Client
	rand io.Reader
	now  func() time.Time

	// dpop is the session's DPoP key; nil: no DPoP. asNonce and rsNonce
	// are the last DPoP nonces of the Authorization Server and of the
	// Credential Issuer's protected resources (RFC 9449 §8, §9: each
	// server has its own).
	dpop             crypto.Signer
	asNonce, rsNonce string

	// token and scheme are the access token and its type (Bearer or
	// DPoP) once the token request succeeded.
	token, scheme string
}

func newVCIClient(hc *http.Client, rand io.Reader, now func() time.Time) *vciClient {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Timeout = DefaultReceiveTimeout
	}
	// Never follow a redirect: it could lead a request carrying the
	// pre-authorized code, the tx_code or the access token elsewhere, or
	// from https to http. A 3xx is an error.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &vciClient{hc: &c, rand: rand, now: now}
}

// errOverCap reports a response body over its cap.
type errOverCap struct {
	url string
	max int
}

func (e *errOverCap) Error() string {
	return fmt.Sprintf("the response of %.200s is over the %d-byte cap", e.url, e.max)
}

// send does one request. A 2xx response's body is read, at most max
// bytes, and with wantJSON its media type must be application/json. An
// error response becomes the *oid4vci.ProtocolError of oid4vci.ReadError;
// a redirect is an error. The response is returned (its body closed)
// whenever there was one, for its headers.
func (c *vciClient) send(req *http.Request, max int, wantJSON bool) (*http.Response, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp, nil, fmt.Errorf("%s %.200s: redirect (HTTP %d) not followed", req.Method, req.URL.Redacted(), resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return resp, nil, oid4vci.ReadError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return resp, nil, fmt.Errorf("%s %.200s: reading the response: %w", req.Method, req.URL.Redacted(), err)
	}
	if len(body) > max {
		return resp, nil, &errOverCap{url: req.URL.Redacted(), max: max}
	}
	if wantJSON {
		if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return resp, nil, fmt.Errorf("%w: %s %.200s: the response is %.64q, not application/json",
				oid4vci.ErrMalformed, req.Method, req.URL.Redacted(), resp.Header.Get("Content-Type"))
		}
	}
	return resp, body, nil
}

// getJSON fetches a JSON document (an offer by reference, metadata) with
// an HTTP GET; only 200 is success.
func (c *vciClient) getJSON(ctx context.Context, url string, max int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, body, err := c.send(req, max, true)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %.200s: HTTP %d, want 200", req.URL.Redacted(), resp.StatusCode)
	}
	return body, nil
}

// keepNonce remembers a DPoP-Nonce header (RFC 9449 §8.2) for the next
// proof to that server.
func (c *vciClient) keepNonce(slot *string, resp *http.Response) {
	if c.dpop == nil || resp == nil {
		return
	}
	if n := resp.Header.Get("DPoP-Nonce"); validNonce(n) {
		*slot = n
	}
}

// validNonce checks a DPoP nonce: 1*NQCHAR (RFC 9449 §8.1), at most
// oid4vci.MaxNonceLen bytes.
func validNonce(s string) bool {
	if s == "" || len(s) > oid4vci.MaxNonceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)) {
			return false
		}
	}
	return true
}

// requestToken sends the Token Request (§6.1) and parses the Token
// Response (§6.2). With a DPoP key it adds a proof, and retries once with
// the server's nonce on use_dpop_nonce (RFC 9449 §8).
func (c *vciClient) requestToken(ctx context.Context, endpoint string, tr *oid4vci.TokenRequest) (*oid4vci.TokenResponse, error) {
	form := tr.Encode()
	for retried := false; ; retried = true {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		if c.dpop != nil {
			p, err := oid4vci.NewDPoPProof(c.rand, c.dpop, http.MethodPost, endpoint, "", c.asNonce, c.now())
			if err != nil {
				return nil, err
			}
			req.Header.Set(oid4vci.DPoPHeader, p)
		}
		resp, body, err := c.send(req, oid4vci.MaxTokenResponseSize, true)
		c.keepNonce(&c.asNonce, resp)
		var pe *oid4vci.ProtocolError
		if err != nil && !retried && c.dpop != nil && errors.As(err, &pe) && pe.Code == oid4vci.CodeUseDPoPNonce && pe.DPoPNonce != "" {
			c.asNonce = pe.DPoPNonce
			continue
		}
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("token endpoint: HTTP %d, want 200", resp.StatusCode)
		}
		return oid4vci.ParseTokenResponse(body)
	}
}

// nonce gets a fresh c_nonce from the Nonce Endpoint (§7.1: a POST
// without body and without access token).
func (c *vciClient) nonce(ctx context.Context, endpoint string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, body, err := c.send(req, oid4vci.MaxNonceResponseSize, true)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("nonce endpoint: HTTP %d, want 200", resp.StatusCode)
	}
	nr, err := oid4vci.ParseNonceResponse(body)
	if err != nil {
		return "", err
	}
	return nr.CNonce, nil
}

// resource POSTs a JSON body to a protected resource of the Credential
// Issuer (the Credential and Notification Endpoints) with the access
// token: "Authorization: Bearer" (RFC 6750 §2.1), or "Authorization: DPoP"
// with a DPoP proof carrying ath and the server's last nonce (RFC 9449
// §7.1, §9). It does not retry.
func (c *vciClient) resource(ctx context.Context, endpoint string, body []byte, max int, wantJSON bool) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if wantJSON {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("Authorization", c.scheme+" "+c.token)
	if c.scheme == oid4vci.SchemeDPoP {
		p, err := oid4vci.NewDPoPProof(c.rand, c.dpop, http.MethodPost, endpoint, c.token, c.rsNonce, c.now())
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set(oid4vci.DPoPHeader, p)
	}
	resp, b, err := c.send(req, max, wantJSON)
	c.keepNonce(&c.rsNonce, resp)
	return resp, b, err
}

// useDPoPNonce reports whether err asks for a retry with the fresh DPoP
// nonce it carries (use_dpop_nonce, RFC 9449 §9), and keeps that nonce.
func (c *vciClient) useDPoPNonce(err error) bool {
	var pe *oid4vci.ProtocolError
	if c.scheme != oid4vci.SchemeDPoP || !errors.As(err, &pe) || pe.Code != oid4vci.CodeUseDPoPNonce || pe.DPoPNonce == "" {
		return false
	}
	c.rsNonce = pe.DPoPNonce
	return true
}

// notify sends a Notification Request (§11.1); any 2xx is success
// (§11.2: 204). It retries once on use_dpop_nonce.
func (c *vciClient) notify(ctx context.Context, endpoint string, n oid4vci.NotificationRequest) error {
	body, err := marshalJSON(n)
	if err != nil {
		return err
	}
	for retried := false; ; retried = true {
		_, _, err := c.resource(ctx, endpoint, body, maxNotificationResponse, false)
		if err != nil && !retried && c.useDPoPNonce(err) {
			continue
		}
		return err
	}
}
