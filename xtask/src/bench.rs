//! `cargo xtask web-bench`: what a first visit to the calculator costs, in headless Chromium.
//!
//! The built page is served by `web`'s own server on 127.0.0.1 (gzip twins, `no-store`, so every
//! visit is a cold one: the bench checks each file really came over the wire). Each run visits
//! `/` twice, each time in a new browser session: once as the new browser's first navigation,
//! and once after the browser has shown a page of another site (a user following a link in the
//! browser they have open). Each visit waits for the first preview and reads the Resource Timing
//! entries: bytes on the wire before the first preview, and when it appeared; then it opens the
//! Diagnose view and measures what that loads. Times are the medians of the runs. Last, a page of
//! one line that only downloads the same `.wasm` ([`FLOOR_PAGE`]) is visited as many times: the
//! floor of this machine and browser, which the calculator's times read against.
//!
//! The WebDriver client is the end-to-end test's (`wasm/tests/support`), compiled in here too.

use std::net::TcpListener;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

#[path = "../../wasm/tests/support/mod.rs"]
mod support;

/// `--throttle`: 40 ms added to each request, 20 Mbit/s each way.
pub const THROTTLE: (u32, u64) = (40, 20_000_000);

/// One visit's numbers.
#[derive(Debug, Clone)]
pub struct Visit {
    /// (file, bytes on the wire) before the first preview, in load order.
    pub first: Vec<(String, u64)>,
    /// Milliseconds from navigation start to the first preview.
    pub first_preview_ms: f64,
    /// Milliseconds from navigation start to the calculator module being ready, and to the end
    /// of its `.wasm`'s download.
    pub engine_ms: (f64, f64),
    /// (file, bytes on the wire) loaded by opening the Diagnose view.
    pub diagnostics: Vec<(String, u64)>,
    /// Milliseconds from the click on the Diagnose view to its module being ready.
    pub diagnostics_ms: f64,
    /// Where the visit's browser came from.
    pub browser: Browser,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn files(entries: &Value) -> Result<Vec<(String, u64)>> {
    let list = entries.as_array().context("no resource entries")?;
    list.iter()
        .map(|e| {
            let name = e["name"].as_str().unwrap_or_default();
            let name = name.split(['#', '?']).next().unwrap_or_default();
            let name = name.split_once("//").map_or(name, |(_, rest)| rest);
            let name = name.split_once('/').map_or("/", |(_, path)| path);
            let bytes = e["transferSize"].as_u64().unwrap_or(0);
            if bytes == 0 {
                bail!("`{name}` came from a cache: the visit was not cold");
            }
            Ok((if name.is_empty() { "index.html".to_owned() } else { name.to_owned() }, bytes))
        })
        .collect()
}

/// Where a visit's browser comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// A browser started for the visit: the page is its first navigation, so the visit also pays
    /// for the browser's own cold start (its network service, its first renderer).
    New,
    /// A browser that has already shown a page of another site (`localhost` rather than
    /// `127.0.0.1`, so another renderer, and nothing of this page in any cache): a user following
    /// a link in the browser they have open.
    Running,
}

impl Browser {
    /// The report's heading for visits from this browser.
    fn label(self) -> &'static str {
        match self {
            Browser::Running => "a browser already running (another site shown first)",
            Browser::New => "a new browser (the page is its first navigation)",
        }
    }
}

/// What a bench measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The page's visits, in the order taken.
    pub visits: Vec<Visit>,
    /// Milliseconds to the [`FLOOR_PAGE`]'s mark, one per visit of it.
    pub floor: Vec<f64>,
}

/// Runs `runs` cold visits of the page in `dir` (on a [`THROTTLE`]d network with `throttle`),
/// each in a new browser session: per run, one visit as the first navigation of a new browser
/// and one from a browser that has shown another site's page ([`Browser`]). Then as many visits
/// of the [`FLOOR_PAGE`], each a new browser's first navigation, with the page's own `.wasm`.
///
/// # Errors
/// When the page does not start, a file came from a cache, or the floor's folder cannot be
/// written.
pub fn run(dir: &Path, runs: usize, throttle: bool) -> Result<Measured> {
    let port = serve(dir)?;
    let floor_dir = floor_page(dir)?;
    let floor_port = serve(floor_dir.path())?;
    let driver = support::Chromedriver::start();
    let mut visits = Vec::new();
    for _ in 0..runs {
        for browser in [Browser::New, Browser::Running] {
            visits.push(visit(&driver, port, throttle, browser)?);
        }
    }
    let floor = (0..runs)
        .map(|_| first_preview(&session(&driver, throttle), &format!("http://127.0.0.1:{floor_port}/")))
        .collect();
    Ok(Measured { visits, floor })
}

/// Serves `dir` on a free port of 127.0.0.1, for as long as the bench runs.
fn serve(dir: &Path) -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1")?;
    let port = listener.local_addr()?.port();
    let served = dir.to_path_buf();
    std::thread::spawn(move || xtask::serve::serve_listener(&served, &listener));
    Ok(port)
}

