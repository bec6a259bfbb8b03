//! `status --watch`: the live cluster re-read and re-judged every `--interval`, each round
//! bounded by `--timeout` as one `status` run is.
//!
//! - On a terminal, each round redraws the screen: a header (`every 10s · round 3 · 14:02:07 UTC ·
//!   Ctrl-C to stop`), what changed last and when, then the report.
//! - Piped, the first report is printed once, then one line per change per round (the core's
//!   [`changes`]), nothing on a round without one; `-o json` prints one report per line instead,
//!   for the first round and every round that changed.
//!
//! `--until PHASE|healthy` ends the watch when a round reaches it, with that round's exit code.
//! Ctrl-C ends it at once, quietly, with the exit code of the last round that finished (as
//! `kubectl get -w` ends without a message); a round cut short does not count. A round that
//! cannot read the cluster is said on stderr and the watch goes on; its exit code (6) is the
//! last round's until one reads again.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use owo_colors::OwoColorize as _;
use runai_gateway_core::checks::Report;
use runai_gateway_core::checks::changes::{Change, Target, changes};
use runai_gateway_core::render::{ReportFormat, render_report_width};

use crate::cli::{StatusArgs, StatusOutput};
use crate::exit::Exit;
use crate::kube_args::{RequestTimeout, UsageError, parse_request_timeout};
use crate::output;
use crate::read::spinner::{Spinner, short};

/// `--interval`: the duration parser of `--timeout`, without 0 (a watch that never waits).
///
/// # Errors
/// A message for clap when the value is no duration, or 0.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    match parse_request_timeout(s)? {
        RequestTimeout(Some(d)) => Ok(d),
        RequestTimeout(None) => {
            Err("a watch waits between rounds: give a duration above 0 (500ms, 10s, 1m)".to_owned())
        }
    }
}

/// `--until`: a phase name, or `healthy`.
#[must_use]
pub fn until_parser() -> impl TypedValueParser<Value = Target> {
    PossibleValuesParser::new(Target::names())
        .try_map(|s| Target::parse(&s).ok_or_else(|| format!("`{s}` is no phase and not `healthy`")))
}

/// The exit code of the last round that finished, for Ctrl-C.
static LAST: AtomicU8 = AtomicU8::new(Exit::Success as u8);
/// Held while a round's output is written, so that Ctrl-C never cuts a line in half.
static OUTPUT: Mutex<()> = Mutex::new(());

/// Refuses what a watch cannot do, with the way out.
fn refuse(args: &StatusArgs) -> Result<(), UsageError> {
    let why = if args.from_file.is_some() {
        "`status --watch` re-reads the live cluster every round, and a snapshot file never changes: drop --from-file, or --watch"
    } else if crate::commands::fleet::wanted(args) {
        "`status --watch` watches one cluster: give one --context (run one watch per cluster), or drop --watch for one summary of all"
    } else if args.list_checks {
        "--list-checks prints the catalog of checks, which does not change: drop --watch"
    } else if args.save_snapshot.is_some() {
        "--save-snapshot writes the snapshot of one run, and a watch reads many: drop it, or run `kubectl runai-gateway snapshot` when the watch ends"
    } else if matches!(args.output, StatusOutput::Yaml | StatusOutput::Markdown | StatusOutput::Html) {
        "`status --watch` prints the table (redrawn on a terminal, one line per change when piped) or, with -o json, one JSON report per line: -o yaml, markdown and html are one document each; use -o json, or drop --watch"
    } else {
        return Ok(());
    };
    Err(UsageError(why.to_owned()))
}

/// How rounds are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A terminal: the screen redrawn each round.
    Frames,
    /// Piped: the first report, then one line per change.
    Lines,
    /// `-o json`: one report per line for each round that changed.
    JsonLines,
}

/// The changes of the latest round that had any: its number, time of day and the changes.
type LastChange = (u64, String, Vec<Change>);

