package spawner

import (
	"crypto/rand"
	"encoding/hex"
)

// newToken returns 32 random bytes, hex encoded: the per-start server token.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
