// Package layers holds no code. Its test keeps the import directions of
// the design (imports point down only): the contract and the key package
// are leaves, the rules know no transport or terminal, storage knows no
// rules, apikeyctl does not link the daemon and apikeyd does not link the
// CLI. A new package is placed on that picture by adding it to the test's
// table.
package layers
