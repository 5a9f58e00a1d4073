//! Accepting and serving connections (HTTP/1.1 with hyper), with the limits that keep a
//! flood of sockets from stalling the server:
//!
//! - a request's head must arrive within `header_timeout_secs` of the connection opening or
//!   of the previous response (slow headers and idle keep-alive connections are closed);
//! - a connection with no byte moving either way for `idle_timeout_secs` is closed;
//! - at most `max_connections` at once, below the open-file limit (raised to its hard limit
//!   at start). At the cap, a new connection takes the place of the connection that has been
//!   waiting longest without a request in flight (an idle or slow client); when every
//!   connection has a request in flight it gets a quick 503 instead. Requests in flight and
//!   event streams are never cut.
//!
//! Each request then goes to the distribution fast path (`routes::distribution::fast`) or
//! to the router with its layers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

use crate::config::Config;
use crate::AppState;

/// File descriptors kept for everything but client connections (database, keys, logs, ...).
const RESERVED_FILES: usize = 64;
/// Connections answered "busy" at once when the cap is reached and none can give way.
const REFUSALS_AT_ONCE: usize = 32;
/// How long a new connection waits for the one giving way to close.
const GIVE_WAY_WAIT: Duration = Duration::from_secs(1);

/// The connection limits in force.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Limits {
    /// The configured limits; the connection cap kept below the open-file limit.
    pub fn of(config: &Config) -> Limits {
        let files = raise_open_file_limit();
        let fitting = files
            .saturating_sub(RESERVED_FILES + REFUSALS_AT_ONCE)
            .max(1);
        let max_connections = match config.max_connections {
            0 => fitting,
            wanted if wanted > fitting => {
                tracing::warn!(
                    wanted,
                    fitting,
                    "max_connections is over what the open-file limit allows; using the lower"
                );
                fitting
            }
            wanted => wanted,
        };
        Limits {
            max_connections,
            header_timeout: Duration::from_secs(config.header_timeout_secs),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
        }
    }
}

/// Raises the soft open-file limit to the hard one; returns the limit now in force.
#[cfg(unix)]
fn raise_open_file_limit() -> usize {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        let mut limit = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let wanted = limit.rlim_max.min(1 << 20);
        if limit.rlim_cur < wanted {
            let raised = libc::rlimit {
                rlim_cur: wanted,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = wanted;
            }
        }
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    }
}

#[cfg(not(unix))]
fn raise_open_file_limit() -> usize {
    8192
}

/// What each request is handed to.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

impl App {
    async fn respond(self, mut request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let (method, uri, headers) = (request.method(), request.uri(), request.headers());
        if let Some(response) = crate::routes::fast_distribution(&self.state, method, uri, headers)
        {
            return response;
        }
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = self.router;
        match tower::Service::call(&mut router, request.map(Body::new)).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Serves `listener` until `shutdown` resolves, then stops accepting, lets connections
/// finish their requests in flight and returns.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let table = Arc::new(Table::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    tracing::info!(
        max_connections = limits.max_connections,
        "accepting connections"
    );
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of files or memory for a moment: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        match table.admit().await {
            Some(permit) => {
                // Registered here, not in its task: under load the loop accepts faster than
                // tasks start, and a slot the table cannot see could never be given up.
                let (id, state) = table.register();
                let slot = Slot { id, state, permit };
                let (app, table, stopped) = (app.clone(), table.clone(), stopped.clone());
                tokio::spawn(connection(stream, peer, app, table, slot, stopped, limits));
            }
            None => refuse_busy(stream, &refusals),
        }
    }
    drop(listener);
    let _ = stop.send(true);
    table.all_closed().await;
    Ok(())
}

/// Milliseconds since the table was made: a clock cheap to store in an atomic.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }

    fn instant(&self, millis: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.0 + Duration::from_millis(millis))
    }
}

/// The open connections.
struct Table {
    slots: Arc<Semaphore>,
    capacity: u32,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
    next_id: AtomicU64,
    clock: Clock,
}

/// One open connection's state, shared by its task, its requests and the table.
struct Connection {
    /// Requests in flight, counting a response until its body is sent; -1: closing.
    in_flight: AtomicI64,
    /// When `in_flight` last fell to 0 (or the connection opened).
    idle_since: AtomicU64,
    /// When a byte last moved either way.
    last_io: AtomicU64,
    /// Told to close (to make room for a new connection).
    give_way: Notify,
    clock: Clock,
}

impl Table {
    fn new(capacity: usize) -> Table {
        let capacity = u32::try_from(capacity.max(1)).unwrap_or(u32::MAX >> 4);
        Table {
            slots: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            clock: Clock(Instant::now()),
        }
    }

    /// A slot for a new connection: a free one, or the one an idle connection gives up.
    async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        if !self.close_longest_idle() {
            return None;
        }
        tokio::time::timeout(GIVE_WAY_WAIT, self.slots.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// Tells the connection idle the longest to close; `false` if every one is busy.
    fn close_longest_idle(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let mut idle: Vec<&Arc<Connection>> = open
            .values()
            .filter(|c| c.in_flight.load(Ordering::Acquire) == 0)
            .collect();
        idle.sort_by_key(|c| c.idle_since.load(Ordering::Relaxed));
        // A request may begin between the look and the claim: then try the next one.
        idle.into_iter().any(|c| {
            let claimed = c
                .in_flight
                .compare_exchange(0, -1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if claimed {
                c.give_way.notify_one();
            }
            claimed
        })
    }

    fn register(&self) -> (u64, Arc<Connection>) {
        let now = self.clock.now();
        let connection = Arc::new(Connection {
            in_flight: AtomicI64::new(0),
            idle_since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            give_way: Notify::new(),
            clock: self.clock,
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, connection.clone());
        (id, connection)
    }

    fn remove(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Resolves when every connection has closed.
    async fn all_closed(&self) {
        let _ = self.slots.acquire_many(self.capacity).await;
    }
}

impl Connection {
    /// Counts a request in; `None` when the connection is closing.
    fn begin(self: &Arc<Self>) -> Option<Busy> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n >= 0).then_some(n + 1)
            })
            .ok()
            .map(|_| Busy(self.clone()))
    }

