//! `cargo xtask web` and `cargo xtask wasm-size`: the browser calculator of `wasm/`.
//!
//! The build is the plain tool chain, no wasm-pack and no bundler. For each of the page's two
//! modules ([`MODULES`]: the calculator, loaded first, and the diagnostics, loaded when needed):
//! 1. `cargo build --target wasm32-unknown-unknown --profile wasm-release -p runai-gateway-wasm
//!    --no-default-features --features MODULE` (opt-level "z", LTO, one codegen unit,
//!    panic=abort: see the root `Cargo.toml`);
//! 2. `wasm-bindgen --target TARGET --out-name MODULE` ([`glue_target`]: a classic script for
//!    the calculator, an ES module for the diagnostics), whose version must equal the
//!    `wasm-bindgen` crate in `Cargo.lock` (the generated glue and the crate speak one protocol);
//! 3. `wasm-opt -Oz` where the machine has it (Debian's `binaryen`), kept only when it makes the
//!    gzipped file smaller.
//!
//! Then `wasm/web/*` is copied beside `pkg/` into `target/web`, and every file gets a gzipped
//! twin (`app.js.gz`), which `web` serves to browsers that accept gzip and any static server
//! can be set up to serve (nginx `gzip_static on`). The folder works from any static server.
//!
//! `web` then serves that folder on 127.0.0.1 (only) until interrupted.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The wasm crate's package name.
pub const PACKAGE: &str = "runai-gateway-wasm";
/// The `.wasm` cargo writes.
pub const WASM_STEM: &str = "runai_gateway_wasm";
/// The cargo profile for the calculator.
pub const PROFILE: &str = "wasm-release";
/// The page's modules: the cargo feature of the wasm crate that exports each, which is also the
/// stem of its files in `pkg/` (`calculator.js`, `calculator_bg.wasm`).
pub const MODULES: [&str; 2] = ["calculator", "diagnostics"];

/// What `build` did for the whole page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The folder with `index.html` and `pkg/`.
    pub out: PathBuf,
    /// Each module, in [`MODULES`] order.
    pub modules: Vec<Built>,
}

impl Page {
    /// The terminal summary of every module, and the page's files.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for m in &self.modules {
            let _ = writeln!(s, "{}:", m.name);
            for line in m.summary().lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        let kb = |b: u64| format!("{:.1} KiB", b as f64 / 1024.0);
        if let Ok(files) = page_files(&self.out) {
            let (raw, gz) = files.iter().fold((0, 0), |(r, g), f| (r + f.1, g + f.2));
            let _ = writeln!(s, "page files (html, css, js, glue): {} raw, {} gzipped", kb(raw), kb(gz));
        }
        s
    }
}

/// What `build` did for one module, with the sizes the README records.
#[derive(Debug, Clone)]
pub struct Built {
    /// The module (one of [`MODULES`]).
    pub name: &'static str,
    /// The folder with `index.html` and `pkg/`.
    pub out: PathBuf,
    /// The `.wasm` cargo wrote (before wasm-bindgen), with its name section, kept per module.
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
            "shipped {}/pkg/{}_bg.wasm: {} raw, {} gzipped",
            self.out.display(),
            self.name,
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

/// Builds the page into `<target>/web`: both modules, the static files, and a gzipped twin of
/// each file.
///
/// # Errors
/// A failed build step, or a `wasm-bindgen` CLI of another version than the crate's.
pub fn build(root: &Path, target_dir: &Path, use_wasm_opt: bool) -> Result<Page> {
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
    // The Diagnose view's "Try the example snapshot" loads this.
    std::fs::copy(root.join("examples/snapshot.yaml"), out.join("example-snapshot.yaml"))
        .context("copying examples/snapshot.yaml")?;
    let mut modules = Vec::new();
    for name in MODULES {
        modules.push(build_module(root, target_dir, &out, name, use_wasm_opt)?);
    }
    // The glue's TypeScript declarations are for developers, not for the page.
    for entry in std::fs::read_dir(out.join("pkg"))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".d.ts") {
            std::fs::remove_file(&path)?;
        }
    }
    precompress(&out)?;
    Ok(Page { out, modules })
}

/// The glue wasm-bindgen writes for a module. The calculator's is a classic script
/// (`no-modules`: a global `wasm_bindgen`), run by the parser at the end of `index.html`, so the
/// first preview does not wait for the deferred module scripts; the diagnostics' is an ES module,
/// which `app.js` imports when the Diagnose view first opens.
#[must_use]
pub fn glue_target(module: &str) -> &'static str {
    if module == "calculator" { "no-modules" } else { "web" }
}

