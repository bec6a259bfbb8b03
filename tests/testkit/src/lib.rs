//! Test-only Kubernetes API server and Run:ai cluster fixtures for
//! runai-gateway (issue 3). Never a dependency of the plugin binary.
//!
//! See `tests/testkit/README.md` for how to use it.

// `ApiError` is a full Status (message, details, causes); it is the normal
// answer of an API server, not an exceptional path, so boxing it buys nothing.
#![allow(clippy::result_large_err)]

mod api;
mod cel_rules;
pub mod certmanager;
pub mod certs;
pub mod externaldns;
pub mod fixture;
pub mod helm;
mod patch;
pub mod rbac;
mod selector;
mod server;
pub mod skip;
mod ssa;
pub mod status;
mod types;
mod validate;

pub use api::{Fault, FaultAction, RequestRecord};
pub use certs::CertClock;
pub use fixture::{Fixture, FixtureError};
pub use rbac::Rule;
pub use server::{GZIP_THRESHOLD_BYTES, TestServer};
pub use skip::{skip, skip_unless_ci};
