package verifier

import "context"

// ctx is the context of the tests' verifications.
var ctx = context.Background()
