//! A minimal HTTP/1.1 server for `/health` and `/metrics`.
//!
//! Two fixed GET routes for a load balancer and a scraper do not need a
//! framework: this reads one bounded request head, answers, and closes
//! (`Connection: close`), which keeps every resource visibly bounded —
//! head size, read time, concurrent connections — and keeps hyper's stack
//! out of the dependency tree. Anything it does not understand gets a
//! 4xx or a closed socket, never a panic.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::timeout;

use super::metrics::Telemetry;
use super::state::{Health, SensorState};

/// What the endpoints answer from.
pub struct ControlApp {
    pub state: Arc<SensorState>,
    /// The recorder `/metrics` renders; None answers 503 there.
    pub telemetry: Option<Telemetry>,
    /// Whether this listener serves `/metrics` (404 otherwise), so the
    /// health listener, often bound to the VPC, need not expose counters.
    pub serve_metrics: bool,
    /// A worker silent for longer than this makes `/health` answer 503.
    pub stall_after: Duration,
}

/// Largest request head accepted; more is answered 431.
const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head, and to take the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 256;
/// After answering, unread request bytes are drained for at most this long
/// (and this much) so closing does not reset the connection before the
/// client has read the answer.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_BYTES: usize = 64 * 1024;

/// Serves connections from `listener` until `shutdown` becomes true (or its
/// sender is dropped). Connections in progress finish on their own.
pub async fn serve(listener: TcpListener, app: Arc<ControlApp>, shutdown: watch::Receiver<bool>) {
    serve_limited(listener, app, shutdown, MAX_CONNECTIONS).await
}

