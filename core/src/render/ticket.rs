//! Change tickets: the plan (`render -o markdown`) and a diagnosis (`status -o markdown|html`) as
//! text to paste into a GitHub issue or a Jira ticket.
//!
//! Every value is escaped for the target: Markdown punctuation outside code spans, `|` in table
//! cells, HTML's five special characters everywhere in the HTML page. The page is one
//! self-contained file: inline CSS, no script, no request beyond itself (links are plain
//! anchors). Nothing here holds secret material: a plan names secrets but never holds their
//! data, and a report carries none.

use std::fmt::Write as _;

use crate::checks::{CATALOG, Category, Finding, Report, Severity};
use crate::plan::{Ownership, Plan, Step};

use super::fleet::{Fleet, phase_name};

/// Markdown punctuation that could start markup in running text.
const MD_SPECIAL: &[char] = &['\\', '*', '_', '[', ']', '<', '>', '|', '#', '~', '&', '!', '`'];

/// Plain text escaped for Markdown (no markup survives; the text reads the same raw).
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if MD_SPECIAL.contains(&c) {
            out.push('\\');
        }
        if c == '\n' || c == '\r' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// The tool's prose (which marks names with backticks) for Markdown: its code spans kept as
/// code spans, everything else escaped. Unbalanced backticks are escaped like any other text.
fn md_prose(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return md_escape(text);
    }
    parts.iter().enumerate().map(|(i, p)| if i % 2 == 1 { md_code(p) } else { md_escape(p) }).collect()
}

/// `text` as one inline code span (a fence longer than any run of backticks inside).
fn md_code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A table cell: GitHub splits cells on `|` even inside code spans.
fn md_cell(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut escaped = false;
    for c in markdown.chars() {
        if c == '|' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out
}

fn md_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// A fenced code block (a fence longer than any run of backticks in `body`).
fn md_fence(out: &mut String, lang: &str, body: &str) {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{fence}{lang}\n{}\n{fence}", body.trim_end_matches('\n'));
}

/// The plan as a change ticket: the Gateway, the objects, the TLS secrets to provide, the DNS
/// records, each step with its commands, the rollback steps and the exact input.
#[must_use]
pub fn plan_markdown(plan: &Plan) -> String {
    let spec = &plan.spec;
    let mut out = String::new();
    let _ = writeln!(out, "# Run:ai Gateway API migration: {}\n", md_code(&spec.cluster_domain));
    let mode = match spec.routing_mode {
        crate::spec::RoutingMode::Host => "host-based",
        crate::spec::RoutingMode::Path => "path-based",
    };
    let rows = vec![
        vec!["Gateway".into(), md_code(&format!("{}/{}", spec.gateway_namespace, spec.gateway_name))],
        vec!["GatewayClass".into(), md_code(&spec.gateway_class)],
        vec!["Controller".into(), md_escape(&spec.controller.to_string())],
        vec!["Routing".into(), mode.into()],
        vec![
            "Inference".into(),
            spec.inference_domain.as_deref().map_or_else(|| "off".into(), |d| md_code(&format!("*.{d}"))),
        ],
        vec!["Computed by".into(), md_escape(&format!("runai-gateway {}", plan.tool_version))],
    ];
    md_table(&mut out, &["Field", "Value"], &rows);
    for w in &plan.warnings {
        let _ = writeln!(out, "\n> **Warning:** {}", md_prose(w));
    }

    let _ = writeln!(out, "\n## Listeners\n");
    let rows: Vec<Vec<String>> = plan
        .listeners
        .iter()
        .map(|l| {
            vec![
                md_code(l.name),
                md_escape(&format!("{}/{}", l.protocol, l.port)),
                l.hostname.as_deref().map_or_else(|| "(any)".into(), md_code),
                l.secret.as_deref().map_or_else(|| "-".into(), md_code),
                md_code(&l.allowed_routes.to_flag()),
                md_escape(l.purpose),
            ]
        })
        .collect();
    md_table(&mut out, &["Name", "Port", "Hostname", "TLS secret", "Routes from", "For"], &rows);

    let _ = writeln!(out, "\n## Objects\n");
    let rows: Vec<Vec<String>> = plan
        .objects
        .iter()
        .map(|o| {
            let apply = match o.ownership {
                Ownership::Owned => "create",
                Ownership::Fields => "fields only",
            };
            vec![md_code(&o.reference()), apply.into(), md_prose(&o.purpose)]
        })
        .collect();
    md_table(&mut out, &["Object", "Apply", "Purpose"], &rows);
    let _ = writeln!(
        out,
        "\nApplied with server-side apply (field manager {}); `kubectl runai-gateway render -o yaml` prints them.",
        md_code(crate::manifests::FIELD_MANAGER)
    );

    let _ = writeln!(out, "\n## TLS secrets\n");
    let rows: Vec<Vec<String>> = plan
        .secrets
        .iter()
        .map(|s| {
            vec![
                md_code(&format!("{}/{}", s.namespace, s.name)),
                s.hosts.iter().map(|h| md_code(h)).collect::<Vec<_>>().join(", "),
                md_prose(&s.used_by),
            ]
        })
        .collect();
    md_table(&mut out, &["Secret", "Must cover", "Used by"], &rows);

    let _ = writeln!(out, "\n## DNS records\n");
    let rows: Vec<Vec<String>> = plan
        .dns
        .iter()
        .map(|r| {
            vec![
                md_code(&r.name),
                md_escape(&r.record_type),
                md_code(&r.ingress_target),
                md_code(&r.gateway_target),
                md_escape(&r.serves),
            ]
        })
        .collect();
    md_table(&mut out, &["Name", "Type", "Now (Ingress)", "Then (Gateway)", "Serves"], &rows);

    md_steps(&mut out, "Migration steps", &plan.steps);
    md_steps(&mut out, "Rollback", &plan.rollback);

    let _ = writeln!(out, "\n## Input\n");
    md_fence(&mut out, "yaml", &crate::yaml::to_string(&plan.input).unwrap_or_default());
    out
}

fn md_steps(out: &mut String, title: &str, steps: &[Step]) {
    let _ = writeln!(out, "\n## {title}");
    for (i, step) in steps.iter().enumerate() {
        let manual = if step.manual { " (manual)" } else { "" };
        let _ = writeln!(out, "\n### {}. {}{manual}\n", i + 1, md_prose(&step.title));
        let _ = writeln!(out, "Step {}.", md_code(step.id));
        if !step.detail.is_empty() {
            let _ = writeln!(out, "\n{}", md_prose(&step.detail));
        }
        if !step.commands.is_empty() {
            out.push('\n');
            md_fence(out, "sh", &step.commands.join("\n"));
        }
    }
}

/// What each category gave: (category, worst severity, passed, skipped).
fn categories(report: &Report) -> Vec<(Category, Option<Severity>, usize, usize)> {
    Category::ALL
        .into_iter()
        .map(|category| {
            let in_cat = |id: &str| CATALOG.iter().any(|m| m.id == id && m.category == category);
            let worst = report.findings.iter().filter(|f| f.category == category).map(|f| f.severity).max();
            let passed = report.passed.iter().filter(|id| in_cat(id)).count();
            let skipped = report.skipped.iter().filter(|s| in_cat(s.id)).count();
            (category, worst, passed, skipped)
        })
        .collect()
}

fn result_word(worst: Option<Severity>, passed: usize) -> &'static str {
    match worst {
        Some(s) => s.as_str(),
        None if passed == 0 => "not run",
        None => "ok",
    }
}

