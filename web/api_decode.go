package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxBody bounds the size of a JSON request body.
const maxBody = 1 << 20

// decodeStrict reads a JSON body into v (a pointer to a struct). It refuses
// a body that is too large or not one JSON value, and any field v has no
// place for or value of the wrong type, at any depth, naming it by its
// JSON path: "workspace.new.storageClass", "dataVolumes[1].foo". Field
// names match exactly (encoding/json alone would take "NAME" for "name").
func decodeStrict(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil { // the client stopped sending, or too slowly: its fault, not ours
		return echo.NewHTTPError(http.StatusRequestTimeout).WithInternal(err)
	}
	if len(body) > maxBody {
		return badRequest("", "body.too_large", nil)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return badRequest("", "body.invalid_json", nil)
	}
	if err := checkShape(reflect.TypeOf(v), doc, ""); err != nil {
		return err
	}
	dec = json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkShape compares a decoded JSON value with the Go type it is for and
// returns a field error on the first (in key order) field t has no place
// for or value of the wrong kind. Types that decode themselves, and
// interfaces, take any value.
func checkShape(t reflect.Type, doc any, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if doc == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return nil
	}
	switch d := doc.(type) {
	case map[string]any:
		return checkObject(t, d, path)
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return wrongType(path, t)
		}
		for i, e := range d {
			if err := checkShape(t.Elem(), e, fieldIndex(path, i)); err != nil {
				return err
			}
		}
		return nil
	case string:
		if t.Kind() != reflect.String && !reflect.PointerTo(t).Implements(textUnmarshaler) {
			return wrongType(path, t)
		}
	case json.Number:
		if !numberFits(t, d) {
			return wrongType(path, t)
		}
	case bool:
		if t.Kind() != reflect.Bool {
			return wrongType(path, t)
		}
	}
	return nil
}

func checkObject(t reflect.Type, d map[string]any, path string) error {
	if t.Kind() == reflect.Map && t.Key().Kind() == reflect.String {
		for _, k := range slices.Sorted(maps.Keys(d)) {
			if err := checkShape(t.Elem(), d[k], joinPath(path, k)); err != nil {
				return err
			}
		}
		return nil
	}
	if t.Kind() != reflect.Struct {
		return wrongType(path, t)
	}
	fields := jsonFields(t)
	for _, k := range slices.Sorted(maps.Keys(d)) {
		ft, ok := fields[k]
		if !ok {
			return badRequest(joinPath(path, k), "json.unknown", nil)
		}
		if err := checkShape(ft, d[k], joinPath(path, k)); err != nil {
			return err
		}
	}
	return nil
}

// jsonFields returns the JSON names of a struct's fields and their types,
// with the fields of untagged embedded structs among them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			maps.Copy(out, jsonFields(ft))
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func numberFits(t reflect.Type, n json.Number) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err := n.Int64()
		return err == nil
	case reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// wrongType names the JSON type a field takes; a body that is not an
// object at all is not the JSON expected.
func wrongType(path string, t reflect.Type) error {
	if path == "" {
		return badRequest("", "body.invalid_json", nil)
	}
	want := "object"
	switch t.Kind() {
	case reflect.String:
		want = "string"
	case reflect.Bool:
		want = "boolean"
	case reflect.Slice, reflect.Array:
		want = "array"
	case reflect.Float32, reflect.Float64:
		want = "number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "integer"
	}
	return badRequest(path, "json.type", map[string]any{"Field": path, "Expected": want})
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonFieldError turns a decoding error that checkShape did not foresee
// (a number too large for its field) into a field error.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return badRequest(te.Field, "json.type", map[string]any{"Field": te.Field, "Expected": te.Type.String()})
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return badRequest(field, "json.unknown", nil)
	}
	return badRequest("", "body.invalid_json", nil)
}
