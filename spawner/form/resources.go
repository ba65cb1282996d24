package form

import "strconv"

func itoa(i int) string { return strconv.Itoa(i) }

// quantityRule checks value (or the default when empty) against r and returns
// the value to store, "" meaning none. floor is a lower bound from another
// field (a limit is at least its request), "" when there is none.
type quantityRule struct {
	field string
	code  string // message id prefix: <code>.invalid, <code>.range
	parse func(string) (int64, error)
	r     Range
}

func (q quantityRule) check(value, floor string) (string, *FieldError) {
	if value == "" {
		value = q.r.Default
	}
	if value == "" {
		return "", nil
	}
	v, err := q.parse(value)
	if err != nil {
		return "", fieldErr(q.field, q.code+".invalid", map[string]any{"value": value})
	}
	min := q.r.Min
	if floor != "" {
		min = floor
	}
	if !q.within(v, min, q.r.Max) {
		return "", fieldErr(q.field, q.code+".range", map[string]any{"min": orText(min, "0"), "max": orText(q.r.Max, "∞")})
	}
	return value, nil
}

// within reports whether min <= v <= max; empty bounds are open. The bounds
// were checked by Config.Validate or by an earlier rule.
func (q quantityRule) within(v int64, min, max string) bool {
	if lo, err := q.parse(min); min != "" && err == nil && v < lo {
		return false
	}
	if hi, err := q.parse(max); max != "" && err == nil && v > hi {
		return false
	}
	return true
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// The resource rules give a GPU server the configured preset (request =
// limit) whatever the form said; other servers get the form's values
// within the limits.

func ruleCPU(st *formState) (fe *FieldError) {
	if p := st.gpuPreset(true); p != "" {
		st.spec.CPU, st.spec.CPULimit = p, p
		return nil
	}
	st.spec.CPU, fe = quantityRule{"cpu", "cpu", ParseCPU, st.cfg.Limits.CPU}.check(st.f.CPU, "")
	return fe
}

func ruleCPULimit(st *formState) (fe *FieldError) {
	if st.gpuPreset(true) != "" {
		return nil
	}
	r := Range{Max: st.cfg.Limits.CPU.Max, Default: st.spec.CPU}
	st.spec.CPULimit, fe = quantityRule{"cpuLimit", "cpuLimit", ParseCPU, r}.check(st.f.CPULimit, st.spec.CPU)
	return fe
}

func ruleMemory(st *formState) (fe *FieldError) {
	if p := st.gpuPreset(false); p != "" {
		st.spec.Memory, st.spec.MemoryLimit = p, p
		return nil
	}
	st.spec.Memory, fe = quantityRule{"memory", "memory", ParseBytes, st.cfg.Limits.Memory}.check(st.f.Memory, "")
	return fe
}

func ruleMemoryLimit(st *formState) (fe *FieldError) {
	if st.gpuPreset(false) != "" {
		return nil
	}
	r := Range{Max: st.cfg.Limits.Memory.Max, Default: st.spec.Memory}
	st.spec.MemoryLimit, fe = quantityRule{"memoryLimit", "memoryLimit", ParseBytes, r}.check(st.f.MemoryLimit, st.spec.Memory)
	return fe
}
