//! The deadline of the whole command: `--timeout` of `apply` and `rollback` bounds every request,
//! every wait and every `helm` run together, not each one alone, so a server that goes silent
//! after accepting a connection ends the run instead of holding it.
//!
//! Set once at the start of a command ([`start`]); every blocking call asks [`left`] how much
//! time it may take.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When the command must end, and the `--timeout` it came from.
static DEADLINE: Mutex<Option<(Instant, Duration)>> = Mutex::new(None);

/// After the deadline, the time a re-read of a write whose answer was lost may still take, so
/// that the report says whether the write happened (a short, fixed grace).
pub const GRACE: Duration = Duration::from_secs(5);

/// Starts the clock: the command must end within `total`.
pub fn start(total: Duration) {
    if let Ok(mut d) = DEADLINE.lock() {
        *d = Some((Instant::now() + total, total));
    }
}

/// The time left before the deadline (`None`: no deadline was set), zero once it has passed.
pub fn left() -> Option<Duration> {
    let d = DEADLINE.lock().ok()?;
    d.map(|(at, _)| at.saturating_duration_since(Instant::now()))
}

/// The time left, at most `cap` (`cap` when no deadline was set).
pub fn left_capped(cap: Duration) -> Duration {
    left().map_or(cap, |l| l.min(cap))
}

/// Whether the deadline has passed.
pub fn passed() -> bool {
    left().is_some_and(|l| l.is_zero())
}

/// What a request cut off by the deadline reports.
pub fn message() -> String {
    let total = DEADLINE.lock().ok().and_then(|d| d.map(|(_, t)| t));
    match total {
        Some(t) if t.subsec_millis() == 0 => format!("no answer before --timeout {}s ran out", t.as_secs()),
        Some(t) => format!("no answer before --timeout {}ms ran out", t.as_millis()),
        None => "no answer".to_owned(),
    }
}