async fn serve_limited(listener: TcpListener, app: Arc<ControlApp>, mut shutdown: watch::Receiver<bool>, limit: usize) {
    let permits = Arc::new(Semaphore::new(limit));
    loop {
        if *shutdown.borrow() {
            return;
        }
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Over the limit: dropping the socket closes it at once,
                    // which costs less than queueing it.
                    let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                    let app = app.clone();
                    tokio::spawn(async move {
                        handle(stream, &app).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // Typically EMFILE: pause instead of spinning on it.
                    tracing::warn!(error = %e, "control endpoint: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// What reading a request head produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// The head, up to and including its blank line.
    Complete(Vec<u8>),
    /// Closed before any byte: a TCP health check or port probe.
    Empty,
    /// Closed in the middle of a head.
    Partial,
    TooLarge,
}

/// A request head being read, whatever way the client splits it: the
/// socket loop and the `control_http` fuzz target drive the same code.
pub struct HeadReader {
    buf: Vec<u8>,
    len: usize,
}

impl Default for HeadReader {
    fn default() -> Self {
        HeadReader { buf: vec![0; MAX_HEAD], len: 0 }
    }
}

impl HeadReader {
    /// Where the next read goes; empty once the head is over the limit.
    pub fn spare(&mut self) -> &mut [u8] {
        let len = self.len;
        self.buf.get_mut(len..).unwrap_or_default()
    }

    /// Takes the `n` bytes just read into `spare()` (0: the client closed);
    /// Some when reading is over.
    pub fn filled(&mut self, n: usize) -> Option<Head> {
        if n == 0 {
            return Some(if self.len == 0 { Head::Empty } else { Head::Partial });
        }
        // Search from just before the new bytes: the terminator may
        // straddle two reads.
        let from = self.len.saturating_sub(3);
        self.len = (self.len + n).min(self.buf.len());
        if let Some(end) = self.buf.get(from..self.len).and_then(head_end) {
            let mut head = std::mem::take(&mut self.buf);
            head.truncate(from + end);
            return Some(Head::Complete(head));
        }
        (self.len == self.buf.len()).then_some(Head::TooLarge)
    }
}

/// The bytes sent back for what reading a head produced (None: close
/// without a word).
pub fn answer(head: &Head, app: &ControlApp) -> Option<Vec<u8>> {
    let r = match head {
        Head::Empty => return None,
        Head::Partial => Response::text(400, "Bad Request", "incomplete request\n"),
        Head::TooLarge => Response::text(431, "Request Header Fields Too Large", "request head over 8 KiB\n"),
        Head::Complete(head) => respond(head, app),
    };
    Some(r.bytes)
}

async fn handle(mut stream: TcpStream, app: &ControlApp) {
    let answer = match timeout(IO_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => Some(Response::text(408, "Request Timeout", "request head not received in time\n").bytes),
        Ok(Err(_)) => None,
        Ok(Ok(head)) => answer(&head, app),
    };
    if let Some(bytes) = answer {
        let _ = timeout(IO_TIMEOUT, stream.write_all(&bytes)).await;
        let _ = stream.shutdown().await;
        linger(&mut stream).await;
    }
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<Head> {
    let mut reader = HeadReader::default();
    loop {
        let spare = reader.spare();
        if spare.is_empty() {
            return Ok(Head::TooLarge);
        }
        let n = stream.read(spare).await?;
        if let Some(head) = reader.filled(n) {
            return Ok(head);
        }
    }
}

/// Where the head ends (after `\r\n\r\n`, or a bare `\n\n` from a lax
/// client).
fn head_end(b: &[u8]) -> Option<usize> {
    let crlf = memchr::memmem::find(b, b"\r\n\r\n").map(|i| i + 4);
    let lf = memchr::memmem::find(b, b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads and discards what the client still sends, briefly.
async fn linger(stream: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    let _ = timeout(LINGER, async {
        while drained < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}

struct Response {
    bytes: Vec<u8>,
}

impl Response {
    fn new(code: u16, reason: &str, content_type: &str, body: &[u8], head_only: bool, extra: &str) -> Response {
        let mut bytes = format!(
            "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        )
        .into_bytes();
        if !head_only {
            bytes.extend_from_slice(body);
        }
        Response { bytes }
    }

    fn text(code: u16, reason: &str, body: &str) -> Response {
        Response::new(code, reason, "text/plain; charset=utf-8", body.as_bytes(), false, "")
    }
}

/// The answer to a complete request head.
fn respond(head: &[u8], app: &ControlApp) -> Response {
    let line_end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let line = head[..line_end].strip_suffix(b"\r").unwrap_or(&head[..line_end]);
    let Some((method, target)) = std::str::from_utf8(line).ok().and_then(request_line) else {
        return Response::text(400, "Bad Request", "malformed request line\n");
    };
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            return Response::new(
                405,
                "Method Not Allowed",
                "text/plain; charset=utf-8",
                b"only GET and HEAD\n",
                false,
                "Allow: GET, HEAD\r\n",
            )
        }
    };
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    match path {
        "/health" | "/healthz" | "/" => {
            let (code, reason, body) = match app.state.health(app.stall_after) {
                Health::Healthy => (200, "OK", "ok\n".to_string()),
                // Still 200: a load balancer keeps a sensor that sheds load,
                // and one taken out would move its load to the others.
                Health::Degraded(reasons) => (200, "OK", format!("degraded\n{}\n", reasons.join("\n"))),
                Health::Unhealthy(reasons) => (503, "Service Unavailable", reasons.join("\n") + "\n"),
            };
            Response::new(code, reason, "text/plain; charset=utf-8", body.as_bytes(), head_only, "")
        }
        "/metrics" if app.serve_metrics => match &app.telemetry {
            Some(t) => {
                let body = t.render();
                Response::new(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body.as_bytes(), head_only, "")
            }
            None => Response::text(503, "Service Unavailable", "metrics are not being recorded\n"),
        },
        _ => Response::new(404, "Not Found", "text/plain; charset=utf-8", b"not found\n", head_only, ""),
    }
}

/// `METHOD SP TARGET SP HTTP/1.x` split into method and target.
fn request_line(line: &str) -> Option<(&str, &str)> {
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = parts.next().is_none()
        && !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_uppercase())
        && target.starts_with('/')
        && (version == "HTTP/1.1" || version == "HTTP/1.0");
    valid.then_some((method, target))
}

#[cfg(test)]
mod tests;
