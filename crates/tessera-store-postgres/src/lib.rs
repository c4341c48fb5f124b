//! The PostgreSQL storage backend.
