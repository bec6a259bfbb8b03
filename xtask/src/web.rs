//! `cargo xtask web` and `cargo xtask wasm-size`: the browser calculator of `wasm/`.
//!
//! The build is the plain tool chain, no wasm-pack and no bundler:
//! 1. `cargo build --target wasm32-unknown-unknown --profile wasm-release -p runai-gateway-wasm`
//!    (opt-level "z", LTO, one codegen unit, panic=abort: see the root `Cargo.toml`);
//! 2. `wasm-bindgen --target web`, whose version must equal the `wasm-bindgen` crate in
//!    `Cargo.lock` (the generated glue and the crate speak one protocol);
//! 3. `wasm-opt -Oz` where the machine has it (Debian's `binaryen`), kept only when it makes the
//!    gzipped file smaller;
//! 4. `wasm/web/*` copied beside `pkg/` into `target/web`, which any static file server can serve.
//!
//! `web` then serves that folder on 127.0.0.1 (only) until interrupted.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The wasm crate's package name.
pub const PACKAGE: &str = "runai-gateway-wasm";
/// The `.wasm` cargo writes, and the stem of wasm-bindgen's output.
pub const WASM_STEM: &str = "runai_gateway_wasm";
/// The cargo profile for the calculator.
pub const PROFILE: &str = "wasm-release";

/// What `build` did, with the sizes the README records.
#[derive(Debug, Clone)]
pub struct Built {
    /// The folder with `index.html` and `pkg/`.
    pub out: PathBuf,
    /// The `.wasm` cargo wrote (before wasm-bindgen), with its name section.
    pub cargo_wasm: PathBuf,
    /// Raw and gzipped bytes after wasm-bindgen.
    pub bindgen: (u64, u64),
    /// Raw and gzipped bytes after `wasm-opt -Oz`, when it ran.
    pub wasm_opt: Option<(u64, u64)>,
    /// Whether the wasm-opt output is the one in `pkg/`.
    pub kept_wasm_opt: bool,
    /// Why wasm-opt did not run, when it did not.
    pub wasm_opt_note: Option<String>,
}

impl Built {
    /// Raw and gzipped bytes of the `.wasm` the page loads.
    #[must_use]
    pub fn shipped(&self) -> (u64, u64) {
        match (self.kept_wasm_opt, self.wasm_opt) {
            (true, Some(s)) => s,
            _ => self.bindgen,
        }
    }

    /// A few lines for the terminal (and the README).
    #[must_use]
    pub fn summary(&self) -> String {
        let kb = |b: u64| format!("{:.1} KiB", b as f64 / 1024.0);
        let mut s = String::new();
        let (raw, gz) = self.bindgen;
        let _ = writeln!(s, "after wasm-bindgen: {} raw, {} gzipped", kb(raw), kb(gz));
        match (self.wasm_opt, &self.wasm_opt_note) {
            (Some((raw, gz)), _) => {
                let _ = writeln!(
                    s,
                    "after wasm-opt -Oz: {} raw, {} gzipped ({})",
                    kb(raw),
                    kb(gz),
                    if self.kept_wasm_opt { "kept" } else { "not kept: larger gzipped" }
                );
            }
            (None, Some(note)) => {
                let _ = writeln!(s, "wasm-opt: {note}");
            }
            (None, None) => {}
        }
        let (raw, gz) = self.shipped();
        let _ = writeln!(
            s,
            "shipped {}/pkg/{WASM_STEM}_bg.wasm: {} raw, {} gzipped",
            self.out.display(),
            kb(raw),
            kb(gz)
        );
        s
    }
}

fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The `wasm-bindgen` version pinned in `Cargo.lock`.
///
/// # Errors
/// When the lock file cannot be read or does not contain the crate.
pub fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

/// Gzipped size at the best level, as a static server would send it.
#[must_use]
pub fn gzipped_len(bytes: &[u8]) -> u64 {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map_or(0, |v| v.len() as u64)
}

fn sizes(path: &Path) -> Result<(u64, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((bytes.len() as u64, gzipped_len(&bytes)))
}

