//! A minimal HTTP/1.1 client connection over a tokio `TcpStream`: write a
//! prepared request, read one response (`Content-Length` or chunked body),
//! keep the connection alive. No pipelining, no TLS, no redirects: just
//! enough to replay requests at the server without the client's own
//! machinery becoming what is measured. One read buffer per connection is
//! reused for every response, so the steady state allocates nothing.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest response body accepted.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    /// Bytes of `buffer` holding data read from the socket.
    filled: usize,
    /// Bytes at the start of `buffer` belonging to the previous response.
    consumed: usize,
    /// The decoded body of a chunked response.
    chunked_body: Vec<u8>,
    /// Whether the server said it will close the connection.
    closing: bool,
}

/// One response, borrowed from the connection's buffer.
#[derive(Debug)]
pub struct Response<'c> {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: &'c [u8],
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

impl Connection {
    /// Opens a connection with Nagle's algorithm off.
    pub async fn connect(address: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: vec![0; 16 * 1024],
            filled: 0,
            consumed: 0,
            chunked_body: Vec::new(),
            closing: false,
        })
    }

    /// Whether the server announced `Connection: close`: open a new one.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// Sends `request` (a complete HTTP/1.1 request) and reads its response.
    pub async fn round_trip(&mut self, request: &[u8]) -> io::Result<Response<'_>> {
        self.discard_consumed();
        self.stream.write_all(request).await?;

        let head_len = loop {
            if let Some(end) = find_head_end(&self.buffer[..self.filled]) {
                break end;
            }
            if self.filled >= MAX_HEAD_BYTES {
                return Err(invalid("response head too large"));
            }
            self.read_more().await?;
        };
        let head = parse_head(&self.buffer[..head_len])?;
        self.closing = head.close;

        match head.framing {
            Framing::Length(length) => {
                if length > MAX_BODY_BYTES {
                    return Err(invalid("response body too large"));
                }
                while self.filled < head_len + length {
                    self.read_more().await?;
                }
                self.consumed = head_len + length;
                Ok(Response {
                    status: head.status,
                    body: &self.buffer[head_len..head_len + length],
                })
            }
            Framing::Chunked => {
                self.read_chunked(head_len).await?;
                Ok(Response {
                    status: head.status,
                    body: &self.chunked_body,
                })
            }
        }
    }

    fn discard_consumed(&mut self) {
        if self.consumed > 0 {
            self.buffer.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
    }

    async fn read_more(&mut self) -> io::Result<()> {
        if self.filled == self.buffer.len() {
            let larger = self.buffer.len() * 2;
            self.buffer.resize(larger, 0);
        }
        let read = self.stream.read(&mut self.buffer[self.filled..]).await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the response was complete",
            ));
        }
        self.filled += read;
        Ok(())
    }

    /// Decodes a chunked body starting at `start` into `chunked_body`.
    async fn read_chunked(&mut self, start: usize) -> io::Result<()> {
        self.chunked_body.clear();
        let mut position = start;
        loop {
            let line_end = loop {
                if let Some(end) = find_crlf(&self.buffer[position..self.filled]) {
                    break position + end;
                }
                self.read_more().await?;
            };
            let size_text = std::str::from_utf8(&self.buffer[position..line_end])
                .map_err(|_| invalid("bad chunk size"))?;
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size =
                usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
            if self.chunked_body.len() + size > MAX_BODY_BYTES {
                return Err(invalid("response body too large"));
            }
            let data_start = line_end + 2;
            if size == 0 {
                // No trailers are expected: the last chunk is followed by CRLF.
                while self.filled < data_start + 2 {
                    self.read_more().await?;
                }
                self.consumed = data_start + 2;
                return Ok(());
            }
            while self.filled < data_start + size + 2 {
                self.read_more().await?;
            }
            self.chunked_body
                .extend_from_slice(&self.buffer[data_start..data_start + size]);
            position = data_start + size + 2;
        }
    }
}

enum Framing {
    Length(usize),
    Chunked,
}

struct Head {
    status: u16,
    framing: Framing,
    close: bool,
}

/// The length of the head including its final blank line, if complete.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

fn parse_head(head: &[u8]) -> io::Result<Head> {
    let text = std::str::from_utf8(head).map_err(|_| invalid("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut fields = status_line.splitn(3, ' ');
    let version = fields.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not an HTTP/1.x response"));
    }
    let status = fields
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let mut framing = Framing::Length(0);
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let length = value
                .parse::<usize>()
                .map_err(|_| invalid("bad content-length"))?;
            framing = Framing::Length(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            framing = Framing::Chunked;
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    Ok(Head {
        status,
        framing,
        close,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serves `responses` in order, one per request read, on a loopback port.
    async fn serve(responses: Vec<&'static str>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 4096];
            for response in responses {
                let _ = socket.read(&mut buffer).await.unwrap();
                socket.write_all(response.as_bytes()).await.unwrap();
            }
        });
        address
    }

    #[tokio::test]
    async fn length_and_chunked_bodies_are_read_on_one_kept_alive_connection() {
        let address = serve(vec![
            "HTTP/1.1 403 Forbidden\r\ncontent-length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ])
        .await;
        let mut connection = Connection::connect(address).await.unwrap();
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

        let first = connection.round_trip(request).await.unwrap();
        assert_eq!((first.status, first.body), (403, &b"hello"[..]));
        assert!(!connection.is_closing());

        let second = connection.round_trip(request).await.unwrap();
        assert_eq!((second.status, second.body), (200, &b"abcde"[..]));

        let third = connection.round_trip(request).await.unwrap();
        assert_eq!((third.status, third.body), (200, &b"ok"[..]));
        assert!(connection.is_closing());
    }

    #[tokio::test]
    async fn a_connection_closed_mid_response_is_an_error() {
        let address = serve(vec!["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]).await;
        let mut connection = Connection::connect(address).await.unwrap();
        let error = connection
            .round_trip(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