struct Watch<'a> {
    args: &'a StatusArgs,
    mode: Mode,
    color: bool,
    format: ReportFormat,
    last_change: Option<LastChange>,
}

/// Runs `status --watch`.
///
/// # Errors
/// Usage errors; the first round's errors (input, an unreachable cluster); output errors.
pub fn run(args: &StatusArgs, no_color: bool) -> anyhow::Result<Exit> {
    refuse(args)?;
    let mode = match args.output {
        StatusOutput::Json => Mode::JsonLines,
        _ if std::io::stdout().is_terminal() => Mode::Frames,
        _ => Mode::Lines,
    };
    let format = super::status::human_format(args);
    let mut watch = Watch { args, mode, color: output::stdout_color(no_color), format, last_change: None };
    on_interrupt()?;
    let err_color = output::stderr_color(no_color);
    let mut previous: Option<Report> = None;
    for round in 1u64.. {
        let started = Instant::now();
        match super::status::live_report(args, &args.kube, err_color) {
            Ok(report) => {
                let exit = super::status::exit_of(&report, args.fail_on);
                let reached = args.until.is_some_and(|t| t.reached(&report));
                {
                    let _held = OUTPUT.lock();
                    watch.show(round, previous.as_ref(), &report)?;
                    if reached && watch.mode != Mode::JsonLines {
                        let until = args.until.map_or("", Target::name);
                        output::print(&format!("reached {until} in round {round}\n"))?;
                    }
                    LAST.store(exit as u8, Ordering::SeqCst);
                }
                if reached {
                    return Ok(exit);
                }
                previous = Some(report);
            }
            Err(e) if previous.is_none() => return Err(e),
            Err(e) => {
                let _held = OUTPUT.lock();
                output::warn(
                    &format!("round {round}: {}; the watch goes on", output::one_line(&e)),
                    err_color,
                );
                LAST.store(crate::exit::for_error(&e) as u8, Ordering::SeqCst);
            }
        }
        pause(args.interval, started, round + 1);
    }
    Ok(Exit::Success)
}

impl Watch<'_> {
    /// Shows one round.
    fn show(&mut self, round: u64, previous: Option<&Report>, report: &Report) -> std::io::Result<()> {
        let changed = previous.map(|p| changes(p, report)).unwrap_or_default();
        let now = time_of_day(now_unix());
        if !changed.is_empty() {
            self.last_change = Some((round, now.clone(), changed.clone()));
        }
        match self.mode {
            Mode::JsonLines if previous.is_none() || !changed.is_empty() => {
                let mut line = serde_json::to_string(report).map_err(std::io::Error::other)?;
                line.push('\n');
                output::print(&line)
            }
            Mode::Lines if previous.is_none() => output::print(&render_report_width(
                report,
                self.format,
                false,
                output::width(self.args.width),
            )),
            Mode::Lines => output::print(&changed.iter().map(|c| format!("{c}\n")).collect::<String>()),
            Mode::Frames => {
                let header = header(self.args.interval, round, &now, self.args.until);
                let width = output::width(self.args.width);
                let body = render_report_width(report, self.format, self.color, width);
                output::print(&frame(&header, round, self.last_change.as_ref(), &body, self.color))
            }
            Mode::JsonLines => Ok(()),
        }
    }
}

/// Waits until `interval` after `started`, showing on a terminal what comes next.
fn pause(interval: Duration, started: Instant, next: u64) {
    let left = interval.saturating_sub(started.elapsed());
    if left.is_zero() {
        return;
    }
    let spinner = Spinner::progress(&format!("waiting for round {next}"), Some(interval));
    std::thread::sleep(left);
    spinner.stop();
}

