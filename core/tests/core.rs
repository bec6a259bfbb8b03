//! Every integration test of the core, in one binary (the testkit it links is linked once).

mod common;

mod diagnose;
mod golden;
mod snapshot_versions;
mod ticket;
mod typed;
mod validation;
mod x509_reader;
mod yaml_reader;
