//! A snapshot file (`status --from-file`): the snapshot schema or Kubernetes objects, ingested
//! and then diagnosed as `status` does. Nothing may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runai_gateway_core::{SpecInput, checks, ingest};

/// 2026-01-01T00:00:00Z: a fixed instant, so that a crash reproduces.
const NOW: i64 = 1_767_225_600;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(snap) = ingest::snapshot_from_text(text, &["runai-backend", "runai-cluster"]) else { return };
    let input = SpecInput { cluster_domain: Some("runai.example.com".into()), ..SpecInput::default() };
    let input = checks::discover(&input, &snap);
    if let Ok(spec) = input.resolve() {
        let _ = checks::diagnose(&spec, &snap, NOW);
    }
});
