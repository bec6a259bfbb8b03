//! The static file server of the browser calculator: `cargo xtask web` serves the built page
//! with it, `cargo xtask web-bench` measures through it, and the page's end-to-end tests drive
//! Chromium against it. Loopback only, `GET`/`HEAD`, the precompressed `.gz` twin of a file when
//! the browser accepts gzip, nothing outside the folder.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("yaml") => "text/yaml; charset=utf-8",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(dir: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut gzip = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("accept-encoding")
        {
            gzip = value.split(',').any(|e| e.split(';').next().is_some_and(|e| e.trim() == "gzip"));
        }
    }
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = if path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
    let path = (!rel.split('/').any(|c| c == ".." || c.contains('\\')))
        .then(|| dir.join(rel.trim_start_matches('/')))
        .filter(|p| p.is_file());
    // The precompressed twin when the browser takes gzip (every browser does).
    let twin = path.as_ref().map(|p| PathBuf::from(format!("{}.gz", p.display()))).filter(|_| gzip);
    let (encoding, file) = match (twin.and_then(|t| std::fs::read(t).ok()), &path) {
        (Some(body), Some(p)) => ("Content-Encoding: gzip\r\n", Some((p, body))),
        (None, Some(p)) => ("", std::fs::read(p).ok().map(|body| (p, body))),
        (_, None) => ("", None),
    };
    let (status, ctype, encoding, body) = match (method, file) {
        ("GET" | "HEAD", Some((p, body))) => ("200 OK", content_type(p), encoding, body),
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain", "", b"not found\n".to_vec()),
        _ => ("405 Method Not Allowed", "text/plain", "", b"GET only\n".to_vec()),
    };
    // Headers and body in one write, without Nagle's delay: two small writes would wait for the
    // browser's delayed ACK (40 ms on Linux) before the body goes out.
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{encoding}Content-Length: {}\r\nVary: Accept-Encoding\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        response.extend_from_slice(&body);
    }
    stream.set_nodelay(true)?;
    stream.write_all(&response)?;
    stream.shutdown(Shutdown::Write)
}

/// Serves `dir` on `127.0.0.1:port` until the process is interrupted.
///
/// # Errors
/// When the port cannot be bound.
pub fn serve(dir: &Path, port: u16) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (try --port)"))?;
    println!("serving {} on http://{}/ (Ctrl-C to stop)", dir.display(), listener.local_addr()?);
    serve_listener(dir, &listener);
    Ok(())
}

/// Serves `dir` on a bound listener, one thread per connection, until the process ends.
pub fn serve_listener(dir: &Path, listener: &TcpListener) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let dir = dir.to_path_buf();
        std::thread::spawn(move || {
            let _ = respond(&dir, stream);
        });
    }
}
