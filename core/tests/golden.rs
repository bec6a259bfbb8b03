//! Golden tests: the rendered output of every scenario, byte for byte.
//!
//! Review changes with `cargo insta review`; CI fails on any difference.

use runai_gateway_core::{Format, compute, render};

#[test]
fn every_scenario_renders_as_recorded() {
    for case in crate::common::CASES {
        let plan = compute(&crate::common::input(case)).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        insta::assert_snapshot!(format!("{}__yaml", case.name), render(&plan, Format::Yaml, false));
        insta::assert_snapshot!(format!("{}__plan", case.name), render(&plan, Format::Plan, false));
    }
}

#[test]
fn script_and_json_of_the_reference_scenario() {
    let plan = compute(&crate::common::input(&crate::common::CASES[0])).expect("valid");
    insta::assert_snapshot!("host_mode__helm", render(&plan, Format::Helm, false));
    insta::assert_snapshot!("host_mode__json", render(&plan, Format::Json, false));
}

#[test]
fn output_is_deterministic() {
    for case in crate::common::CASES {
        let a = compute(&crate::common::input(case)).expect("valid");
        let b = compute(&crate::common::input(case)).expect("valid");
        for f in [Format::Yaml, Format::Json, Format::Helm, Format::Plan] {
            assert_eq!(render(&a, f, false), render(&b, f, false), "{}", case.name);
        }
    }
}

#[test]
fn colour_only_in_the_summary() {
    let plan = compute(&crate::common::input(&crate::common::CASES[0])).expect("valid");
    assert!(render(&plan, Format::Plan, true).contains("\u{1b}["));
    for f in [Format::Yaml, Format::Json, Format::Helm] {
        assert!(!render(&plan, f, true).contains('\u{1b}'));
    }
}
