//! Every test of the test API server and the fixtures, in one binary (linking the kube client
//! once instead of five times).

mod common;

mod fixtures;
mod gateway_samples;
mod rbac_faults;
mod server_core;
mod ssa_dry_run;