/// The diagnosis as a change ticket: where the migration stands, the next step and its command,
/// every finding with its hint, fix and docs link, each category's result and every skipped
/// check with its reason. `level` is the heading level of the title (1 alone, 2 in a fleet).
#[must_use]
pub fn report_markdown(report: &Report) -> String {
    report_markdown_at(report, 1)
}

fn report_markdown_at(report: &Report, level: usize) -> String {
    let h = |n: usize| "#".repeat(level + n);
    let spec = &report.spec;
    let mut out = String::new();
    let title = match &report.context {
        Some(c) => format!("Run:ai Gateway API migration status: context {}", md_code(c)),
        None => "Run:ai Gateway API migration status".to_owned(),
    };
    let _ = writeln!(out, "{} {title}\n", h(0));
    let rows = vec![
        vec!["Gateway".into(), md_code(&format!("{}/{}", spec.gateway_namespace, spec.gateway_name))],
        vec!["Cluster domain".into(), md_code(&spec.cluster_domain)],
        vec![
            "Phase".into(),
            format!("**{}**: {}", md_escape(&phase_name(report)), md_escape(&report.phase_line())),
        ],
        vec!["Result".into(), md_escape(&super::totals(report))],
        vec!["Diagnosed by".into(), md_escape(&format!("runai-gateway {}", report.tool_version))],
    ];
    md_table(&mut out, &["Field", "Value"], &rows);

    let _ = writeln!(out, "\n{} Next step\n\n{}", h(1), md_prose(&report.next_step.title));
    if let Some(cmd) = &report.next_step.command {
        out.push('\n');
        md_fence(&mut out, "sh", cmd);
    }

    let _ = writeln!(out, "\n{} Findings", h(1));
    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNone.");
    }
    for f in &report.findings {
        md_finding(&mut out, f, &h(2));
    }

    let _ = writeln!(out, "\n{} Checks\n", h(1));
    let rows: Vec<Vec<String>> = categories(report)
        .into_iter()
        .map(|(c, worst, passed, skipped)| {
            vec![c.title().into(), result_word(worst, passed).into(), passed.to_string(), skipped.to_string()]
        })
        .collect();
    md_table(&mut out, &["Category", "Result", "Passed", "Skipped"], &rows);

    if !report.skipped.is_empty() {
        let _ = writeln!(out, "\n{} Skipped checks\n", h(1));
        let rows: Vec<Vec<String>> =
            report.skipped.iter().map(|s| vec![md_code(s.id), md_prose(&s.reason)]).collect();
        md_table(&mut out, &["Check", "Why it did not run"], &rows);
    }
    out
}