/// The floor page: a line of text and the calculator's `.wasm` downloaded (not even compiled),
/// marked `first-preview` at the frame after both. Any page that shows the engine's output pays
/// at least this on the machine and browser at hand, before it does anything of its own, so the
/// calculator's time reads against it.
pub const FLOOR_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>floor</title><link rel="icon" href="data:,"></head>
<body><p>A line of text.</p>
<script>
fetch('pkg/calculator_bg.wasm').then((r) => r.arrayBuffer()).then(() => requestAnimationFrame(() => {
  performance.mark('first-preview');
  document.body.dataset.firstPreview = String(Math.round(performance.now()));
}));
</script>
</body></html>
"#;

/// A folder of its own (removed when dropped) with the [`FLOOR_PAGE`] and the calculator's
/// `.wasm` and its gzipped twin from the built page in `dir`.
fn floor_page(dir: &Path) -> Result<tempfile::TempDir> {
    let floor = tempfile::Builder::new().prefix("runai-gateway-web-floor-").tempdir()?;
    std::fs::create_dir(floor.path().join("pkg"))?;
    std::fs::write(floor.path().join("index.html"), FLOOR_PAGE)?;
    for file in ["calculator_bg.wasm", "calculator_bg.wasm.gz"] {
        let from = dir.join("pkg").join(file);
        std::fs::copy(&from, floor.path().join("pkg").join(file))
            .with_context(|| format!("copying {} (build the page first)", from.display()))?;
    }
    Ok(floor)
}

/// A new browser session, on a [`THROTTLE`]d network with `throttle`.
fn session(driver: &support::Chromedriver, throttle: bool) -> support::Session {
    let s = driver.session(1280, 900);
    if throttle {
        s.throttle(THROTTLE.0, THROTTLE.1);
    }
    s
}

/// Opens `url` in `s` and waits for its page's `first-preview` mark: milliseconds from
/// navigation start to it.
fn first_preview(s: &support::Session, url: &str) -> f64 {
    s.goto(url);
    s.wait_for("the first preview", "return document.body.dataset.firstPreview !== undefined;");
    s.js("return performance.getEntriesByName('first-preview')[0].startTime;", vec![]).as_f64().unwrap_or(0.0)
}

/// One cold visit of the page served on `port`, in a new session.
fn visit(driver: &support::Chromedriver, port: u16, throttle: bool, browser: Browser) -> Result<Visit> {
    let s = session(driver, throttle);
    if browser == Browser::Running {
        // Another site's page (the server's plain-text "not found"): the browser is then running
        // and has a renderer up, but has seen nothing of the page under test.
        s.goto(&format!("http://localhost:{port}/another-site"));
        s.wait_for("the other site's page", "return document.readyState === 'complete';");
    }
    let first_preview_ms = first_preview(&s, &format!("http://127.0.0.1:{port}/"));
    let first = s.js(
        "const nav = performance.getEntriesByType('navigation')[0];
         const mark = performance.getEntriesByName('first-preview')[0].startTime;
         return [nav, ...performance.getEntriesByType('resource').filter(e => e.responseEnd <= mark)]
           .map(e => ({name: e.name, transferSize: e.transferSize}));",
        vec![],
    );
    let engine = s.js(
        "return [performance.getEntriesByName('engine-ready')[0].startTime,
                 performance.getEntriesByType('resource').find(e => e.name.endsWith('calculator_bg.wasm')).responseEnd];",
        vec![],
    );
    // WEB_BENCH_TIMELINE=1: when each file started and ended, and the page's marks.
    if std::env::var_os("WEB_BENCH_TIMELINE").is_some() {
        let t = s.js(
            "const n = performance.getEntriesByType('navigation')[0];
             return [['index.html', n.requestStart, n.responseEnd, n.domInteractive],
               ...performance.getEntriesByType('resource').map(e => [e.name.split('/').pop(), e.startTime, e.responseEnd]),
               ...performance.getEntriesByType('mark').map(m => [m.name, m.startTime])];",
            vec![],
        );
        eprintln!("timeline ({browser:?} browser, ms): {t}");
    }
    let before =
        s.js("return performance.getEntriesByType('resource').length;", vec![]).as_u64().unwrap_or(0);
    let clicked =
        s.js("document.getElementById('view-diagnostics').click(); return performance.now();", vec![]);
    s.wait_for("the diagnostics module", "return document.body.dataset.diagnosticsLoaded === 'true';");
    let ready = s.js("return performance.now();", vec![]);
    let diagnostics = s.js(
        "return performance.getEntriesByType('resource').slice(arguments[0])
           .map(e => ({name: e.name, transferSize: e.transferSize}));",
        vec![before.into()],
    );
    Ok(Visit {
        first: files(&first)?,
        first_preview_ms,
        engine_ms: (engine[0].as_f64().unwrap_or(0.0), engine[1].as_f64().unwrap_or(0.0)),
        diagnostics: files(&diagnostics)?,
        diagnostics_ms: ready.as_f64().unwrap_or(0.0) - clicked.as_f64().unwrap_or(0.0),
        browser,
    })
}