/// Ctrl-C ends the watch at once with the last round's exit code, once a line being written is
/// complete.
fn on_interrupt() -> anyhow::Result<()> {
    let runtime = crate::runtime::get().map_err(anyhow::Error::msg)?;
    let _entered = runtime.enter();
    #[cfg(unix)]
    let mut signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    #[cfg(windows)]
    let mut signal = tokio::signal::windows::ctrl_c()?;
    runtime.spawn(async move {
        if signal.recv().await.is_some() {
            let _held = OUTPUT.lock();
            if std::io::stderr().is_terminal() {
                eprint!("\r\x1b[2K");
            }
            std::process::exit(i32::from(LAST.load(Ordering::SeqCst)));
        }
    });
    Ok(())
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `HH:MM:SS UTC` of a Unix time.
fn time_of_day(unix: u64) -> String {
    let s = unix % 86_400;
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s / 60 % 60, s % 60)
}

/// `every 10s · round 3 · 14:02:07 UTC · until dns-switched · Ctrl-C to stop`.
fn header(interval: Duration, round: u64, time: &str, until: Option<Target>) -> String {
    let until = until.map(|t| format!(" · until {}", t.name())).unwrap_or_default();
    format!("every {} · round {round} · {time}{until} · Ctrl-C to stop", short(interval))
}

/// One screen: cleared, the header, what changed last, the report.
fn frame(header: &str, round: u64, last: Option<&LastChange>, report: &str, color: bool) -> String {
    let mut out = format!("\x1b[H\x1b[2J{header}\n");
    match last {
        None => {}
        Some((at, time, changes)) => {
            let when = if *at == round { "in this round".to_owned() } else { format!("in round {at}") };
            let title = format!("changed {when} ({time}):");
            out.push_str(&if color && *at == round { title.bold().to_string() } else { title });
            out.push('\n');
            for c in changes {
                let line = c.to_string();
                let line = match (color, c.worse()) {
                    (false, _) => line,
                    (true, true) => line.red().to_string(),
                    (true, false) => line.green().to_string(),
                };
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out.push('\n');
    out.push_str(report);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use runai_gateway_core::checks::Phase;

    #[test]
    fn the_header_says_the_interval_the_round_the_time_and_how_to_stop() {
        assert_eq!(time_of_day(86_400 * 20_000 + 14 * 3600 + 2 * 60 + 7), "14:02:07 UTC");
        assert_eq!(
            header(Duration::from_secs(10), 3, "14:02:07 UTC", Some(Target::Phase(Phase::DnsSwitched))),
            "every 10s · round 3 · 14:02:07 UTC · until dns-switched · Ctrl-C to stop"
        );
        assert_eq!(
            header(Duration::from_millis(500), 1, "00:00:00 UTC", None),
            "every 500ms · round 1 · 00:00:00 UTC · Ctrl-C to stop"
        );
    }

    #[test]
    fn a_frame_clears_the_screen_and_marks_the_latest_changes() {
        let phase = Change::Phase { from: Phase::RunaiIntroduced, to: Phase::DnsSwitched };
        let last = (4, "14:02:07 UTC".to_owned(), vec![phase]);
        let now = frame("HEAD", 4, Some(&last), "REPORT\n", false);
        assert_eq!(
            now,
            "\x1b[H\x1b[2JHEAD\nchanged in this round (14:02:07 UTC):\n  phase: runai-introduced → dns-switched\n\nREPORT\n"
        );
        let later = frame("HEAD", 6, Some(&last), "REPORT\n", false);
        assert!(later.contains("changed in round 4 (14:02:07 UTC):\n"), "{later}");
        assert_eq!(frame("HEAD", 1, None, "REPORT\n", false), "\x1b[H\x1b[2JHEAD\n\nREPORT\n");
    }

    #[test]
    fn the_interval_is_a_duration_above_zero() {
        assert_eq!(parse_interval("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_interval("10"), Ok(Duration::from_secs(10)));
        assert!(parse_interval("0").expect_err("0 is refused").contains("above 0"));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").expect_err("no duration").contains("invalid duration"));
    }
}
