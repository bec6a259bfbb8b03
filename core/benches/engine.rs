//! `cargo bench -p runai-gateway-core`: how long the engine takes for what users do most.
//!
//! A plain timing loop (no benchmark framework to build): the median of several batches, printed
//! per operation. The numbers are recorded in the README; nothing here asserts a time.
#![allow(clippy::disallowed_methods)] // Benchmarks measure time; the core's library code never does.

use std::hint::black_box;
use std::time::Instant;

use runai_gateway_core::checks::{diagnose, discover};
use runai_gateway_core::ingest::snapshot_from_text;
use runai_gateway_core::render::{ReportFormat, render_report};
use runai_gateway_core::{Format, SpecInput, compute, render};

fn median_micros(iterations: u32, mut f: impl FnMut()) -> f64 {
    let mut batches: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[batches.len() / 2]
}

fn main() {
    let config = include_str!("../../examples/runai-gateway.yaml");
    let snapshot_text = include_str!("../../examples/snapshot.yaml");
    let input = SpecInput::from_yaml(config).expect("example config");

    let plan_us = median_micros(200, || {
        let plan = compute(black_box(&input)).expect("valid");
        black_box(render(&plan, Format::Yaml, false));
    });
    let all_us = median_micros(100, || {
        let plan = compute(black_box(&input)).expect("valid");
        for f in [Format::Yaml, Format::Json, Format::Helm, Format::Plan] {
            black_box(render(&plan, f, false));
        }
    });
    let diag_us = median_micros(50, || {
        let snap = snapshot_from_text(black_box(snapshot_text), &["runai-cluster", "runai-backend"])
            .expect("snapshot");
        let spec = discover(&SpecInput::default(), &snap).resolve().expect("spec");
        let report = diagnose(&spec, &snap, 1_795_824_000);
        black_box(render_report(&report, ReportFormat::Table, false));
    });
    println!("plan + YAML of the example config        {plan_us:>9.1} µs");
    println!("plan + all four render forms             {all_us:>9.1} µs");
    println!(
        "read example snapshot + diagnose + table {diag_us:>9.1} µs  ({} KiB snapshot)",
        snapshot_text.len() / 1024
    );
}
