//! Read: the cluster, DNS and HTTPS, turned into what the core judges and decides from.
//!
//! - [`snapshot`]: the [`Snapshot`](runai_gateway_core::snapshot::Snapshot) `status` and
//!   `snapshot` judge, read concurrently within `--timeout`;
//! - [`observe`]: what `apply` and `rollback` decide from (the core's `Observation`);
//! - [`client`]: the Kubernetes client both use (kube's `Api<DynamicObject>` over the core's table
//!   of kinds); [`dns`] and [`probe`]: DNS answers and HTTPS through the Gateway;
//! - [`spinner`]: progress on stderr while a read or a wait runs, on a terminal only.
//!
//! Nothing here judges or decides: that is the core's.

pub mod bounded;
pub mod client;
pub mod deadline;
pub mod dns;
mod narrow;
pub mod observe;
pub mod probe;
pub mod snapshot;
pub mod spinner;

use std::path::PathBuf;

pub use client::{Cluster, Clusters, Failure};

/// Why `status` could not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The cluster cannot be reached at all.
    #[error("cannot reach the cluster: {0}")]
    Unreachable(String),
    /// What the input leaves out could not be discovered, because the reads it comes from
    /// were forbidden or failed: the phase is unknown (exit 13).
    #[error(
        "cannot complete the input from the cluster: reading {unread} was refused or failed; pass what it needs, or grant `list` on them (`kubectl auth can-i list RESOURCE --all-namespaces` checks each), then run the same command again\n{input}"
    )]
    Undiscovered {
        /// The reads, each with why.
        unread: String,
        /// What the input lacks.
        input: String,
    },
    /// The snapshot file cannot be read.
    #[error("cannot read snapshot file `{}`: {source}", path.display())]
    SnapshotUnreadable {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The snapshot file is not a snapshot.
    #[error("snapshot file `{}` {message}", path.display())]
    SnapshotInvalid {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}
