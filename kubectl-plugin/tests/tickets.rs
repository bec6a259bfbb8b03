//! Change tickets through the binary: `render -o markdown`, `status -o markdown|html` live.

use runai_gateway_testkit::TestServer;

use crate::support::dns::DnsServer;
use crate::support::{run, status};

#[test]
fn render_markdown_is_the_plan_as_a_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&["render", "--example", "-o", "markdown"], dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("# Run:ai Gateway API migration: `runai.example.com`\n"), "{}", r.stdout);
    for section in ["## Objects", "## DNS records", "## Migration steps", "## Rollback", "## Input"] {
        assert!(r.stdout.contains(section), "{section}");
    }
    // Warnings are in the ticket, not on stderr.
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn live_status_tickets_carry_the_findings_and_no_key_material() {
    let server = TestServer::with_fixture("status/cert-expired");
    let dns = DnsServer::start(&[]);
    let table = status(&server, &dns.arg(), &[]);
    let json = status(&server, &dns.arg(), &["-o", "json"]).json();
    for (format, first) in [("markdown", "# Run:ai Gateway API"), ("html", "<!DOCTYPE html>")] {
        let r = status(&server, &dns.arg(), &["-o", format]);
        assert_eq!(r.code, table.code, "the exit code does not depend on -o: {}", r.stderr);
        assert!(r.stdout.starts_with(first), "{}", r.stdout);
        for f in json["findings"].as_array().unwrap() {
            assert!(r.stdout.contains(f["id"].as_str().unwrap()), "{format}: {f}");
        }
        assert!(!r.stdout.contains("PRIVATE KEY") && !r.stdout.contains("-----BEGIN"), "{}", r.stdout);
    }
    // The catalog has no HTML form: a usage error, nothing printed.
    let r = status(&server, &dns.arg(), &["--list-checks", "-o", "html"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty() && r.stderr.contains("-o markdown"), "{}", r.stderr);
    let r = status(&server, &dns.arg(), &["--list-checks", "-o", "markdown"]);
    assert!(r.code == 0 && r.stdout.contains("### cert-expired"), "{r:?}");
}
