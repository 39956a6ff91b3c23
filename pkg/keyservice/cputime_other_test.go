//go:build !unix

package keyservice_test

import "time"

// cpuTime falls back to the wall clock where the process's processor time
// cannot be read.
func cpuTime() time.Duration { return time.Duration(time.Now().UnixNano()) }