fn md_finding(out: &mut String, f: &Finding, heading: &str) {
    let _ =
        writeln!(out, "\n{heading} {} {}: {}\n", f.severity.as_str(), md_code(f.id), md_prose(&f.message));
    if let Some(resource) = &f.resource {
        let _ = writeln!(out, "- **Resource:** {}", md_code(resource));
    }
    let _ = writeln!(out, "- **Category:** {}", f.category.title());
    let _ = writeln!(out, "- **Hint:** {}", md_prose(&f.hint));
    let _ = writeln!(out, "- **Docs:** <{}>", docs_url(f).replace(['<', '>', ' '], ""));
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "- **Fix:**\n");
        md_fence(out, "sh", fix);
    }
}

fn docs_url(f: &Finding) -> String {
    format!("{}{}", crate::checks::catalog::DOCS_BASE, f.doc)
}

/// A fleet as one ticket: the summary table, then each context's report.
#[must_use]
pub fn fleet_markdown(fleet: &Fleet) -> String {
    let mut out = String::from("# Run:ai Gateway API migration status: fleet\n\n");
    let rows: Vec<Vec<String>> = fleet
        .reports
        .iter()
        .map(|e| match &e.report {
            Some(r) => {
                let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count().to_string();
                vec![
                    md_code(&e.context),
                    md_escape(&phase_name(r)),
                    count(Severity::Error),
                    count(Severity::Warning),
                    md_prose(&r.next_step.title),
                ]
            }
            None => vec![
                md_code(&e.context),
                "not read".into(),
                "-".into(),
                "-".into(),
                md_escape(e.error.as_deref().unwrap_or_default()),
            ],
        })
        .collect();
    md_table(&mut out, &["Context", "Phase", "Errors", "Warnings", "Next step"], &rows);
    for e in &fleet.reports {
        out.push('\n');
        match &e.report {
            Some(r) => out.push_str(&report_markdown_at(r, 2)),
            None => {
                let _ = writeln!(
                    out,
                    "## Context {}\n\nNot read: {}",
                    md_code(&e.context),
                    md_escape(e.error.as_deref().unwrap_or_default())
                );
            }
        }
    }
    out
}

