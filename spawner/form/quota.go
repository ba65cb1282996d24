package form

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Quota is what one namespace may hold. A zero field is no limit.
type Quota struct {
	// Servers bounds the servers of the namespace, whatever their phase.
	Servers int `yaml:"servers" json:"servers"`
	// RunningServers bounds the servers that are queued, starting, running
	// or still stopping.
	RunningServers int `yaml:"runningServers" json:"runningServers"`
	// DataVolumesPerServer bounds the data volumes of one server's form.
	DataVolumesPerServer int `yaml:"dataVolumesPerServer" json:"dataVolumesPerServer"`
	// Storage bounds the requested size of every volume of the namespace
	// (workspaces and data volumes), a quantity such as "2Ti"; "" or "0"
	// is no limit.
	Storage string `yaml:"storage" json:"storage"`
	// TokensPerUser bounds the unexpired API tokens of the user who owns
	// the namespace.
	TokensPerUser int `yaml:"tokensPerUser" json:"tokensPerUser"`
}

// QuotaOverride replaces some limits of the global Quota for one
// namespace; a field left out (nil) keeps the global value.
type QuotaOverride struct {
	Servers              *int    `yaml:"servers" json:"servers,omitempty"`
	RunningServers       *int    `yaml:"runningServers" json:"runningServers,omitempty"`
	DataVolumesPerServer *int    `yaml:"dataVolumesPerServer" json:"dataVolumesPerServer,omitempty"`
	Storage              *string `yaml:"storage" json:"storage,omitempty"`
	TokensPerUser        *int    `yaml:"tokensPerUser" json:"tokensPerUser,omitempty"`
}

// Quotas are the limits of every namespace: the global Quota, with
// overrides by namespace name. The zero value limits nothing.
type Quotas struct {
	Quota      `yaml:",inline"`
	Namespaces map[string]QuotaOverride `yaml:"namespaces" json:"namespaces,omitempty"`
}

// For returns the limits of namespace ns.
func (q Quotas) For(ns string) Quota {
	out := q.Quota
	o, ok := q.Namespaces[ns]
	if !ok {
		return out
	}
	override(&out.Servers, o.Servers)
	override(&out.RunningServers, o.RunningServers)
	override(&out.DataVolumesPerServer, o.DataVolumesPerServer)
	override(&out.Storage, o.Storage)
	override(&out.TokensPerUser, o.TokensPerUser)
	return out
}

func override[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// StorageBytes is Storage in bytes, 0 for no limit; Validate has checked
// that it parses.
func (q Quota) StorageBytes() int64 {
	n, _ := parseStorageQuota(q.Storage)
	return n
}

// parseStorageQuota parses a storage limit: "" and "0" are no limit (0).
func parseStorageQuota(s string) (int64, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	return ParseBytes(s)
}

// Validate reports every bad value at once, with its key under quotas.
func (q Quotas) Validate() error {
	errs := []error{q.Quota.validate("")}
	for _, ns := range slices.Sorted(maps.Keys(q.Namespaces)) {
		path := "namespaces." + ns + "."
		if !validName(ns) {
			errs = append(errs, fmt.Errorf("namespaces.%s: %q is not a namespace name", ns, ns))
		}
		errs = append(errs, Quotas{Namespaces: q.Namespaces}.For(ns).validate(path)) // its own values only
	}
	return errors.Join(errs...)
}

func (q Quota) validate(path string) error {
	var errs []error
	for key, n := range map[string]int{
		"servers": q.Servers, "runningServers": q.RunningServers,
		"dataVolumesPerServer": q.DataVolumesPerServer, "tokensPerUser": q.TokensPerUser,
	} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s%s: %d is negative (0 is no limit)", path, key, n))
		}
	}
	if _, err := parseStorageQuota(q.Storage); err != nil {
		errs = append(errs, fmt.Errorf("%sstorage: %q is not a size such as 2Ti (0 is no limit)", path, q.Storage))
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}
