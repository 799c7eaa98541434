// Package oid4vp implements the messages and checks of OpenID for
// Verifiable Presentations 1.0 (OpenID4VP, final) that both sides of a
// presentation share: the Digital Credentials Query Language (DCQL, §6)
// with a matching engine, the Authorization Request and its signed
// Request Object, the response, and the Digital Credentials API
// variants. Section numbers (§) are those of OpenID4VP 1.0.
package oid4vp