/// `text` escaped for HTML text and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The tool's prose for HTML: code spans as `<code>`, everything escaped.
fn html_prose(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return esc(text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 1 { format!("<code>{}</code>", esc(p)) } else { esc(p) })
        .collect()
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1f2328;background:#fff}\
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}\
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
.finding{border-left:4px solid #d0d7de;padding:.1rem .8rem;margin:1rem 0}.error{border-color:#cf222e}.warning{border-color:#bf8700}.info{border-color:#0969da}\
.sev{font-weight:bold;text-transform:uppercase;font-size:.8rem}.error .sev,td.error{color:#cf222e}.warning .sev,td.warning{color:#9a6700}.info .sev{color:#0969da}td.ok{color:#1a7f37}\
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}th,pre{background:#161b22}th,td,h2{border-color:#30363d}a{color:#4493f8}}";

/// The diagnosis as one self-contained HTML page (inline CSS, no script, no external request),
/// with the same content as [`report_markdown`].
#[must_use]
pub fn report_html(report: &Report) -> String {
    let title = match &report.context {
        Some(c) => format!("Run:ai Gateway API migration status: context {c}"),
        None => "Run:ai Gateway API migration status".to_owned(),
    };
    html_page(&title, &report_body(report, 1))
}

/// A fleet as one self-contained HTML page: the summary table, then each context's report.
#[must_use]
pub fn fleet_html(fleet: &Fleet) -> String {
    let mut body = String::from("<h1>Run:ai Gateway API migration status: fleet</h1>\n<table>\n");
    body.push_str(
        "<tr><th>Context</th><th>Phase</th><th>Errors</th><th>Warnings</th><th>Next step</th></tr>\n",
    );
    for e in &fleet.reports {
        let row = match &e.report {
            Some(r) => {
                let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
                format!(
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    esc(&phase_name(r)),
                    count(Severity::Error),
                    count(Severity::Warning),
                    html_prose(&r.next_step.title)
                )
            }
            None => format!(
                "<td>not read</td><td>-</td><td>-</td><td>{}</td>",
                esc(e.error.as_deref().unwrap_or_default())
            ),
        };
        let _ = writeln!(body, "<tr><td><code>{}</code></td>{row}</tr>", esc(&e.context));
    }
    body.push_str("</table>\n");
    for e in &fleet.reports {
        match &e.report {
            Some(r) => body.push_str(&report_body(r, 2)),
            None => {
                let _ = writeln!(
                    body,
                    "<h2>Context <code>{}</code></h2>\n<p>Not read: {}</p>",
                    esc(&e.context),
                    esc(e.error.as_deref().unwrap_or_default())
                );
            }
        }
    }
    html_page("Run:ai Gateway API migration status: fleet", &body)
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

fn report_body(report: &Report, level: usize) -> String {
    let h = |n: usize| level + n;
    let spec = &report.spec;
    let mut out = String::new();
    let title = match &report.context {
        Some(c) => format!("Run:ai Gateway API migration status: context <code>{}</code>", esc(c)),
        None => "Run:ai Gateway API migration status".to_owned(),
    };
    let _ = writeln!(out, "<h{0}>{title}</h{0}>\n<table>", h(0));
    let rows = [
        ("Gateway", format!("<code>{}/{}</code>", esc(&spec.gateway_namespace), esc(&spec.gateway_name))),
        ("Cluster domain", format!("<code>{}</code>", esc(&spec.cluster_domain))),
        ("Phase", format!("<strong>{}</strong>: {}", esc(&phase_name(report)), esc(&report.phase_line()))),
        ("Result", esc(&super::totals(report))),
        ("Diagnosed by", esc(&format!("runai-gateway {}", report.tool_version))),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    out.push_str("</table>\n");
    let _ = writeln!(out, "<h{0}>Next step</h{0}>\n<p>{1}</p>", h(1), html_prose(&report.next_step.title));
    if let Some(cmd) = &report.next_step.command {
        let _ = writeln!(out, "<pre><code>{}</code></pre>", esc(cmd));
    }
    let _ = writeln!(out, "<h{0}>Findings</h{0}>", h(1));
    if report.findings.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for f in &report.findings {
        html_finding(&mut out, f, h(2));
    }
    let _ = writeln!(
        out,
        "<h{0}>Checks</h{0}>\n<table>\n<tr><th>Category</th><th>Result</th><th>Passed</th><th>Skipped</th></tr>",
        h(1)
    );
    for (c, worst, passed, skipped) in categories(report) {
        let word = result_word(worst, passed);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{}\">{word}</td><td>{passed}</td><td>{skipped}</td></tr>",
            esc(c.title()),
            word.replace(' ', "-")
        );
    }
    out.push_str("</table>\n");
    if !report.skipped.is_empty() {
        let _ = writeln!(
            out,
            "<h{0}>Skipped checks</h{0}>\n<table>\n<tr><th>Check</th><th>Why it did not run</th></tr>",
            h(1)
        );
        for s in &report.skipped {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(s.id),
                html_prose(&s.reason)
            );
        }
        out.push_str("</table>\n");
    }
    out
}

fn html_finding(out: &mut String, f: &Finding, level: usize) {
    let sev = f.severity.as_str();
    let _ = writeln!(
        out,
        "<div class=\"finding {sev}\">\n<h{level}><span class=\"sev\">{sev}</span> <code>{}</code>: {}</h{level}>\n<ul>",
        esc(f.id),
        html_prose(&f.message)
    );
    if let Some(resource) = &f.resource {
        let _ = writeln!(out, "<li><strong>Resource:</strong> <code>{}</code></li>", esc(resource));
    }
    let _ = writeln!(out, "<li><strong>Category:</strong> {}</li>", esc(f.category.title()));
    let _ = writeln!(out, "<li><strong>Hint:</strong> {}</li>", html_prose(&f.hint));
    let url = esc(&docs_url(f));
    let _ = writeln!(out, "<li><strong>Docs:</strong> <a href=\"{url}\">{url}</a></li>\n</ul>");
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "<p><strong>Fix:</strong></p>\n<pre><code>{}</code></pre>", esc(fix));
    }
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_outside_code_spans_and_keeps_the_spans() {
        assert_eq!(md_escape("a*b_c <x> | [l](u)"), "a\\*b\\_c \\<x\\> \\| \\[l\\](u)");
        assert_eq!(md_prose("listener `https-*` of <gw>"), "listener `https-*` of \\<gw\\>");
        // Unbalanced: every backtick is text.
        assert_eq!(md_prose("a ` b"), "a \\` b");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_cell("`a|b` \\| c"), "`a\\|b` \\| c");
    }

    #[test]
    fn html_escapes_every_value() {
        assert_eq!(esc("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
        assert_eq!(html_prose("the `<b>` tag & <i>"), "the <code>&lt;b&gt;</code> tag &amp; &lt;i&gt;");
    }
}
