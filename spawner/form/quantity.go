package form

import (
	"errors"
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/api/resource"
)

var errQuantity = errors.New("invalid quantity")

// Quantities follow Kubernetes' own rules (resource.ParseQuantity): "1",
// "0.5", "500m" cores; "4Gi", "512Mi", "1G", "1024", "1e9" bytes. Zero,
// negative and absurdly large quantities are refused.

// ParseCPU parses a number of cores into millicores, rounded up.
func ParseCPU(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, errQuantity)
	}
	return positive(s, q.MilliValue())
}

// ParseBytes parses a memory or disk size into bytes, rounded up.
func ParseBytes(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, errQuantity)
	}
	return positive(s, q.Value())
}

func positive(s string, v int64) (int64, error) {
	if v < 1 || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: %w", s, errQuantity)
	}
	return v, nil
}
