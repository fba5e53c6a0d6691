//! The store's tables. Kept as plain SQL so that `sqlite3 matchday.db .schema`
//! shows exactly this.

use rusqlite::Connection;

use crate::error::DataError;

/// Bumped on every incompatible change; kept in SQLite's `user_version`.
pub(super) const SCHEMA_VERSION: i32 = 2;

const STATS_SCHEMA: &str = "
-- Post-match statistics (top divisions only), one row per played match
-- that has any; NULL where the file lacks that pair. Added in version 2.
CREATE TABLE IF NOT EXISTS match_stats (
    match_id        INTEGER PRIMARY KEY REFERENCES matches(id),
    home_shots      INTEGER,
    away_shots      INTEGER,
    home_on_target  INTEGER,
    away_on_target  INTEGER,
    home_corners    INTEGER,
    away_corners    INTEGER
) WITHOUT ROWID;
";

const SCHEMA: &str = "
-- One row per import of one file: a log, so a re-import adds a row too.
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    file          TEXT NOT NULL,     -- path relative to the imported folder
    sha256        TEXT NOT NULL,     -- of the file's bytes
    encoding      TEXT,              -- NULL when the file could not be parsed
    rows          INTEGER NOT NULL,  -- data rows, blank rows excluded
    inserted      INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    skipped_blank INTEGER NOT NULL,
    odds_inserted INTEGER NOT NULL,
    odds_updated  INTEGER NOT NULL,
    imported_at   TEXT NOT NULL      -- RFC 3339, UTC
);

CREATE TABLE matches (
    id                 INTEGER PRIMARY KEY,  -- matchday_core::ids::match_id
    league             TEXT NOT NULL,
    season             TEXT NOT NULL,
    kickoff_utc        TEXT NOT NULL,        -- YYYY-MM-DDTHH:MM:SSZ, sorts as time
    kickoff_time_known INTEGER NOT NULL,
    home_team          TEXT NOT NULL,
    away_team          TEXT NOT NULL,
    home_score         INTEGER,              -- NULL: not played
    away_score         INTEGER,
    -- Provenance of the current values: which import, which line.
    import_id          INTEGER NOT NULL REFERENCES imports(id),
    source_line        INTEGER NOT NULL
);
CREATE INDEX matches_by_kickoff ON matches(kickoff_utc, id);

CREATE TABLE odds (
    match_id  INTEGER NOT NULL REFERENCES matches(id),
    bookmaker TEXT NOT NULL,                 -- football-data column prefix
    kind      TEXT NOT NULL CHECK (kind IN ('opening', 'closing')),
    home      REAL NOT NULL,
    draw      REAL NOT NULL,
    away      REAL NOT NULL,
    import_id INTEGER NOT NULL REFERENCES imports(id),
    PRIMARY KEY (match_id, bookmaker, kind)
) WITHOUT ROWID;

-- The rejected rows of the latest import of each file.
CREATE TABLE rejects (
    file      TEXT NOT NULL,
    line      INTEGER NOT NULL,                -- 0: the file as a whole
    reason    TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES imports(id)
);
CREATE INDEX rejects_by_file ON rejects(file, line);
";

/// Creates the tables in a new database; refuses one written by a newer build.
pub(super) fn migrate(conn: &Connection) -> Result<(), DataError> {
    let version: i32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match version {
        0 => {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(STATS_SCHEMA)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
            Ok(())
        }
        // Version 1 had no statistics: add the table; the next ingest of
        // the same files fills it (rows are re-read, matches unchanged).
        1 => {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(STATS_SCHEMA)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
            Ok(())
        }
        SCHEMA_VERSION => Ok(()),
        found => Err(DataError::UnsupportedSchema {
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}
