//! Reading a request body within bounds: a size limit checked against the
//! announced `Content-Length` before anything is read, a time limit, and a
//! budget shared by all connections for the larger bodies, so the memory
//! held by clients that send part of a body and stall stays bounded
//! whatever their number.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use http_body_util::{BodyExt, Limited};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The largest request body accepted. IAM's largest inputs (policy
/// documents, certificates) are far smaller.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Bodies up to this size are read without drawing on the shared budget:
/// each connection's read buffer may hold as much anyway, and nearly every
/// IAM and STS request is smaller.
pub const UNBUDGETED_BODY_BYTES: usize = 64 * 1024;

/// The memory all larger bodies being read or answered may hold together.
/// A body that does not fit waits, unread, within its read timeout.
pub const BODY_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// The budget's unit, so that its permits fit a `u32`.
const BUDGET_UNIT: usize = 1024;

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRefusal {
    /// Announced or found larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// Not received within the body read timeout.
    TooSlow,
}

/// A body read in full, with its share of the budget, given back when
/// this is dropped.
pub struct ReadBody {
    /// The body.
    pub bytes: Bytes,
    _share: Option<OwnedSemaphorePermit>,
}

/// Reads bodies under one server's limits.
#[derive(Clone)]
pub struct BodyReader {
    budget: Arc<Semaphore>,
    timeout: Duration,
}

impl BodyReader {
    /// A reader whose bodies must arrive within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        BodyReader {
            budget: Arc::new(Semaphore::new(BODY_BUDGET_BYTES / BUDGET_UNIT)),
            timeout,
        }
    }

    /// Reads `body`, refusing it unread when `headers` announce more than
    /// the limit (so hyper never sends `100 Continue` for it).
    pub async fn read<B>(&self, headers: &HeaderMap, body: B) -> Result<ReadBody, BodyRefusal>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let announced = announced_length(headers);
        if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(BodyRefusal::TooLarge);
        }
        let share = match announced {
            Some(length) if length <= UNBUDGETED_BODY_BYTES as u64 => 0,
            Some(length) => usize::try_from(length).unwrap_or(MAX_BODY_BYTES),
            // A chunked body may grow to the limit.
            None => MAX_BODY_BYTES,
        };
        let read = async {
            let share = if share == 0 {
                None
            } else {
                let units = u32::try_from(share.div_ceil(BUDGET_UNIT)).unwrap_or(u32::MAX);
                let share = Arc::clone(&self.budget).acquire_many_owned(units).await;
                Some(share.map_err(|_closed| BodyRefusal::TooSlow)?)
            };
            // A body that fails to arrive whole (the client reset the
            // connection) is answered as one over the limit is: the
            // connection closes either way.
            let bytes = Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|_| BodyRefusal::TooLarge)?
                .to_bytes();
            Ok(ReadBody {
                bytes,
                _share: share,
            })
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .unwrap_or(Err(BodyRefusal::TooSlow))
    }
}

/// The `Content-Length` a request announces, if it is a number.
fn announced_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn headers(length: usize) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, length.into());
        headers
    }

    #[tokio::test]
    async fn an_announced_length_over_the_limit_is_refused_unread() {
        let reader = BodyReader::new(Duration::from_secs(5));
        let never_sent = Body::from_stream(futures_never());
        let refused = reader
            .read(&headers(MAX_BODY_BYTES + 1), never_sent)
            .await
            .err();
        assert_eq!(refused, Some(BodyRefusal::TooLarge));
    }

    #[tokio::test]
    async fn a_body_that_never_arrives_is_refused_after_the_timeout() {
        let reader = BodyReader::new(Duration::from_millis(50));
        let refused = reader
            .read(&headers(10), Body::from_stream(futures_never()))
            .await
            .err();
        assert_eq!(refused, Some(BodyRefusal::TooSlow));
    }

    #[tokio::test]
    async fn a_large_body_holds_its_share_of_the_budget_until_dropped() {
        let reader = BodyReader::new(Duration::from_secs(5));
        let full = reader.budget.available_permits();
        let body = vec![b'a'; 200 * 1024];
        let read = reader
            .read(&headers(body.len()), Body::from(body))
            .await
            .ok()
            .map(|read| (read.bytes.len(), reader.budget.available_permits()));
        assert_eq!(read, Some((200 * 1024, full - 200)));
        assert_eq!(reader.budget.available_permits(), full);
    }

    fn futures_never(
    ) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        struct Never;
        impl futures_core::Stream for Never {
            type Item = Result<Bytes, std::io::Error>;
            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                std::task::Poll::Pending
            }
        }
        Never
    }
}
