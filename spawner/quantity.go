package spawner

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

var errQuantity = errors.New("invalid quantity")

// ParseCPU parses a number of cores ("1", "0.5", "500m") into millicores.
func ParseCPU(s string) (int64, error) {
	num, mult := s, 1000.0
	if rest, ok := strings.CutSuffix(s, "m"); ok {
		num, mult = rest, 1
	}
	return parseScaled(s, num, mult)
}

var byteSuffixes = []struct {
	suffix string
	mult   float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
}

// ParseBytes parses a memory or disk size ("4Gi", "512Mi", "1G", "1024")
// into bytes.
func ParseBytes(s string) (int64, error) {
	for _, b := range byteSuffixes {
		if rest, ok := strings.CutSuffix(s, b.suffix); ok {
			return parseScaled(s, rest, b.mult)
		}
	}
	return parseScaled(s, s, 1)
}

// parseScaled parses num as a positive decimal and multiplies it by mult;
// s is the whole input, for the error.
func parseScaled(s, num string, mult float64) (int64, error) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || strings.ContainsAny(num, "eExXpP_+-") || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: %w", s, errQuantity)
	}
	v := math.Round(f * mult)
	if v < 1 || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: %w", s, errQuantity)
	}
	return int64(v), nil
}