fn build_module(
    root: &Path,
    target_dir: &Path,
    out: &Path,
    name: &'static str,
    use_wasm_opt: bool,
) -> Result<Built> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).current_dir(root).args([
        "build",
        "--locked",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        PROFILE,
        "-p",
        PACKAGE,
        "--no-default-features",
        "--features",
        name,
    ]))?;
    // Both modules come out of cargo under one name; keep each for `wasm-size`.
    let built = target_dir.join("wasm32-unknown-unknown").join(PROFILE).join(format!("{WASM_STEM}.wasm"));
    let cargo_wasm = target_dir.join("wasm32-unknown-unknown").join(PROFILE).join(format!("{name}.wasm"));
    std::fs::copy(&built, &cargo_wasm).with_context(|| format!("copying {}", built.display()))?;

    let pkg = out.join("pkg");
    run(Command::new("wasm-bindgen")
        .args([
            "--target",
            glue_target(name),
            "--remove-name-section",
            "--remove-producers-section",
            "--out-name",
            name,
        ])
        .arg("--out-dir")
        .arg(&pkg)
        .arg(&cargo_wasm))?;
    let shipped = pkg.join(format!("{name}_bg.wasm"));
    let bindgen = sizes(&shipped)?;

    let mut built = Built {
        name,
        out: out.to_path_buf(),
        cargo_wasm,
        bindgen,
        wasm_opt: None,
        kept_wasm_opt: false,
        wasm_opt_note: None,
    };
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

/// The page's files under `dir` (not the `.gz` twins): path relative to `dir`, raw and gzipped
/// bytes, sorted by path.
///
/// # Errors
/// An unreadable folder or file.
pub fn page_files(dir: &Path) -> Result<Vec<(String, u64, u64)>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, u64, u64)>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                walk(base, &path, out)?;
            } else if path.extension().is_none_or(|e| e != "gz") {
                let rel = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                let (raw, gz) = sizes(&path)?;
                out.push((rel, raw, gz));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Writes `FILE.gz` (best compression) beside every file of the page.
fn precompress(dir: &Path) -> Result<()> {
    for (rel, _, _) in page_files(dir)? {
        let path = dir.join(&rel);
        let bytes = std::fs::read(&path)?;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&bytes)?;
        std::fs::write(format!("{}.gz", path.display()), enc.finish()?)?;
    }
    Ok(())
}

/// The largest items of a module's `.wasm` as cargo wrote it, by `twiggy top` (when twiggy is
/// installed).
#[must_use]
pub fn twiggy_top(built: &Built, n: usize) -> Option<String> {
    output(Command::new("twiggy").args(["top", "-n", &n.to_string()]).arg(&built.cargo_wasm))
}

/// What a function or data item of the `.wasm` belongs to, by its (demangled) name: the parts
/// the README's breakdown names.
#[must_use]
pub fn part_of(item: &str) -> &'static str {
    let name =
        item.trim_start_matches(['<', '&', '*', ' ']).trim_start_matches("mut ").trim_start_matches("dyn ");
    let krate = name.split([':', '<', ' ', '(', '[']).next().unwrap_or_default();
    match krate {
        "serde_saphyr" | "granit_parser" | "saphyr_parser" | "annotate_snippets" | "zmij" | "encoding_rs"
        | "encoding_rs_io" | "smallvec" | "nohash_hasher" | "num_traits" => {
            "YAML (serde-saphyr and its parser)"
        }
        "core" | "alloc" | "std" | "dlmalloc" | "compiler_builtins" | "hashbrown" | "memchr" | "itoa"
        | "ryu" | "str" | "char" | "f64" | "u64" | "u32" | "u16" | "u8" | "usize" | "i64" | "T"
        | "__rustc" => "Rust std (formatting, floats, collections, allocator)",
        "serde_json" | "serde" | "serde_core" | "indexmap" => "serde_json and serde",
        "runai_gateway_core" => "runai-gateway-core",
        "runai_gateway_wasm"
        | "wasm_bindgen"
        | "js_sys"
        | "console_error_panic_hook"
        | "export"
        | "import" => "the bindings (wasm-bindgen, exported functions)",
        "x509_parser" | "asn1_rs" | "der_parser" | "oid_registry" | "data_encoding" | "time" | "pem"
        | "base64" | "nom" | "rusticata_macros" => "certificates (x509-parser and its decoders)",
        "flate2" | "miniz_oxide" | "adler2" | "crc32fast" => "Helm release decoding (flate2)",
        "k8s_openapi" | "gateway_api" | "kube_core" | "chrono" => "Kubernetes and Gateway API types",
        "owo_colors" | "tabled" | "papergrid" => "colour and tables",
        "data" => "read-only data (strings, tables)",
        _ => "other (exports, glue, unnamed)",
    }
}

