//! A spinner on stderr while the cluster is read or a long wait runs, only when stderr is a
//! terminal: piped or redirected output, and therefore scripts and CI logs, never see it.
//!
//! A wait shows what it awaits, the time it has taken and its bound:
//! `⠋ waiting for Gateway runai/runai-gateway to be Programmed · 12s of 5m`.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Whether a wait's progress line is showing: the reads it polls draw no spinner of their own
/// over it.
static WAITING: AtomicBool = AtomicBool::new(false);

/// A running spinner (or nothing, off a terminal).
pub struct Spinner {
    inner: Option<Inner>,
    /// A wait's progress (see [`WAITING`]).
    waits: bool,
}

/// What the spinner says.
#[derive(Debug, Clone)]
struct Text {
    what: String,
    /// For a wait: when it began, and its bound (`None`: unbounded).
    clock: Option<(Instant, Option<Duration>)>,
}

struct Inner {
    stop: Arc<AtomicBool>,
    text: Arc<Mutex<Text>>,
    thread: JoinHandle<()>,
}

impl Spinner {
    /// Starts a spinner showing `message`, when stderr is a terminal and no wait shows its
    /// progress.
    pub fn start(message: &str) -> Self {
        if WAITING.load(Ordering::SeqCst) {
            return Self { inner: None, waits: false };
        }
        Self::spawn(Text { what: message.to_owned(), clock: None }, false)
    }

    /// Starts a spinner for a wait: `what` is awaited (`waiting for …`), the line adds the time
    /// taken and, when given, the bound. Stop it before printing to stdout: on a terminal both
    /// share the screen.
    pub fn progress(what: &str, bound: Option<Duration>) -> Self {
        Self::spawn(Text { what: what.to_owned(), clock: Some((Instant::now(), bound)) }, true)
    }

    fn spawn(text: Text, waits: bool) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self { inner: None, waits: false };
        }
        if waits {
            WAITING.store(true, Ordering::SeqCst);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let text = Arc::new(Mutex::new(text));
        let (stop2, text2) = (stop.clone(), text.clone());
        let thread = std::thread::spawn(move || {
            let mut i = 0;
            while !stop2.load(Ordering::Relaxed) {
                let Ok(t) = text2.lock().map(|t| t.clone()) else { break };
                let elapsed = t.clock.map(|(at, bound)| (at.elapsed(), bound));
                let line = line(FRAMES[i % FRAMES.len()], &t.what, elapsed, columns());
                let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
                let _ = std::io::stderr().flush();
                i += 1;
                std::thread::sleep(Duration::from_millis(80));
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
        Self { inner: Some(Inner { stop, text, thread }), waits }
    }

    /// Changes the text shown.
    pub fn set_message(&self, message: &str) {
        if let Some(inner) = &self.inner
            && let Ok(mut t) = inner.text.lock()
        {
            message.clone_into(&mut t.what);
        }
    }

    /// Stops and clears the line (as dropping it does).
    pub fn stop(self) {}
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.stop.store(true, Ordering::Relaxed);
            let _ = inner.thread.join();
        }
        if self.waits {
            WAITING.store(false, Ordering::SeqCst);
        }
    }
}

/// The width of the terminal stderr is, when known: a longer line would wrap, and the next
/// frame would clear only its last row.
fn columns() -> Option<usize> {
    terminal_size::terminal_size_of(std::io::stderr()).map(|(terminal_size::Width(w), _)| usize::from(w))
}

/// One frame: `⠋ reading the cluster…`, or for a wait `⠋ WHAT · 12s of 5m` (`· 12s` when
/// unbounded), cut to `columns` less one.
#[must_use]
pub fn line(
    frame: &str,
    what: &str,
    clock: Option<(Duration, Option<Duration>)>,
    columns: Option<usize>,
) -> String {
    let text = match clock {
        None => format!("{frame} {what}…"),
        Some((elapsed, None)) => format!("{frame} {what} · {}", short(whole_seconds(elapsed))),
        Some((elapsed, Some(bound))) => {
            format!("{frame} {what} · {} of {}", short(whole_seconds(elapsed)), short(bound))
        }
    };
    match columns {
        Some(c) if c > 1 && text.chars().count() >= c => {
            let mut cut: String = text.chars().take(c - 2).collect();
            cut.push('…');
            cut
        }
        _ => text,
    }
}

fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}

/// A duration as the flags take it: `200ms`, `12s`, `5m`, `1m30s`, `2h5m`.
#[must_use]
pub fn short(d: Duration) -> String {
    if d < Duration::from_secs(1) && !d.is_zero() {
        return format!("{}ms", d.as_millis());
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_wait_says_what_it_awaits_the_time_taken_and_the_bound() {
        let what = "waiting for Gateway runai/runai-gateway to be Programmed";
        assert_eq!(
            line("⠋", what, Some((Duration::from_millis(12_700), Some(S(300)))), None),
            "⠋ waiting for Gateway runai/runai-gateway to be Programmed · 12s of 5m"
        );
        assert_eq!(line("⠙", "waiting for DNS", Some((S(65), None)), None), "⠙ waiting for DNS · 1m5s");
        assert_eq!(line("⠹", "reading the cluster", None, None), "⠹ reading the cluster…");
    }

    #[test]
    fn a_line_never_wraps_the_terminal() {
        let l = line("⠋", "waiting for a very long thing to happen", Some((S(3), Some(S(10)))), Some(20));
        assert_eq!(l.chars().count(), 19);
        assert!(l.ends_with('…'));
        assert_eq!(line("⠋", "short", None, Some(80)), "⠋ short…");
    }

    #[test]
    fn durations_read_as_the_flags_take_them() {
        assert_eq!(short(Duration::from_millis(200)), "200ms");
        assert_eq!(short(Duration::ZERO), "0s");
        assert_eq!(short(S(10)), "10s");
        assert_eq!(short(S(300)), "5m");
        assert_eq!(short(S(90)), "1m30s");
        assert_eq!(short(S(7500)), "2h5m");
    }
}
