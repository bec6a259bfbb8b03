//! Tests that cannot run here say so, and a skip is not a pass.
//!
//! A test whose prerequisite is missing (a program, a cluster, test data) calls [`skip`] and
//! returns. The skip is printed and, when `RUNAI_GATEWAY_SKIP_LOG` names a file, appended to it
//! as one line, `TEST<TAB>REASON`: `scripts/test.sh` sets it, counts the lines and reports them
//! as skipped in its summary instead of as passed. Where CI installs the prerequisite,
//! [`skip_unless_ci`] fails the test under `CI=true` instead, so a broken install cannot pass
//! silently.

use std::io::Write as _;

/// The variable naming the file skips are recorded in.
pub const SKIP_LOG_ENV: &str = "RUNAI_GATEWAY_SKIP_LOG";

/// Whether this run is CI's (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Records that `test` did not run (or did not run all of itself) because of `reason`.
///
/// # Panics
/// If the skip log is set but cannot be written: a lost skip would be counted as a pass.
pub fn skip(test: &str, reason: &str) {
    let line = format!("{test}\t{}", reason.replace(['\n', '\t'], " "));
    eprintln!("SKIPPED: {test}: {reason}");
    if let Some(path) = std::env::var_os(SKIP_LOG_ENV) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{SKIP_LOG_ENV}={}: {e}", path.to_string_lossy()));
        // One write per line: concurrent tests append whole lines.
        file.write_all(format!("{line}\n").as_bytes())
            .unwrap_or_else(|e| panic!("{SKIP_LOG_ENV}={}: {e}", path.to_string_lossy()));
    }
}

/// As [`skip`], but under CI, where the prerequisite is installed, the test fails instead.
///
/// # Panics
/// Under `CI=true`, always, naming the missing prerequisite.
pub fn skip_unless_ci(test: &str, reason: &str) {
    assert!(!in_ci(), "{test}: {reason}, and CI must have it (scripts/test.sh installs it)");
    skip(test, reason);
}
