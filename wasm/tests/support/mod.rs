//! Just enough HTTP for the end-to-end test: a static file server for the built page and a
//! WebDriver client for chromedriver, both on 127.0.0.1 only, on `std::net` (no async runtime,
//! nothing to download).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The workspace root (this file is `wasm/tests/support/mod.rs`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

// ---- static files --------------------------------------------------------------------------

/// Serves a directory on 127.0.0.1 until the process ends, with the server `cargo xtask web`
/// uses; returns the base URL.
pub fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || xtask::serve::serve_listener(&dir, &listener));
    format!("http://{addr}")
}

// ---- a minimal HTTP/1.1 client ---------------------------------------------------------------

fn http(method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let payload = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    // Read the head, then exactly the body: chromedriver may keep the connection open.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(len) => body.len() >= len,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if chunked {
        body = dechunk(&body);
    }
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, value)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = String::from_utf8_lossy(&data[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

// ---- WebDriver -------------------------------------------------------------------------------

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver, ended on drop.
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Chromedriver {
    /// Starts `$CHROMEDRIVER` (default `/usr/bin/chromedriver`) on a free loopback port.
    pub fn start() -> Self {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin} ({e}); run wasm/test.sh, which installs it"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let (code, v) = http("GET", &format!("{url}/status"), None);
                if code == 200 && v["value"]["ready"] == json!(true) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            thread::sleep(Duration::from_millis(100));
        }
        Self { child, url }
    }

    /// Opens a headless Chromium session with a window of `width`×`height`.
    pub fn session(&self, width: u32, height: u32) -> Session {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile =
            std::env::temp_dir().join(format!("runai-gateway-e2e-{}-{}", std::process::id(), width));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-quic", "--no-first-run",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let (code, v) = http("POST", &format!("{}/session", self.url), Some(&caps));
        assert_eq!(code, 200, "new session: {v}");
        let id = v["value"]["sessionId"].as_str().unwrap().to_owned();
        Session { base: format!("{}/session/{id}", self.url) }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session, closed on drop.
pub struct Session {
    base: String,
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (code, v) = http(method, &format!("{}{path}", self.base), body.as_ref());
        assert_eq!(code, 200, "{method} {path}: {v}");
        v["value"].clone()
    }

    /// Emulates a slower network (Chromium's network conditions): `latency_ms` added to each
    /// request, `bits_per_second` each way.
    pub fn throttle(&self, latency_ms: u32, bits_per_second: u64) {
        let conditions = json!({"network_conditions": {
            "offline": false,
            "latency": latency_ms,
            "download_throughput": bits_per_second / 8,
            "upload_throughput": bits_per_second / 8,
        }});
        self.call("POST", "/chromium/network_conditions", Some(conditions));
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs a script (a function body with `arguments`) and returns its value.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    /// Waits until `script` returns `true`.
    pub fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.js(script, vec![]) != json!(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn find(&self, css: &str) -> Element<'_> {
        let v = self.call("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        Element { session: self, id: v[ELEMENT_KEY].as_str().unwrap().to_owned() }
    }

    /// `textContent` of the element with this id: exact bytes, unlike WebDriver's visible text.
    pub fn text_of(&self, id: &str) -> String {
        self.js("return document.getElementById(arguments[0]).textContent;", vec![json!(id)])
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_owned()
    }

    /// Saves a PNG of the whole page (the window is resized to the document's height first).
    pub fn screenshot(&self, path: &Path) {
        let height =
            self.js("return Math.ceil(document.documentElement.scrollHeight);", vec![]).as_u64().unwrap();
        let width = self.js("return window.outerWidth;", vec![]).as_u64().unwrap();
        self.call("POST", "/window/rect", Some(json!({"width": width, "height": height.min(6000)})));
        self.js("window.scrollTo(0, 0);", vec![]);
        let b64 = self.call("GET", "/screenshot", None);
        let png = base64_decode(b64.as_str().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = http("DELETE", &self.base, None);
    }
}

pub struct Element<'s> {
    session: &'s Session,
    id: String,
}

impl Element<'_> {
    pub fn click(&self) {
        self.session.call("POST", &format!("/element/{}/click", self.id), Some(json!({})));
    }

    pub fn clear(&self) {
        self.session.call("POST", &format!("/element/{}/clear", self.id), Some(json!({})));
    }

    /// Types like a user (key events, so the page's `input` handler runs on each key).
    pub fn type_text(&self, text: &str) {
        self.session.call("POST", &format!("/element/{}/value", self.id), Some(json!({ "text": text })));
    }

    /// Saves a PNG of just this element (scrolled into view).
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.session.call("GET", &format!("/element/{}/screenshot", self.id), None);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, base64_decode(b64.as_str().unwrap())).unwrap();
    }

    pub fn property(&self, name: &str) -> Value {
        self.session.call("GET", &format!("/element/{}/property/{name}", self.id), None)
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=' && c != b'\n').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        let [_, a, b, c] = n.to_be_bytes();
        out.push(a);
        if chunk.len() > 2 {
            out.push(b);
        }
        if chunk.len() > 3 {
            out.push(c);
        }
    }
    out
}
