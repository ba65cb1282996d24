package proxy

// equalFold compares a field name or token (a string, or bytes of a raw
// head) with s without regard to ASCII case. Only ASCII letters fold:
// unlike strings.EqualFold, no other letter (the Kelvin sign) matches
// one, nor does a byte that differs from a non-letter by case's bit.
func equalFold[T string | []byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(s) {
		c, want := b[i], s[i]
		if 'A' <= want && want <= 'Z' || 'a' <= want && want <= 'z' {
			c, want = c|0x20, want|0x20
		}
		if c != want {
			return false
		}
	}
	return true
}
