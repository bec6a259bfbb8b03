//! Release tooling for `kubectl runai-gateway`, run as `cargo xtask <command>`.
//!
//! - `dist` builds the archives this machine can build (static Linux binaries with musl), packs
//!   each with the LICENSE and renders the krew manifest for them into `dist/`.
//! - `manifest` renders the manifest from archives already in a directory; the release workflow
//!   runs it with `--all-platforms` once the six archives are built.
//! - `validate` checks a manifest against krew's rules and the archives it names.

pub mod archive;
pub mod dist;
pub mod manifest;
pub mod serve;
pub mod targets;
pub mod workspace;
