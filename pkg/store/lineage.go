package store

// The relations of a key to its parent.
const (
	// RelationClone is a key cloned from its parent.
	RelationClone = "clone"
	// RelationRotation is the successor of its parent, a rotated key.
	RelationRotation = "rotation"
)

// MaxLineageDepth bounds the ancestors read of a key: no family is
// walked further up than this many generations.
const MaxLineageDepth = 1000

// Lineage is where a key came from: the key it was cloned from, or the
// key it succeeds by rotation.
//
// It lives beside the key rather than in its row: InsertAPIKey records a
// key's Lineage when it is set, and GetLineage, Ancestors and Descendants
// read it back; GetAPIKey, FindAPIKeys and QueryAPIKeys leave it nil, so
// that the hot paths read one table.
type Lineage struct {
	// Parent is the id of the key this one was made from. It may name a
	// key that retention has since deleted.
	Parent string
	// Relation is RelationClone or RelationRotation.
	Relation string
	// GraceEnd, for a rotation, is the instant (epoch milliseconds) the
	// rotation set the parent to expire at.
	GraceEnd *int64
	// UntilUnused, for a rotation, is how long (milliseconds) the parent
	// may go unused once this key is in use before it stops working; zero
	// for no such rule.
	UntilUnused int64
}
