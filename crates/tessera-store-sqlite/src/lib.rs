//! The embedded SQLite storage backend.
