// Package peerbench compares ikdkit's SD-JWT VC verification with a peer,
// github.com/MichaelFraser99/go-sd-jwt with its companion
// github.com/MichaelFraser99/go-jose, on the same presentation bytes, and
// both with the floor (the two bare ES256 verifications). It also writes
// the presentation bytes (SD-JWT VC, and an mdoc DeviceResponse from
// ikdkit's mdoc package) to files that js/run.mjs verifies and times with
// the JS peers, @sd-jwt/sd-jwt-vc and @auth0/mdl, against a floor in
// Node.js. It is a separate module so that the main module does not depend
// on the peers.
package peerbench
