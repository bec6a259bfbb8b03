//! Writing to the terminal: colour decisions, stdout that tolerates a closed pipe, and the
//! `error:` / `warning:` renderer for stderr.

use std::io::{self, IsTerminal as _, Write as _};

use owo_colors::OwoColorize as _;

/// Whether to colour output on stdout: never with `--no-color` or `NO_COLOR`, otherwise only on
/// a terminal.
#[must_use]
pub fn stdout_color(no_color: bool) -> bool {
    !no_color && !no_color_env() && io::stdout().is_terminal()
}

/// Whether to colour messages on stderr.
#[must_use]
pub fn stderr_color(no_color: bool) -> bool {
    !no_color && !no_color_env() && io::stderr().is_terminal()
}

/// The width to fit human output to: `--width N` (0 for no limit), else the terminal's when
/// stdout is one, else none, so that piped output is the same everywhere.
#[must_use]
pub fn width(flag: Option<usize>) -> Option<usize> {
    match flag {
        Some(0) => None,
        Some(n) => Some(n),
        None if io::stdout().is_terminal() => {
            terminal_size::terminal_size().map(|(terminal_size::Width(w), _)| usize::from(w))
        }
        None => None,
    }
}

fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not an error.
///
/// # Errors
/// Any other write error.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints a warning line to stderr.
pub fn warn(message: &str, color: bool) {
    let label = if color { "warning:".yellow().bold().to_string() } else { "warning:".into() };
    let _ = writeln!(io::stderr(), "{label} {message}");
}

/// An error and its causes on one line (`a: b: c`), each cause once, safe for a terminal.
#[must_use]
pub fn one_line(err: &anyhow::Error) -> String {
    let mut shown = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            shown = format!("{shown}: {text}");
        }
    }
    printable(&shown)
}

/// Prints an error and its causes to stderr.
pub fn error(err: &anyhow::Error, color: bool) {
    let label = if color { "error:".red().bold().to_string() } else { "error:".into() };
    let mut stderr = io::stderr().lock();
    let mut shown = err.to_string();
    let _ = writeln!(stderr, "{label} {}", printable(&shown));
    for cause in err.chain().skip(1) {
        // Each problem once: a cause already in what was printed (an error that wraps another
        // and shows it) is not repeated.
        let text = cause.to_string();
        if shown.contains(&text) {
            continue;
        }
        let _ = writeln!(stderr, "  caused by: {}", printable(&text));
        shown.push_str(&text);
    }
}

/// The most of one line of an error shown (a 50 MB value is not echoed whole).
const LINE_CAP: usize = 300;

/// `text` safe for a terminal: control characters (ESC and the like) escaped, each line cut to
/// [`LINE_CAP`] characters with the number left out said.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let total = line.chars().count();
        for c in line.chars().take(LINE_CAP) {
            if c.is_control() && c != '\t' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        if total > LINE_CAP {
            out.push_str(&format!("… ({} more characters)", total - LINE_CAP));
        }
    }
    out
}
