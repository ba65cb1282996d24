package web

import (
	"crypto/rand"
	"strconv"
)

// fieldIndex names element i of a JSON array field: "scopes[1]".
func fieldIndex(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// randomString returns n random lowercase letters and digits.
func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