/// Builds the page into `<target>/web`.
///
/// # Errors
/// A failed build step, or a `wasm-bindgen` CLI of another version than the crate's.
pub fn build(root: &Path, target_dir: &Path, use_wasm_opt: bool) -> Result<Built> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).current_dir(root).args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        PROFILE,
        "-p",
        PACKAGE,
    ]))?;
    let cargo_wasm =
        target_dir.join("wasm32-unknown-unknown").join(PROFILE).join(format!("{WASM_STEM}.wasm"));

    let want = locked_wasm_bindgen(root)?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(want.as_str()) {
        bail!(
            "wasm-bindgen CLI {} does not match the wasm-bindgen crate {want}: \
             `cargo install wasm-bindgen-cli --version {want}` (wasm/test.sh does)",
            if have.is_empty() { "not found" } else { &have }
        );
    }

    let out = target_dir.join("web");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    let web = root.join("wasm/web");
    for entry in std::fs::read_dir(&web).with_context(|| format!("reading {}", web.display()))? {
        let path = entry?.path();
        if path.is_file() {
            std::fs::copy(&path, out.join(path.file_name().unwrap_or_default()))?;
        }
    }
    let pkg = out.join("pkg");
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--remove-name-section", "--remove-producers-section", "--out-dir"])
        .arg(&pkg)
        .arg(&cargo_wasm))?;
    let shipped = pkg.join(format!("{WASM_STEM}_bg.wasm"));
    let bindgen = sizes(&shipped)?;

    let mut built =
        Built { out, cargo_wasm, bindgen, wasm_opt: None, kept_wasm_opt: false, wasm_opt_note: None };
    if !use_wasm_opt {
        built.wasm_opt_note = Some("skipped (--no-wasm-opt)".into());
    } else if output(Command::new("wasm-opt").arg("--version")).is_none() {
        built.wasm_opt_note =
            Some("not installed (Debian: apt-get install binaryen); shipping wasm-bindgen's output".into());
    } else {
        let opt = shipped.with_extension("opt.wasm");
        // The features rustc's wasm32 target emits; binaryen must be told, since the
        // target_features section does not survive wasm-bindgen.
        run(Command::new("wasm-opt")
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-mutable-globals",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-reference-types",
                "--enable-multivalue",
                "--enable-simd",
                "--strip-debug",
                "--strip-producers",
                "-o",
            ])
            .arg(&opt)
            .arg(&shipped))?;
        let after = sizes(&opt)?;
        built.wasm_opt = Some(after);
        if after.1 < bindgen.1 {
            std::fs::rename(&opt, &shipped)?;
            built.kept_wasm_opt = true;
        } else {
            std::fs::remove_file(&opt)?;
        }
    }
    Ok(built)
}

/// The largest items of the `.wasm` cargo wrote, by `twiggy top` (when twiggy is installed).
#[must_use]
pub fn twiggy_top(built: &Built, n: usize) -> Option<String> {
    output(Command::new("twiggy").args(["top", "-n", &n.to_string()]).arg(&built.cargo_wasm))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(dir: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = if path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
    let file = (!rel.split('/').any(|c| c == ".." || c.contains('\\')))
        .then(|| dir.join(rel.trim_start_matches('/')))
        .and_then(|p| std::fs::read(&p).ok().map(|body| (p, body)));
    let (status, ctype, body) = match (method, file) {
        ("GET" | "HEAD", Some((p, body))) => ("200 OK", content_type(&p), body),
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
        _ => ("405 Method Not Allowed", "text/plain", b"GET only\n".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
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
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let dir = dir.to_path_buf();
        std::thread::spawn(move || {
            let _ = respond(&dir, stream);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_wasm_bindgen_version_is_found() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."));
        let v = locked_wasm_bindgen(root).expect("wasm-bindgen is locked");
        assert!(v.starts_with("0.2."), "{v}");
    }

    #[test]
    fn gzip_shrinks_repetitive_bytes() {
        let bytes = vec![b'a'; 10_000];
        let gz = gzipped_len(&bytes);
        assert!(gz > 0 && gz < 200, "{gz}");
    }

    #[test]
    fn the_server_sends_wasm_with_its_mime_type_and_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("xtask-web-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap_or_default();
        std::fs::write(dir.join("pkg/a.wasm"), b"\0asm").unwrap_or_default();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let served = dir.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                let _ = respond(&served, s);
            }
        });
        let get = |path: &str| {
            let mut s = TcpStream::connect(addr).expect("connect");
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
            let mut out = String::new();
            std::io::Read::read_to_string(&mut s, &mut out).expect("read");
            out
        };
        let ok = get("/pkg/a.wasm");
        assert!(ok.starts_with("HTTP/1.1 200") && ok.contains("Content-Type: application/wasm"), "{ok}");
        assert!(get("/../etc/passwd").starts_with("HTTP/1.1 404"));
        assert!(get("/missing.js").starts_with("HTTP/1.1 404"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
