package web

import "strconv"

// fieldIndex names element i of a JSON array field: "scopes[1]".
func fieldIndex(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }
