package main

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// envPrefix starts every environment variable that sets a config key:
// store.redis.addr is SPAWNHUB_STORE_REDIS_ADDR.
const envPrefix = "SPAWNHUB_"

// applyEnv overlays SPAWNHUB_* variables (from lookup, normally
// os.LookupEnv) on c. Lists are comma-separated; lists of objects (the
// image catalogue) can only come from the YAML file.
func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	walkFields(reflect.ValueOf(c).Elem(), nil, func(path []string, _ reflect.StructField, v reflect.Value) {
		name := envName(path)
		raw, ok := lookup(name)
		if !ok {
			return
		}
		if err := setFromString(v, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	})
	return errors.Join(errs...)
}

// envName turns a key path into its variable name.
func envName(path []string) string {
	return envPrefix + strings.ToUpper(strings.Join(path, "_"))
}

// walkFields calls fn for every settable scalar or string-list field,
// with its YAML key path.
func walkFields(v reflect.Value, path []string, fn func([]string, reflect.StructField, reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		fv := v.Field(i)
		if opts == "inline" {
			walkFields(fv, path, fn)
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		p := append(append([]string(nil), path...), tag)
		switch {
		case fv.Kind() == reflect.Struct:
			walkFields(fv, p, fn)
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() != reflect.String:
			// lists of objects: YAML only
		default:
			fn(p, f, fv)
		}
	}
}

// foreignSecrets are secret keys of structs defined outside this package,
// which carry no secret tag.
var foreignSecrets = map[string]bool{"auth.oidc.clientSecret": true}

// secretEnvNames are the variables that carry secrets: keys tagged
// secret:"true", and foreignSecrets.
func secretEnvNames() []string {
	var out []string
	walkFields(reflect.ValueOf(&Config{}).Elem(), nil, func(path []string, f reflect.StructField, _ reflect.Value) {
		if f.Tag.Get("secret") == "true" || foreignSecrets[strings.Join(path, ".")] {
			out = append(out, envName(path))
		}
	})
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

func setFromString(v reflect.Value, raw string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration", raw)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(raw)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%q is not an integer", raw)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Slice:
		v.Set(reflect.ValueOf(splitList(raw)))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

func splitList(raw string) []string {
	var out []string
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