/// Bytes per part (see [`part_of`]) of a module's `.wasm`, largest first, from `twiggy top`'s
/// CSV (when twiggy is installed).
#[must_use]
pub fn breakdown(built: &Built) -> Option<Vec<(&'static str, u64)>> {
    let csv = output(
        Command::new("twiggy").args(["top", "-n", "1000000", "--format", "csv"]).arg(&built.cargo_wasm),
    )?;
    Some(parts(&csv))
}

fn parts(csv: &str) -> Vec<(&'static str, u64)> {
    let mut by_part = std::collections::BTreeMap::<&'static str, u64>::new();
    for line in csv.lines().skip(1) {
        // Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent; names may hold
        // commas, so read from the right.
        let mut fields = line.rsplitn(5, ',');
        let (size, name) = (fields.nth(3), fields.next());
        let (Some(size), Some(name)) = (size.and_then(|s| s.parse::<u64>().ok()), name) else { continue };
        let name = name.trim_matches('"');
        // Debug, name and wasm-bindgen sections do not ship, nor the descriptors wasm-bindgen reads
        // and removes.
        if name.contains("section") || name.contains("__wbindgen_describe") {
            continue;
        }
        *by_part.entry(part_of(name)).or_default() += size;
    }
    let mut v: Vec<_> = by_part.into_iter().collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn the_locked_wasm_bindgen_version_is_found() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."));
        let v = locked_wasm_bindgen(root).expect("wasm-bindgen is locked");
        assert!(v.starts_with("0.2."), "{v}");
    }

    #[test]
    fn items_are_told_apart_by_crate() {
        assert_eq!(part_of("serde_json::de::Deserializer<R>::parse_integer"), "serde_json and serde");
        assert_eq!(
            part_of("<runai_gateway_core::spec::SpecInput as serde::Deserialize>::deserialize"),
            "runai-gateway-core"
        );
        assert_eq!(
            part_of("core::fmt::write::h1234"),
            "Rust std (formatting, floats, collections, allocator)"
        );
        assert_eq!(part_of("data[3]"), "read-only data (strings, tables)");
        let csv = "Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent\n\
                   \"core::fmt::write\",100,1.0,,\n\"serde_json::a, b\",40,0.4,,\n\
                   custom section '.debug_info',900,9,,\ndata segment \".rodata\",60,0.6,,\n\
                   export \"__wbindgen_describe_x\",70,0.7,,\n";
        assert_eq!(
            parts(csv),
            vec![
                ("Rust std (formatting, floats, collections, allocator)", 100),
                ("read-only data (strings, tables)", 60),
                ("serde_json and serde", 40)
            ]
        );
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
        std::thread::spawn(move || xtask::serve::serve_listener(&served, &listener));
        let request = |path: &str, headers: &str| {
            let mut s = TcpStream::connect(addr).expect("connect");
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n").expect("write");
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut s, &mut out).expect("read");
            out
        };
        let get = |path: &str| String::from_utf8_lossy(&request(path, "")).into_owned();
        let ok = get("/pkg/a.wasm");
        assert!(ok.starts_with("HTTP/1.1 200") && ok.contains("Content-Type: application/wasm"), "{ok}");
        assert!(!ok.contains("Content-Encoding") && ok.ends_with("\0asm"), "{ok}");
        // With a gzipped twin, a browser that accepts gzip gets it, with the file's own type.
        precompress(&dir).expect("gzip");
        let gz = request("/pkg/a.wasm", "Accept-Encoding: br, gzip;q=0.9\r\n");
        let text = String::from_utf8_lossy(&gz);
        assert!(
            text.contains("Content-Encoding: gzip\r\n") && text.contains("Content-Type: application/wasm"),
            "{text}"
        );
        let body = &gz[gz.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end") + 4..];
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut unzipped).expect("gunzip");
        assert_eq!(unzipped, b"\0asm");
        assert!(!get("/pkg/a.wasm").contains("Content-Encoding"), "only when asked for");
        assert!(page_files(&dir).expect("files").iter().all(|(p, _, _)| !p.ends_with(".gz")));
        assert!(get("/../etc/passwd").starts_with("HTTP/1.1 404"));
        assert!(get("/missing.js").starts_with("HTTP/1.1 404"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
