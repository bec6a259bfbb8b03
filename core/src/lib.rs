//! The pure engine of `kubectl runai-gateway`: from the desired routing of an NVIDIA Run:ai
//! cluster it computes the whole Gateway API configuration, the Run:ai Helm settings, the DNS
//! records and the migration steps, and renders them.
//!
//! It does no I/O (no files, network, clock or environment), so the same code runs in the
//! plugin and, compiled to WebAssembly, in the browser calculator.
//!
//! ```
//! use runai_gateway_core::{SpecInput, Format, compute, render};
//!
//! let input = SpecInput { cluster_domain: Some("runai.example.com".into()), ..Default::default() };
//! let plan = compute(&input).expect("valid input");
//! let yaml = render(&plan, Format::Yaml, false);
//! assert!(yaml.contains("hostname: \"*.runai-inference.example.com\""));
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![warn(missing_docs)]

pub mod certmanager;
pub mod checks;
pub mod controllers;
pub mod diff;
pub mod engine;
pub mod externaldns;
pub mod fields;
mod gunzip;
pub mod helm;
pub mod hostname;
pub mod ingest;
pub mod inputs;
pub mod kinds;
pub mod manifests;
mod order;
pub mod plan;
pub mod render;
pub mod snapshot;
pub mod spec;
pub mod stage;
pub mod state;
pub mod tls;
pub mod validate;
pub mod x509;
pub mod yaml;

pub use plan::{Observed, Plan, plan};
pub use render::{Format, render};
pub use spec::{Spec, SpecInput};
pub use stage::Stage;
pub use validate::{Issues, ValidationError};

/// Version of this crate, which the plugin and the browser page share.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Resolves and validates `input`, then computes the plan with nothing observed.
///
/// # Errors
/// Every validation error of the input.
pub fn compute(input: &SpecInput) -> Result<Plan, Issues> {
    let spec = input.resolve()?;
    Ok(plan(input, &spec, &Observed::default()))
}
