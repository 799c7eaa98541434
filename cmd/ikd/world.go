package main

import (
	"crypto/x509"

	"github.com/ikdkit/ikdkit/internal/demoworld"
)

// The fictitious parties of the story (package demoworld), and the bank
// that verifies. All data is synthetic.
const (
	operatorID    = demoworld.OperatorID
	dukcapilID    = demoworld.DukcapilID
	djpID         = demoworld.DJPID
	bpjsID        = demoworld.BPJSID
	residentNK    = demoworld.ResidentNIK
	bankID        = "https://bank.example.co.id"
	bankKeyID     = "bank-2026"
	hospitalID    = "https://rs.example.co.id"
	hospitalKeyID = "rs-2026"
	demoPIN       = "135790"
)

// x509Pool makes a pool of certs.
func x509Pool(certs ...*x509.Certificate) *x509.CertPool { return demoworld.Pool(certs...) }
