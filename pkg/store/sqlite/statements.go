package sqlite

// The hot statements, prepared once on each connection of a pool when the
// DB opens (see prepare), so that a transaction runs them without parsing
// and planning SQL again. The write pool prepares both lists: a Writer
// reads too.
var (
	readStatements = []string{
		getKeySQL,
		getUserSQL,
		getRoleSQL,
		listPoliciesSQL,
		"SELECT " + tokenColumns + " FROM tokens WHERE access_hash = ?",
		"SELECT " + tokenColumns + " FROM tokens WHERE refresh_hash = ?",
	}
	writeStatements = []string{
		insertKeySQL,
		insertSnapshotSQL,
		selectSnapshotSQL,
		insertPathSQL,
		selectPathSQL,
		insertLeafSQL,
		deleteLeavesSQL,
		"SELECT 1 FROM api_keys WHERE id = ?",
		recordUsageSQL,
		savepointSQL,
		releaseSavepointSQL,
		rollbackSavepointSQL,
	}
)