/// The report: bytes per file (of the first run; every run loads the same files) and the median
/// times, for a new browser and for a running one, then the floor they read against.
#[must_use]
pub fn report(measured: &Measured) -> String {
    use std::fmt::Write as _;
    let Measured { visits, floor } = measured;
    let mut s = String::new();
    let Some(one) = visits.first() else { return s };
    let kb = |b: u64| format!("{:.1} KB", b as f64 / 1000.0);
    let _ = writeln!(s, "first visit, before the first preview (bytes on the wire, gzip):");
    for (name, bytes) in &one.first {
        let _ = writeln!(s, "  {name:<32} {:>10}", kb(*bytes));
    }
    let total: u64 = one.first.iter().map(|f| f.1).sum();
    let _ = writeln!(s, "  {:<32} {:>10}", "total", kb(total));
    let _ = writeln!(s, "opening the Diagnose view loads:");
    for (name, bytes) in &one.diagnostics {
        let _ = writeln!(s, "  {name:<32} {:>10}", kb(*bytes));
    }
    let shown = |v: &[f64]| v.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", ");
    for browser in [Browser::Running, Browser::New] {
        let of = || visits.iter().filter(|v| v.browser == browser);
        let times = |f: fn(&Visit) -> f64| of().map(f).collect::<Vec<_>>();
        let first = times(|v| v.first_preview_ms);
        let _ = writeln!(s, "{}, cold cache:", browser.label());
        let _ = writeln!(
            s,
            "  first preview: median {:.0} ms of {} visits ({} ms)",
            median(first.clone()),
            first.len(),
            shown(&first)
        );
        let _ = writeln!(
            s,
            "  of which: .wasm downloaded at {:.0} ms, engine ready at {:.0} ms (medians)",
            median(times(|v| v.engine_ms.1)),
            median(times(|v| v.engine_ms.0)),
        );
        let diag = times(|v| v.diagnostics_ms);
        let _ = writeln!(
            s,
            "  Diagnose view ready: median {:.0} ms after the click ({} ms)",
            median(diag.clone()),
            shown(&diag)
        );
    }
    if !floor.is_empty() {
        let _ = writeln!(
            s,
            "the floor (a new browser; a page of one line that only downloads the same .wasm):\n  \
             on screen with the .wasm in: median {:.0} ms of {} visits ({} ms)",
            median(floor.clone()),
            floor.len(),
            shown(floor)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_run() {
        assert!((median(vec![5.0, 1.0, 300.0, 2.0, 4.0]) - 4.0).abs() < f64::EPSILON);
    }

    #[test]
    fn each_kind_of_visit_has_its_own_medians() {
        let visit = |browser, ms| Visit {
            first: vec![("index.html".into(), 900)],
            first_preview_ms: ms,
            engine_ms: (ms - 10.0, ms - 20.0),
            diagnostics: vec![("pkg/diagnostics_bg.wasm".into(), 1000)],
            diagnostics_ms: ms / 2.0,
            browser,
        };
        let visits = [
            visit(Browser::New, 300.0),
            visit(Browser::Running, 200.0),
            visit(Browser::New, 320.0),
            visit(Browser::Running, 220.0),
            visit(Browser::New, 310.0),
            visit(Browser::Running, 210.0),
        ];
        let mut measured = Measured { visits: visits.to_vec(), floor: vec![120.0, 90.0, 100.0] };
        let text = report(&measured);
        let running = text.find(Browser::Running.label()).expect("running heading");
        let new = text.find(Browser::New.label()).expect("new heading");
        assert!(running < new, "{text}");
        assert!(text[running..new].contains("median 210 ms of 3 visits (200, 220, 210 ms)"), "{text}");
        assert!(text[new..].contains("median 310 ms of 3 visits (300, 320, 310 ms)"), "{text}");
        assert!(text[new..].contains("Diagnose view ready: median 155 ms"), "{text}");
        let floor = text.find("the floor").expect("floor heading");
        assert!(floor > new, "{text}");
        assert!(text[floor..].contains("median 100 ms of 3 visits (120, 90, 100 ms)"), "{text}");
        measured.floor.clear();
        assert!(!report(&measured).contains("the floor"));
    }

    #[test]
    fn a_cached_file_fails_the_bench() {
        let entries = serde_json::json!([
            {"name": "http://127.0.0.1:1/#a=b", "transferSize": 900},
            {"name": "http://127.0.0.1:1/pkg/calculator_bg.wasm", "transferSize": 0},
        ]);
        assert!(files(&entries).is_err());
        let entries = serde_json::json!([{"name": "http://127.0.0.1:1/#a=b", "transferSize": 900}]);
        assert_eq!(files(&entries).expect("cold"), vec![("index.html".to_owned(), 900)]);
    }
}
