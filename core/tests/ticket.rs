//! Change tickets: `render -o markdown`, `status -o markdown|html` and the fleet's, byte for byte,
//! and every value escaped.

use runai_gateway_core::checks::{Report, diagnose, discover};
use runai_gateway_core::ingest::{Ingest, snapshot_from_text};
use runai_gateway_core::render::fleet::{Fleet, FleetEntry};
use runai_gateway_core::render::ticket::{
    fleet_html, fleet_markdown, plan_markdown, report_html, report_markdown,
};
use runai_gateway_core::snapshot::Kind;
use runai_gateway_core::spec::SpecInput;
use runai_gateway_core::{Format, compute, render};
use runai_gateway_testkit::{CertClock, Fixture};

/// 2026-11-27, a fixed instant.
const FIXED: i64 = 1_795_824_000;

/// The bundled example snapshot (one warning, three skipped checks).
fn example_report() -> Report {
    let snapshot =
        snapshot_from_text(include_str!("../../examples/snapshot.yaml"), &["runai-cluster", "runai-backend"])
            .expect("reads");
    let spec = discover(&SpecInput::default(), &snapshot).resolve().expect("resolves");
    diagnose(&spec, &snapshot, FIXED)
}

/// A testkit fixture at the fixed instant (errors with fix commands).
fn fixture_report(name: &str) -> Report {
    let fx = Fixture::load_at(name, CertClock::at(FIXED)).expect("fixture");
    let mut ingest = Ingest::new(Some(name.into()), &["runai-backend", "runai-cluster"]);
    for kind in Kind::ALL {
        if kind != Kind::ControlPlaneRelease {
            ingest.mark_read(kind);
        }
    }
    for o in &fx.objects {
        ingest.add_any(o);
    }
    let snapshot = ingest.finish();
    let spec = discover(&SpecInput::default(), &snapshot).resolve().expect("resolves");
    diagnose(&spec, &snapshot, FIXED)
}

#[test]
fn plan_ticket_of_every_scenario() {
    for case in crate::common::CASES {
        let plan = compute(&crate::common::input(case)).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let text = render(&plan, Format::Markdown, false);
        assert_eq!(text, plan_markdown(&plan));
        // Every step, migration and rollback, with each of its commands in a code block.
        for step in plan.steps.iter().chain(&plan.rollback) {
            assert!(text.contains(&format!("Step `{}`.", step.id)), "{}: {}", case.name, step.id);
            for cmd in &step.commands {
                assert!(text.contains(cmd.as_str()), "{}: {cmd}", case.name);
            }
        }
        assert!(!text.contains('\u{1b}'), "no colour in a ticket");
        insta::assert_snapshot!(format!("{}__markdown", case.name), text);
    }
}

#[test]
fn status_tickets_of_the_example_and_of_a_broken_cluster() {
    let example = example_report();
    insta::assert_snapshot!("status_example__markdown", report_markdown(&example));
    insta::assert_snapshot!("status_example__html", report_html(&example));
    let broken = fixture_report("status/gateway-not-programmed");
    assert!(broken.findings.iter().any(|f| f.fix.is_some()), "a finding with its fix");
    insta::assert_snapshot!("status_broken__markdown", report_markdown(&broken));
    insta::assert_snapshot!("status_broken__html", report_html(&broken));
}

#[test]
fn fleet_tickets() {
    let fleet = Fleet::new(vec![
        FleetEntry { context: "eu".into(), report: Some(example_report()), error: None },
        FleetEntry {
            context: "down".into(),
            report: None,
            error: Some("cannot reach the cluster: connection refused".into()),
        },
    ]);
    insta::assert_snapshot!("fleet__markdown", fleet_markdown(&fleet));
    insta::assert_snapshot!("fleet__html", fleet_html(&fleet));
}

#[test]
fn every_value_is_escaped_and_the_page_requests_nothing() {
    let mut report = fixture_report("status/gateway-not-programmed");
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)> | ** [x](javascript:y)";
    report.context = Some(evil.into());
    report.spec.cluster_domain = evil.into();
    for f in &mut report.findings {
        f.message = format!("{evil} `{evil}`");
        f.hint = evil.into();
        f.resource = Some(evil.into());
        f.fix = Some(format!("echo '{evil}'\n```\n# end"));
    }
    report.next_step.title = evil.into();
    let html = report_html(&report);
    for raw in ["<script", "<img", "onerror=alert(2)>", "href=\"javascript"] {
        assert!(!html.contains(raw), "{raw} unescaped in the HTML");
    }
    // Self-contained: no script, no external resource of any kind; the one kind of tag with an
    // address is a link to the check's documentation.
    let page = report_html(&fixture_report("status/gateway-not-programmed")).to_lowercase();
    for request in ["<script", "src=", "<link", "@import", "url(", "<iframe", "<object", "<img"] {
        assert!(!page.contains(request), "{request} in the HTML");
    }
    assert!(page.matches("href=").count() == page.matches("<a href=\"https://").count(), "{page}");
    let fleet = fleet_html(&Fleet::new(vec![FleetEntry {
        context: evil.into(),
        report: None,
        error: Some(evil.into()),
    }]));
    assert!(!fleet.contains("<script") && !fleet.contains("<img"), "{fleet}");

    let md = report_markdown(&report);
    // Outside code spans the markup is escaped; inside them it is inert.
    let bare = |text: &str, c: char| {
        text.char_indices()
            .any(|(i, x)| x == c && !text[..i].ends_with('\\') && !text[i..].starts_with("<https://"))
    };
    for line in md.lines().filter(|l| !l.starts_with("echo")) {
        let outside: String = line.split('`').step_by(2).collect();
        for c in ['<', '['] {
            assert!(!bare(&outside, c), "unescaped {c}: {line}");
        }
    }
    assert!(md.contains("\\*\\* \\[x\\](javascript:y)"), "{md}");
    // A fix holding a fence does not close the code block early.
    assert!(md.contains("````sh\necho '"), "{md}");
    // Table cells: every `|` of a value is escaped.
    let row = md.lines().find(|l| l.starts_with("| Cluster domain |")).expect("row");
    assert_eq!(row.matches('|').count() - row.matches("\\|").count(), 3, "two cells: {row}");
}
