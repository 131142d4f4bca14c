// Package backup writes, checks and restores backups of a whole Cairn
// database: every table (the estate, the audit trail, drifts, runs, jobs
// with their sealed credentials, schedules, token hashes) except leases,
// which are the running processes' locks.
//
// # Format (version 1)
//
// A backup is logical and engine-neutral, so that a SQLite backup restores
// into PostgreSQL and back: a gzip stream of newline-terminated JSON lines,
// written and read by package backupfile.
//
//	{"format":"cairn-backup","version":1,"createdAt":…,"engine":"sqlite","cairn":…,"schema":"sha256:…","secretKeyId":…}
//	{"table":"configuration_items","columns":[["id","int"],["name","string"],…],"sequence":17179869400}
//	[17179869185,"2026-12-07T10:00:00.123456789Z",…]          one line per row, in primary key order
//	{"end":"configuration_items","rows":812,"sha256":…}          of the table's row lines
//	…                                                            every table, each after those it references
//	{"trailer":{"tables":[{"name":…,"rows":…,"sha256":…}],"rows":…,"sha256":…}}
//
// The trailer's sha256 covers every byte before it; with the per-table
// checksums and counts (and gzip's CRC) a reader finds any damage and
// names the table it is in. Column kinds: int, float, bool, string, time
// (RFC 3339, nanoseconds, UTC), json (the stored JSON text as a string, so
// SQL NULL and JSON null stay apart) and bytes (base64). A table's
// "sequence" is the largest ID its sequence had handed out, so a restored
// database never hands out an ID the audit trail may still name.
//
// # Consistency
//
// Write reads every table inside one read transaction: on SQLite a
// deferred transaction on a reader connection, whose WAL snapshot the
// writer does not disturb; on PostgreSQL REPEATABLE READ, READ ONLY. The
// server keeps serving and writing meanwhile. (SQLite's online backup API
// and VACUUM INTO copy pages of one engine; a logical snapshot is what
// lets the same file move an install to the other.)
//
// # Restore
//
// Restore needs a migrated, empty database of either engine and writes
// every row in one transaction, in the file's table order, setting a
// table's references to itself (a location's parent, a team) once its rows
// exist, then moving each ID sequence past the backup's. Verify restores
// into a scratch SQLite file and reads it back to compare each table's
// count and checksum with the manifest.
//
// The secret key that sealed credentials is never in a backup unless the
// writer asks (IncludeKey); the header names it by KeyID either way.
package backup
