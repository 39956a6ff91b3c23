package api

import (
	"strconv"
	"strings"
)

// byteUnits are Elasticsearch's byte size suffixes, longest first.
var byteUnits = []struct {
	suffix string
	unit   int64
}{
	{"pb", 1 << 50}, {"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10},
	{"p", 1 << 50}, {"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10},
	{"b", 1},
}

// ParseByteSize parses an Elasticsearch byte size value ("100mb", "512kb",
// "1gb", "0b") as Elasticsearch's ByteSizeValue does, naming setting in
// its errors: a whole number and a unit, which only "0" and "-1" may
// omit.
func ParseByteSize(value, setting string) (int64, error) {
	normalized := strings.TrimSpace(strings.ToLower(value))
	for _, u := range byteUnits {
		if !strings.HasSuffix(normalized, u.suffix) {
			continue
		}
		s := strings.TrimSpace(strings.TrimSuffix(normalized, u.suffix))
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a size in bytes", setting, value)
		}
		if n < 0 {
			return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a size in bytes: negative sizes are not supported", setting, value)
		}
		if n > (1<<63-1)/u.unit {
			return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a size in bytes: value is too large", setting, value)
		}
		return n * u.unit, nil
	}
	switch normalized {
	case "-1":
		return -1, nil
	case "0":
		return 0, nil
	}
	return 0, Errorf(Invalid, "failed to parse setting [%s] with value [%s] as a size in bytes: unit is missing or unrecognized", setting, value)
}