    fn touched(&self) {
        self.last_io.store(self.clock.now(), Ordering::Relaxed);
    }

    /// Resolves once no byte has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.last_io.load(Ordering::Relaxed);
            tokio::time::sleep_until(self.clock.instant(last) + limit).await;
            if self.last_io.load(Ordering::Relaxed) == last {
                return;
            }
        }
    }
}

/// A connection's place in the table: its entry, and the slot it holds until it closes.
struct Slot {
    id: u64,
    state: Arc<Connection>,
    permit: OwnedSemaphorePermit,
}

/// A request in flight; dropped with its response body, once that is sent.
struct Busy(Arc<Connection>);

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0
                .idle_since
                .store(self.0.clock.now(), Ordering::Relaxed);
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: App,
    table: Arc<Table>,
    Slot { id, state, permit }: Slot,
    mut stopped: watch::Receiver<bool>,
    limits: Limits,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        stream,
        connection: state.clone(),
    });
    let for_requests = state.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (app, connection) = (app.clone(), for_requests.clone());
        async move {
            let Some(busy) = connection.begin() else {
                return Ok::<_, Infallible>(
                    closing().map(|body| GuardedBody { body, _busy: None }),
                );
            };
            let response = app.respond(request, peer).await;
            Ok(response.map(|body| GuardedBody {
                body,
                _busy: Some(busy),
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let served = builder.serve_connection(io, service);
    tokio::pin!(served);
    let mut stopping = *stopped.borrow();
    if stopping {
        served.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended");
                }
                break;
            }
            _ = state.give_way.notified() => break,
            _ = state.idle_for(limits.idle_timeout) => break,
            _ = stopped.changed(), if !stopping => {
                stopping = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
    table.remove(id);
    drop(permit);
}

/// The answer to a request that arrives on a connection already told to close.
fn closing() -> Response<Body> {
    let mut response = busy_response();
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

fn busy_response() -> Response<Body> {
    use axum::response::IntoResponse;
    let mut response = crate::error::ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the server is at its connection limit; try again in a second",
    )
    .into_response();
    let headers = response.headers_mut();
    headers.extend(crate::layers::security_headers());
    headers.insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    response
}

/// Every connection has a request in flight: read what the client sent (so closing does not
/// reset the connection before it sees the answer), answer 503 and close.
fn refuse_busy(mut stream: TcpStream, refusals: &Arc<Semaphore>) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        return; // dropped: closed at once
    };
    tokio::spawn(async move {
        let mut head = vec![0u8; 8192];
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut head)).await;
        let response = busy_response();
        let mut text = String::from("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n");
        for (name, value) in response.headers() {
            text.push_str(&format!(
                "{name}: {}\r\n",
                value.to_str().unwrap_or_default()
            ));
        }
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap_or_default();
        text.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let write = async {
            stream.write_all(text.as_bytes()).await?;
            stream.write_all(&body).await?;
            stream.shutdown().await
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
        drop(permit);
    });
}

/// A response body that keeps its request counted as in flight until it is sent.
struct GuardedBody {
    body: Body,
    _busy: Option<Busy>,
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A socket that notes when a byte last moved (for the idle timeout).
struct Watched {
    stream: TcpStream,
    connection: Arc<Connection>,
}

impl Watched {
    fn note<T>(&self, result: &Poll<io::Result<T>>) {
        if let Poll::Ready(Ok(_)) = result {
            self.connection.touched();
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let filled = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > filled {
            self.note(&result);
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.note(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.note(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_gives_way_and_busy_ones_never_do() {
        let table = Table::new(2);
        let first_slot = table.admit().await.unwrap();
        let (first_id, first) = table.register();
        let _second_slot = table.admit().await.unwrap();
        let (_, second) = table.register();
        let _request = second.begin().unwrap();

        let told = first.clone();
        let closing = tokio::spawn(async move {
            told.give_way.notified().await;
            drop(first_slot);
        });
        let third_slot = table.admit().await;
        assert!(third_slot.is_some(), "the idle connection made room");
        closing.await.unwrap();
        assert!(
            first.begin().is_none(),
            "a connection giving way takes no new request"
        );

        table.remove(first_id);
        let (_, third) = table.register();
        let _third_request = third.begin().unwrap();
        assert!(
            table.admit().await.is_none(),
            "with every connection busy a newcomer is refused, nobody is cut"
        );
    }

    #[test]
    fn a_response_keeps_its_connection_busy_until_its_body_is_dropped() {
        let table = Table::new(1);
        let (_, connection) = table.register();
        let body = GuardedBody {
            body: Body::from("x"),
            _busy: connection.begin(),
        };
        assert_eq!(connection.in_flight.load(Ordering::Acquire), 1);
        drop(body);
        assert_eq!(connection.in_flight.load(Ordering::Acquire), 0);
    }
}
