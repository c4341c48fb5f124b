//! Commit notices through PostgreSQL `LISTEN/NOTIFY`.
//!
//! Every write transaction that commits a revision also runs
//! `pg_notify(CHANNEL, '<schema>:<revision>')` inside the transaction, so
//! PostgreSQL delivers the notice on commit and never for a rolled-back
//! write. [`PostgresListener`] holds one connection of its own (outside the
//! pool: it is busy for as long as it listens) that `LISTEN`s on the
//! channel and wakes its caller for the notices of its own schema; stores
//! in other schemas of the same database share the channel and are ignored.
//!
//! A notice is only a hint to read `changes_since` now: notices sent while
//! the connection is down are lost, which is why the listener reports a
//! possible change after every (re)connection and why followers keep
//! polling as well. The connection enables TCP keepalives with short
//! intervals so that a peer that vanished without closing the connection
//! is noticed within about a minute rather than the system's default hours.

use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config};
use tessera_store::{ChangeListener, StoreError};

use crate::{close_elsewhere, failed, open_connection};

/// The channel every Tessera store notifies on.
pub(crate) const CHANNEL: &str = "tessera_changes";

/// Sends the notice of a commit at revision `revision` from inside the
/// write transaction. `revision` is an integer, so formatting it into the
/// statement is safe; one simple-query round trip carries both statements.
pub(crate) fn record_and_notify(revision: i64) -> String {
    format!(
        "UPDATE revision SET latest = {revision} WHERE id = 1;
         SELECT pg_notify('{CHANNEL}', current_schema() || ':{revision}')"
    )
}

/// Waits for commit notices of one store.
pub struct PostgresListener {
    config: Config,
    schema: Option<String>,
    connection: Option<Listening>,
}

/// A connection that has run `LISTEN`, and the schema whose notices count.
struct Listening {
    client: Client,
    schema: String,
}

impl PostgresListener {
    pub(crate) fn new(config: &Config, schema: Option<&str>) -> Self {
        let mut config = config.clone();
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3);
        PostgresListener {
            config,
            schema: schema.map(str::to_owned),
            connection: None,
        }
    }

    fn listen(&self) -> Result<Listening, StoreError> {
        let mut client = open_connection(&self.config, self.schema.as_deref())?;
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(failed("listening for changes"))?;
        // The schema writers name in their notices: the one this
        // connection's search_path resolves to, as theirs does.
        let schema: Option<String> = client
            .query_one("SELECT current_schema()", &[])
            .and_then(|row| row.try_get(0))
            .map_err(failed("finding the current schema"))?;
        Ok(Listening {
            client,
            schema: schema.unwrap_or_default(),
        })
    }
}

impl Drop for PostgresListener {
    fn drop(&mut self) {
        if let Some(listening) = self.connection.take() {
            close_elsewhere(vec![listening.client]);
        }
    }
}

impl ChangeListener for PostgresListener {
    fn wait(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        let Some(listening) = self.connection.as_mut() else {
            self.connection = Some(self.listen()?);
            return Ok(true);
        };
        let result = listening.wait(timeout);
        if result.is_err() {
            if let Some(broken) = self.connection.take() {
                close_elsewhere(vec![broken.client]);
            }
        }
        result
    }
}

impl Listening {
    fn wait(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = self
                .client
                .notifications()
                .timeout_iter(left)
                .next()
                .map_err(failed("waiting for changes"))?;
            let Some(notice) = next else {
                // `None` is either the timeout or a closed connection.
                if self.client.is_closed() {
                    return Err(StoreError::Backend(
                        "postgres: the connection listening for changes closed".to_owned(),
                    ));
                }
                return Ok(false);
            };
            if is_for(notice.channel(), notice.payload(), &self.schema) {
                // One wake-up covers the notices already received: the
                // caller reads every change since its revision anyway.
                let mut pending = self.client.notifications();
                let mut pending = pending.iter();
                while pending
                    .next()
                    .map_err(failed("waiting for changes"))?
                    .is_some()
                {}
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }
}

/// Whether a notice announces a commit in `schema`'s store.
fn is_for(channel: &str, payload: &str, schema: &str) -> bool {
    channel == CHANNEL
        && payload
            .rsplit_once(':')
            .is_some_and(|(notified, _)| notified == schema)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_notice_counts_only_for_its_own_schema() {
        assert!(is_for(CHANNEL, "t_one:42", "t_one"));
        assert!(!is_for(CHANNEL, "t_two:42", "t_one"));
        assert!(!is_for("other_channel", "t_one:42", "t_one"));
        assert!(!is_for(CHANNEL, "garbage", "t_one"));
    }
}
