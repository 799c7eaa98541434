// Package peerbench compares ikdkit's SD-JWT VC verification with a peer,
// github.com/MichaelFraser99/go-sd-jwt with its companion
// github.com/MichaelFraser99/go-jose, on the same presentation bytes, and
// both with the floor (the two bare ES256 verifications). It is a separate
// module so that the main module does not depend on the peer.
package peerbench
