package daemon

import (
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/audit"
)

// Defaults of the remover, as Elasticsearch's
// xpack.security.authc.api_key.delete.retention_period and delete.interval.
const (
	defaultRetentionPeriod   = "7d"
	defaultRetentionInterval = "24h"
)

// auditFileName is the audit log's name in the data directory.
const auditFileName = audit.FileName

// Retention is the parsed schedule of the remover.
type Retention struct {
	// Period is how long expired and invalidated keys are kept.
	Period time.Duration
	// Interval is the least time between two runs of the remover.
	Interval time.Duration
}

// parseRetention parses --retention-period and --retention-interval into
// c.Retention; both must be positive Elasticsearch time values.
func (c *Config) parseRetention() error {
	for _, s := range []struct {
		flag, value string
		dst         *time.Duration
	}{
		{"retention-period", c.RetentionPeriod, &c.Retention.Period},
		{"retention-interval", c.RetentionInterval, &c.Retention.Interval},
	} {
		d, err := api.ParseTimeValue(s.value, s.flag)
		if err != nil {
			return configErrorf("--%s %q: %v", s.flag, s.value, err)
		}
		if d <= 0 {
			return configErrorf("--%s %q: must be positive", s.flag, s.value)
		}
		*s.dst = d
	}
	return nil
}

// Defaults of the audit log's rotation: files of at most 100mb, ten of
// them kept besides the current one.
const (
	defaultAuditMaxSize  = "100mb"
	defaultAuditMaxFiles = 10
)

// parseAuditRotation parses --audit-max-size, --audit-max-age and
// --audit-max-files into c.AuditRotation.
func (c *Config) parseAuditRotation() error {
	size, err := api.ParseByteSize(c.AuditMaxSize, "audit-max-size")
	if err != nil || size < 0 {
		return configErrorf("--audit-max-size %q: give a size such as 100mb, or 0 to never rotate by size", c.AuditMaxSize)
	}
	age, err := api.ParseTimeValue(c.AuditMaxAge, "audit-max-age")
	if err != nil || age < 0 {
		return configErrorf("--audit-max-age %q: give a time value such as 7d, or 0 to never rotate by age", c.AuditMaxAge)
	}
	if c.AuditMaxFiles < 0 {
		return configErrorf("--audit-max-files %d: give a number of files, or 0 to keep them all", c.AuditMaxFiles)
	}
	c.AuditRotation = audit.Rotation{MaxSize: size, MaxAge: age, MaxFiles: c.AuditMaxFiles}
	return nil
}
