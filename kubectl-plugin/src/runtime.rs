//! The one I/O runtime of the process: every command that talks to a cluster, DNS or HTTPS
//! blocks on it (a short CLI run needs no more than one, and two worker threads).

use std::sync::OnceLock;

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The runtime, started on first use.
///
/// # Errors
/// It could not be started (no threads left, say).
pub fn get() -> Result<&'static tokio::runtime::Runtime, String> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the I/O runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}
