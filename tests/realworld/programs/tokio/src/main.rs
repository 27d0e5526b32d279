//! A minimal HTTP/1.1 server on a tokio multi-thread runtime with two workers.
//!
//! Usage: tokio-httpd offload|blocking PORT
//!
//! The accept loop is the `block_on` future on the main thread (as with `#[tokio::main]`);
//! connections are tasks on the two workers. Threads keep tokio's default name
//! (tokio-runtime-worker, shared by the async workers and the blocking pool).
//!
//! Every request costs about 2 ms of blocking work.
//!   offload:  the work runs in `spawn_blocking`; the async workers never block.
//!   blocking: like offload, but every 10th request also sleeps 30 ms directly on the
//!             async worker thread (the bug: a blocking call on an event-loop thread).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

static REQUESTS: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Offload,
    Blocking,
}

const BODY: &[u8] = b"hello from tokio\n";

async fn work(mode: Mode) {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed) + 1;
    if mode == Mode::Blocking && n % 10 == 0 {
        // Blocks the worker thread that polls this task, and every task queued behind it.
        std::thread::sleep(Duration::from_millis(30));
        return;
    }
    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(2)))
        .await
        .expect("blocking task");
}

fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn wants_close(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if text.contains("\r\nconnection: close") {
        return true;
    }
    // HTTP/1.0 closes unless it asks for keep-alive.
    text.starts_with("get ") && text.contains(" http/1.0\r\n") && !text.contains("\r\nconnection: keep-alive")
}

async fn serve(mut sock: TcpStream, mode: Mode) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        // Read one request head (bodies are not expected: GET only).
        let end = loop {
            if let Some(end) = header_end(&buf) {
                break end;
            }
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let close = wants_close(&buf[..end]);
        buf.drain(..end);

        work(mode).await;

        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n",
            BODY.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        let mut resp = Vec::with_capacity(head.len() + BODY.len());
        resp.extend_from_slice(head.as_bytes());
        resp.extend_from_slice(BODY);
        sock.write_all(&resp).await?;
        if close {
            return Ok(());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} offload|blocking PORT", args[0]);
        std::process::exit(2);
    }
    let mode = match args[1].as_str() {
        "offload" => Mode::Offload,
        "blocking" => Mode::Blocking,
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    };
    let port: u16 = args[2].parse().expect("port");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        loop {
            let (sock, _) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            tokio::spawn(async move {
                let _ = serve(sock, mode).await;
            });
        }
    });
}
