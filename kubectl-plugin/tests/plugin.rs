//! Every test of the plugin, in one binary: on two cores, building and linking test binaries is
//! most of the suite's time, and each of these links the kube client, rustls and hickory.
//!
//! Run one part with a filter: `cargo test -p kubectl-runai-gateway --test plugin rollback::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apply_support;
#[path = "status_support/mod.rs"]
mod support;

mod apply;
mod apply_failures;
mod certmanager;
mod completion;
mod e2e_real_cluster;
mod external_dns;
mod fault_matrix;
mod fleet;
mod hardening;
mod krew;
mod kubectl_conventions;
mod partial_reads;
mod render;
mod results;
mod rollback;
mod status;
mod suggested;
mod tickets;
mod watch;
