//! The built calculator page in headless Chromium, driven through WebDriver like a user: fill the
//! form, read the preview, reload from the permalink, and compare the page's output with the CLI
//! binary's byte for byte.
//!
//! Needs the built page (`cargo xtask web --build-only`, into `target/web`), the CLI binary
//! (`cargo build -p kubectl-runai-gateway`), Chromium and chromedriver: `wasm/test.sh` prepares
//! all of it and runs these with `--ignored`. Screenshots go to `target/web-e2e/`.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use support::{Chromedriver, Session, serve, workspace_root};

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

fn web_dir() -> PathBuf {
    let dir =
        std::env::var_os("RUNAI_GATEWAY_WEB_DIR").map_or_else(|| target_dir().join("web"), PathBuf::from);
    assert!(
        dir.join("index.html").is_file()
            && dir.join("pkg/calculator_bg.wasm").is_file()
            && dir.join("pkg/diagnostics_bg.wasm").is_file(),
        "no built page in {}: run `cargo xtask web --build-only` (wasm/test.sh does)",
        dir.display()
    );
    dir
}

fn cli() -> PathBuf {
    let bin = std::env::var_os("RUNAI_GATEWAY_BIN")
        .map_or_else(|| target_dir().join("debug/kubectl-runai_gateway"), PathBuf::from);
    assert!(
        bin.is_file(),
        "no CLI binary at {}: run `cargo build -p kubectl-runai-gateway` (wasm/test.sh does)",
        bin.display()
    );
    bin
}

fn artifacts() -> PathBuf {
    target_dir().join("web-e2e")
}

fn updates(s: &Session) -> u64 {
    s.js("return Number(document.body.dataset.updates || 0);", vec![]).as_u64().unwrap()
}

fn open(s: &Session, url: &str) {
    s.goto(url);
    s.wait_for("the page to start", "return document.body.dataset.ready === 'true';");
    assert_eq!(s.js("return document.body.dataset.ready;", vec![]), json!("true"));
}

/// Does `act`, then waits until the page has recomputed the preview.
fn and_wait(s: &Session, act: impl FnOnce()) {
    let before = updates(s);
    act();
    let script = format!("return Number(document.body.dataset.updates || 0) > {before};");
    s.wait_for("the preview to update", &script);
}

fn select(s: &Session, field_id: &str, value: &str) {
    and_wait(s, || {
        s.find(&format!("#{field_id} option[value=\"{value}\"]")).click();
    });
}

/// The preview's state: `example`, `fresh` or `stale`.
fn preview_state(s: &Session) -> String {
    s.js("return document.getElementById('outputs').dataset.state;", vec![]).as_str().unwrap().to_owned()
}

/// Focuses the form's last field (opening its section), scrolls it into view, and returns how
/// many pixels of the preview are in the viewport then.
fn preview_in_view_at_last_field(s: &Session) -> f64 {
    s.js(
        "const last = [...document.querySelectorAll('#form [data-field]')].at(-1);
         const d = last.closest('details'); if (d) d.open = true;
         last.focus(); last.scrollIntoView({block: 'center'});
         const r = document.getElementById('preview').getBoundingClientRect();
         return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));",
        vec![],
    )
    .as_f64()
    .unwrap()
}

fn field_error(s: &Session, field: &str) -> Option<String> {
    let v = s.js(
        "const p = document.getElementById(arguments[0]); return p.hidden ? null : p.textContent;",
        vec![json!(format!("e-{}", field.replace('.', "-")))],
    );
    v.as_str().map(str::to_owned)
}

#[test]
#[ignore = "needs Chromium, chromedriver and the built page: run wasm/test.sh"]
fn calculator_fills_previews_and_restores_from_the_permalink() {
    let base = serve(web_dir());
    let driver = Chromedriver::start();
    let s = driver.session(1280, 900);
    open(&s, &format!("{base}/"));

    // Empty form: no error, but the example's preview, marked, with nothing to download yet.
    assert_eq!(field_error(&s, "clusterDomain"), None);
    assert_eq!(s.js("return document.getElementById('errors').hidden;", vec![]), json!(true));
    assert_eq!(preview_state(&s), "example");
    assert!(s.text_of("stale").contains("An example for runai.example.com"), "{}", s.text_of("stale"));
    assert!(s.text_of("out-yaml").contains("#   clusterDomain: runai.example.com\n"));
    assert_eq!(s.find("#download-yaml").property("disabled"), json!(true));
    // One primary action; the others are secondary.
    let primary = s.js(
        "return [...document.querySelectorAll('#outputs .actions button.primary')].map(b => b.id);",
        vec![],
    );
    assert_eq!(primary, json!(["download-yaml"]));
    // The diagnostics module is not part of the first visit.
    let loaded =
        s.js("return performance.getEntriesByType('resource').map(e => e.name.split('/').pop());", vec![]);
    assert!(
        loaded.as_array().unwrap().iter().any(|n| n == "calculator_bg.wasm")
            && !loaded.as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with("diagnostics")),
        "{loaded}"
    );
    // The preview is beside the form, in view, while the last field is edited.
    assert!(preview_in_view_at_last_field(&s) > 400.0, "the preview left the screen");
    s.js("window.scrollTo(0, 0); document.activeElement.blur();", vec![]);
    // From now on the preview must never be hidden, whatever is typed.
    s.js(
        "window.previewHidden = 0;
         new MutationObserver(() => { if (document.getElementById('outputs').hidden) window.previewHidden++; })
           .observe(document.getElementById('outputs'), {attributes: true});",
        vec![],
    );

    // Every control is labelled and points at its error slot.
    let unlabelled = s.js(
        "return [...document.querySelectorAll('[data-field]')]
           .filter(el => el.labels.length === 0
             || !(el.getAttribute('aria-describedby') || '').includes('e-'))
           .map(el => el.dataset.field);",
        vec![],
    );
    assert_eq!(unlabelled, json!([]));

    // Type a cluster domain: validation waits for the pause, then the preview is this cluster's,
    // with the CLI's provenance header.
    let domain = s.find("#f-clusterDomain");
    let before = updates(&s);
    domain.type_text("runai.acme.io");
    let during = updates(&s);
    assert!(during - before <= 1, "recomputed on every keystroke ({} times)", during - before);
    s.wait_for("the preview", "return document.getElementById('outputs').dataset.state === 'fresh';");
    assert_eq!(field_error(&s, "clusterDomain"), None);
    assert_eq!(s.find("#download-yaml").property("disabled"), json!(false));
    // Highlighted, with the same text.
    let keys = s.js("return document.querySelectorAll('#out-yaml .hl-key').length;", vec![]);
    assert!(keys.as_u64().unwrap() > 20, "{keys}");
    let yaml = s.text_of("out-yaml");
    assert!(
        yaml.starts_with("# Generated by runai-gateway ")
            && yaml.contains("#   clusterDomain: runai.acme.io\n"),
        "{yaml}"
    );
    assert!(yaml.contains("*.runai-inference.acme.io"), "{yaml}");
    let warnings = s.text_of("warnings-list");
    assert!(warnings.contains("was derived from the cluster domain"), "{warnings}");

    // DNS records, certificate requirements and numbered steps, from the same plan.
    let plan: Value = serde_json::from_str(&s.text_of("out-json")).unwrap();
    let dns = s.js(
        "return [...document.querySelectorAll('#dns-table tbody tr')].map(r => r.cells[0].textContent);",
        vec![],
    );
    assert_eq!(dns, json!(["runai.acme.io", "*.runai.acme.io", "*.runai-inference.acme.io"]));
    let certs = s.text_of("certs-list");
    assert!(
        certs.contains("runai/runai-cluster-domain-star-tls-secret")
            && certs.contains("Must cover *.runai.acme.io"),
        "{certs}"
    );
    let steps = s.js(
        "return [...document.querySelectorAll('#steps-list > li > h4')].map(h => h.textContent);",
        vec![],
    );
    assert_eq!(steps.as_array().unwrap().len(), plan["steps"].as_array().unwrap().len());
    assert_eq!(steps[0], plan["steps"][0]["title"]);

    // Path routing: the workloads secret does not apply, and says why.
    select(&s, "f-routingMode", "path");
    assert_eq!(s.find("#f-tls-workloadsSecret").property("disabled"), json!(true));
    assert!(s.text_of("w-tls-workloadsSecret").contains("Not used in path mode"));
    // A policy that locks Knative out: the core's message lands on that field, in the form's
    // terms, and the last valid preview stays, marked out of date.
    let inference_routes = s.find("#f-allowedRoutes-inference");
    and_wait(&s, || inference_routes.type_text("ns:somewhere-else"));
    let err = field_error(&s, "allowedRoutes.inference").expect("policy error shown");
    assert!(err.contains("must admit the Knative route"), "{err}");
    assert!(err.contains("Fix: set Inference listener to ns:knative-serving"), "{err}");
    assert!(!err.contains("--inference-routes") && !err.contains('`'), "{err}");
    let code = s.js(
        "return [...document.querySelectorAll('#e-allowedRoutes-inference code')].map(c => c.textContent);",
        vec![],
    );
    assert_eq!(code, json!(["knative-serving", "NotAllowedByListeners", "ns:knative-serving"]));
    let link = s.js("return document.querySelector('#errors-list a').textContent;", vec![]);
    assert_eq!(link, json!("Inference listener"));
    assert_eq!(inference_routes.property("ariaInvalid"), json!("true"));
    assert_eq!(preview_state(&s), "stale");
    assert!(s.text_of("stale").starts_with("Out of date"), "{}", s.text_of("stale"));
    assert!(s.text_of("out-yaml").contains("#   routingMode: path\n"), "the last valid preview stays");
    assert_eq!(s.find("#download-yaml").property("disabled"), json!(true));
    // A policy the flag syntax cannot read is caught before the core.
    and_wait(&s, || {
        inference_routes.clear();
    });
    and_wait(&s, || inference_routes.type_text("namespaces:x"));
    let err = field_error(&s, "allowedRoutes.inference").expect("syntax error shown");
    assert!(err.contains("ns:NAME"), "{err}");
    and_wait(&s, || inference_routes.clear());
    assert_eq!(field_error(&s, "allowedRoutes.inference"), None);
    assert_eq!(preview_state(&s), "fresh");
    assert_eq!(s.js("return window.previewHidden;", vec![]), json!(0), "the preview was hidden");

    // A domain the inference domain cannot be derived from: the message names the form's fields.
    and_wait(&s, || domain.clear());
    and_wait(&s, || domain.type_text("runai.acme"));
    let err = field_error(&s, "inference.domain").expect("derivation error shown");
    assert!(
        err.contains("set Inference domain to runai-inference.example.com")
            && err.contains("Route inference through the Gateway set to no"),
        "{err}"
    );
    and_wait(&s, || domain.type_text(".io"));
    assert_eq!(preview_state(&s), "fresh");

    // The resolved defaults show as placeholders.
    assert_eq!(s.find("#f-allowedRoutes-controlPlane").property("placeholder"), json!("all"));
    select(&s, "f-gateway-controller", "istio");
    assert!(s.text_of("out-yaml").contains("gatewayClassName: istio"));
    assert_eq!(s.find("#f-gateway-className").property("placeholder"), json!("istio"));

    // The tabs work from the keyboard.
    s.find("#tab-summary").click();
    s.find("#tab-summary").type_text("\u{E014}"); // ArrowRight
    assert_eq!(
        s.js("return [document.getElementById('tab-yaml').getAttribute('aria-selected'), document.activeElement.id, document.getElementById('panel-yaml').hidden];", vec![]),
        json!(["true", "tab-yaml", false])
    );
    s.find("#tab-summary").click();

    // The permalink restores the whole page.
    let permalink = s.url();
    assert!(
        permalink.contains("clusterDomain=runai.acme.io")
            && permalink.contains("routingMode=path")
            && permalink.contains("gateway.controller=istio"),
        "{permalink}"
    );
    let before = (s.text_of("out-yaml"), s.text_of("out-helm"));
    s.screenshot(&artifacts().join("calculator-laptop.png"));
    s.goto("about:blank");
    open(&s, &permalink);
    assert_eq!(s.find("#f-clusterDomain").property("value"), json!("runai.acme.io"));
    assert_eq!(s.find("#f-routingMode").property("value"), json!("path"));
    assert_eq!((s.text_of("out-yaml"), s.text_of("out-helm")), before);

    // A permalink with a key the form does not have and a value a list does not offer: both are
    // named with their values, and the address is kept as it came.
    let bad = format!("{base}/#clusterDomain=runai.acme.io&gatway.name=x&routingMode=sideways");
    s.goto("about:blank");
    open(&s, &bad);
    let problems = s.text_of("link-problems");
    assert!(
        problems.contains("gatway.name=x: the form has no field gatway.name")
            && problems.contains("routingMode=sideways: Routing mode is one of host, path"),
        "{problems}"
    );
    assert_eq!(s.url(), bad, "the address was rewritten");
    assert_eq!(preview_state(&s), "fresh");
    drop(s);

    // A narrow window: the preview is docked under the form while the last field is edited, the
    // switch shows it whole, and nothing is wider than the screen.
    let phone = driver.session(500, 900);
    open(&phone, &permalink);
    let overflow = phone
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![]);
    assert_eq!(overflow, json!(0), "horizontal scroll on a narrow screen");
    let shown = preview_in_view_at_last_field(&phone);
    assert!(shown > 200.0, "only {shown}px of the preview in view on a narrow screen");
    let cols = phone.js("return Number(document.body.dataset.planWidth);", vec![]).as_u64().unwrap();
    assert!((40..70).contains(&cols), "summary rendered at {cols} columns in a 500px window");
    phone.find("#show-preview").click();
    assert_eq!(
        phone.js("return getComputedStyle(document.getElementById('form')).display;", vec![]),
        json!("none")
    );
    phone.js("window.scrollTo(0, 0);", vec![]);
    phone.screenshot(&artifacts().join("calculator-phone.png"));
}

/// Inputs the page and the CLI must agree on, as config files.
const PARITY_INPUTS: &[(&str, &str)] = &[
    ("example", include_str!("../../examples/runai-gateway.yaml")),
    ("minimal", "clusterDomain: runai.example.com\n"),
    (
        "path-no-inference",
        "clusterDomain: runai.corp.example\nroutingMode: path\ninference:\n  enabled: false\ngateway:\n  httpRedirect: false\n  websockets: false\n",
    ),
    ("openshift", "clusterDomain: runai.apps.ocp.example.com\nplatform: openshift\n"),
    (
        "saas-istio",
        "clusterDomain: runai.example.org\ngateway:\n  controller: istio\n  name: edge\n  namespace: gateways\ntls:\n  clusterDomainSecret: cd-tls\n  workloadsSecret: star-tls\n  inferenceSecret: inf-tls\n",
    ),
    (
        "remote-envoy",
        "apiVersion: runai-gateway/v1alpha1\nkind: GatewayMigration\nclusterDomain: runai.example.net\ninference:\n  domain: models.example.net\ngateway:\n  controller: envoy-gateway\nallowedRoutes:\n  controlPlane:\n    from: Same\n  workloads:\n    from: Labels\n    labels:\n      team: ml\n      runai/queue: \"\"\n  inference:\n    from: All\nknative:\n  namespace: kn\n  kourierService: kourier-internal\n  kourierPort: 8080\nrunai:\n  controlPlane: remote\n  controlPlaneContext: cp-admin\n  backend:\n    chartVersion: 2.21.4\n  cluster:\n    release: rc\n    namespace: runai-system\n    chart: oci://registry.example.net/runai/cluster\n    chartVersion: 2.21.4\n",
    ),
    (
        "other-controller-saas",
        "clusterDomain: runai.example.io\ngateway:\n  controller: other\n  className: my-class\nrunai:\n  controlPlane: saas\n",
    ),
];

fn cli_output(config: &std::path::Path, format: &str, args: &[&str]) -> String {
    let out = Command::new(cli())
        .args(["render", "--config"])
        .arg(config)
        .args(["-o", format])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "CLI failed on {}: {}",
        config.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs Chromium, chromedriver, the built page and the CLI binary: run wasm/test.sh"]
fn page_output_equals_the_cli_byte_for_byte() {
    let base = serve(web_dir());
    let driver = Chromedriver::start();
    let s = driver.session(1280, 900);
    open(&s, &format!("{base}/"));
    let dir = target_dir().join("web-e2e/parity");
    std::fs::create_dir_all(&dir).unwrap();
    s.find("#import summary").click();

    for (name, text) in PARITY_INPUTS {
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();

        // Load the file through the page's import, which fills the form; the preview is then
        // computed from the form, so this also checks that the form carries every field.
        s.js("document.getElementById('import-text').value = arguments[0];", vec![json!(text)]);
        and_wait(&s, || s.find("#import-apply").click());
        let errors = s.text_of("errors-list");
        assert!(errors.is_empty(), "{name}: {errors}");
        // The summary is rendered at its box's width, as the CLI renders it at `--width`.
        let width = s.js("return document.body.dataset.planWidth;", vec![]).as_str().unwrap().to_owned();
        for (format, id, args) in [
            ("yaml", "out-yaml", vec![]),
            ("helm", "out-helm", vec![]),
            ("plan", "out-plan", vec!["--width", width.as_str()]),
            ("json", "out-json", vec![]),
        ] {
            let cli = cli_output(&path, format, &args);
            let page = s.text_of(id);
            assert!(page == cli, "{name}: -o {format} {args:?} differs\n--- page\n{page}\n--- cli\n{cli}");
        }

        // The permalink of that form gives the same bytes again.
        let yaml = s.text_of("out-yaml");
        let permalink = s.url();
        s.goto("about:blank");
        open(&s, &permalink);
        assert_eq!(s.text_of("out-yaml"), yaml, "{name}: permalink");
        s.find("#import summary").click();
    }

    // A file that is not a config: the parser's message with its lines kept, the form as it was,
    // and no claim that it loaded.
    let yaml = s.text_of("out-yaml");
    s.js(
        "document.getElementById('import-text').value = arguments[0];",
        vec![json!("clusterDomain: runai.example.com\ngatway:\n  name: x\n")],
    );
    s.find("#import-apply").click();
    s.wait_for("the import error", "return !document.getElementById('import-error').hidden;");
    let error = s.text_of("import-error");
    assert!(error.starts_with("The config file was not loaded") && error.contains("gatway"), "{error}");
    let lines = s.js("return document.querySelectorAll('#import-error br').length;", vec![]);
    assert!(lines.as_u64().unwrap() >= 2, "the message lost its lines: {error}");
    assert!(s.text_of("action-status").contains("was not loaded"), "{}", s.text_of("action-status"));
    assert_eq!(s.text_of("out-yaml"), yaml);
}

// ---- diagnostics: `status --from-file` of a pasted snapshot ----------------------------------

const EXAMPLE_SNAPSHOT: &str = include_str!("../../examples/snapshot.yaml");

/// The instant the page (`?now=`) and the CLI (`--now`) evaluate at, and the fixtures' certificates
/// are issued for (2026-11-27): the same verdicts on any date.
const NOW: u64 = 1_795_824_000;

/// A fixture's objects as `kubectl get … -o yaml` prints them: one `v1` List.
fn fixture_list(name: &str) -> String {
    let clock = runai_gateway_testkit::CertClock::at(NOW as i64);
    let fixture = runai_gateway_testkit::Fixture::load_at(name, clock).unwrap();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": fixture.objects, "metadata": {"resourceVersion": ""}});
    runai_gateway_core::yaml::to_string(&list).unwrap()
}

/// The width the page rendered the last report at (`status --width`).
fn report_width(s: &Session) -> String {
    s.js("return document.body.dataset.reportWidth;", vec![]).as_str().unwrap().to_owned()
}

fn diagnoses(s: &Session) -> u64 {
    s.js("return Number(document.body.dataset.diagnoses || 0);", vec![]).as_u64().unwrap()
}

/// Puts `text` in the snapshot box, presses Diagnose and waits for the result.
fn diagnose(s: &Session, text: &str) {
    s.js("document.getElementById('snapshot-text').value = arguments[0];", vec![json!(text)]);
    let before = diagnoses(s);
    s.find("#diagnose").click();
    s.wait_for("the diagnosis", &format!("return Number(document.body.dataset.diagnoses || 0) > {before};"));
}

/// `kubectl-runai_gateway status --from-file FILE --now NOW [ARGS]`: (exit code, stdout).
fn cli_status(snapshot: &std::path::Path, now: u64, args: &[&str]) -> (i32, String) {
    let out = Command::new(cli())
        .args(["status", "--from-file"])
        .arg(snapshot)
        .args(["--now", &now.to_string()])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    // 0: nothing at or above an error; 5: findings. Anything else is a failure to diagnose.
    assert!(
        code == 0 || code == 5,
        "status on {} exited {code}: {}",
        snapshot.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (code, String::from_utf8(out.stdout).unwrap())
}

#[test]
#[ignore = "needs Chromium, chromedriver, the built page and the CLI binary: run wasm/test.sh"]
fn diagnostics_tab_reports_a_pasted_snapshot() {
    let now = NOW;
    let base = serve(web_dir());
    let driver = Chromedriver::start();
    let s = driver.session(1280, 900);
    open(&s, &format!("{base}/?now={now}"));
    let dir = artifacts().join("diagnostics");
    std::fs::create_dir_all(&dir).unwrap();

    // The view tabs: from the keyboard, the diagnostics replace the preview, and their module
    // is loaded only now.
    assert_eq!(s.js("return document.body.dataset.diagnosticsLoaded ?? null;", vec![]), json!(null));
    s.find("#view-preview").click();
    s.find("#view-preview").type_text("\u{E014}"); // ArrowRight
    assert_eq!(
        s.js("return [document.activeElement.id, document.getElementById('diagnostics').hidden, document.getElementById('preview').hidden];", vec![]),
        json!(["view-diagnostics", false, true])
    );
    s.wait_for("the diagnostics module", "return document.body.dataset.diagnosticsLoaded === 'true';");
    // Every control of the tab is labelled.
    let unlabelled = s.js(
        "return [...document.querySelectorAll('#diagnostics textarea, #diagnostics input')]
           .filter(el => el.labels.length === 0).map(el => el.id);",
        vec![],
    );
    assert_eq!(unlabelled, json!([]));

    // Paste the example snapshot, with an empty form (no flags): what the CLI prints.
    let example = dir.join("example.yaml");
    std::fs::write(&example, EXAMPLE_SNAPSHOT).unwrap();
    diagnose(&s, EXAMPLE_SNAPSHOT);
    assert_eq!(s.js("return document.getElementById('diag-report').hidden;", vec![]), json!(false));
    let width = report_width(&s);
    let (_, table) = cli_status(&example, now, &["--width", &width]);
    assert_eq!(s.text_of("diag-table"), table);
    let (_, json_text) = cli_status(&example, now, &["-o", "json"]);
    let report: Value = serde_json::from_str(&json_text).unwrap();
    let (_, wide) = cli_status(&example, now, &[]);
    let phase_line = wide.lines().find_map(|l| l.strip_prefix("Phase: ")).unwrap();
    assert_eq!(s.text_of("diag-phase"), phase_line);
    // The title's code in backticks is shown as code.
    assert_eq!(s.text_of("diag-next"), report["nextStep"]["title"].as_str().unwrap().replace('`', ""));
    assert_eq!(s.text_of("diag-next-command"), report["nextStep"]["command"].as_str().unwrap());
    let status = s.text_of("diag-status");
    assert!(status.starts_with(&format!("Diagnosed: {phase_line}.")), "{status}");
    assert!(s.text_of("diag-target").contains("context prod"));

    // The findings, grouped by category, each with its severity, hint, fix and docs link.
    let shown = s.js(
        "return [...document.querySelectorAll('#diag-categories .finding')].map(li => ({
           category: li.closest('.category').dataset.category,
           severity: li.querySelector('.sev').textContent,
           id: li.querySelector('.finding-head code').textContent,
           hint: li.querySelector('.hint').textContent,
           hintCode: li.querySelector('.hint code') !== null,
           fix: li.querySelector('.cmd pre')?.textContent ?? null,
           copy: li.querySelector('.cmd button')?.textContent ?? null,
           doc: li.querySelector('.doc a').getAttribute('href'),
         }));",
        vec![],
    );
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "the example has a finding to show");
    assert_eq!(shown.as_array().unwrap().len(), findings.len());
    for (f, el) in findings.iter().zip(shown.as_array().unwrap()) {
        assert_eq!(el["id"], f["id"]);
        assert!(el["severity"].as_str().unwrap().ends_with(f["severity"].as_str().unwrap()), "{el}");
        // Code in backticks is shown as code, without the backticks.
        let hint = f["hint"].as_str().unwrap();
        assert_eq!(el["hint"].as_str().unwrap(), format!("Hint: {}", hint.replace('`', "")));
        assert_eq!(el["hintCode"].as_bool().unwrap(), hint.contains('`'), "{el}");
        assert_eq!(el["fix"], f["fix"]);
        assert_eq!(el["copy"], json!("Copy"));
        assert!(el["doc"].as_str().unwrap().ends_with(f["doc"].as_str().unwrap()), "{el}");
    }
    for (f, el) in findings.iter().zip(shown.as_array().unwrap()) {
        assert_eq!(el["category"], f["category"], "{el}");
    }
    let heading = s.js(
        "return document.querySelector('#diag-categories [data-category=\"gateway\"] h5').textContent;",
        vec![],
    );
    assert_eq!(heading, json!("! Gateway, warning (1 finding, 9 passed)"));
    let categories = s.js("return document.querySelectorAll('#diag-categories .category').length;", vec![]);
    assert_eq!(categories, json!(11));

    // The form is the command's flags: a cluster domain typed there wins over the snapshot's.
    let domain = s.find("#f-clusterDomain");
    let before = diagnoses(&s);
    domain.type_text("runai.other.example");
    s.wait_for(
        "the diagnosis to follow the form",
        &format!("return Number(document.body.dataset.diagnoses) > {before};"),
    );
    s.wait_for(
        "the typed domain",
        "return document.getElementById('diag-target').textContent.includes('for runai.other.example ');",
    );
    let width = report_width(&s);
    let (_, flagged) =
        cli_status(&example, now, &["--cluster-domain", "runai.other.example", "--width", &width]);
    assert_eq!(s.text_of("diag-table"), flagged);
    and_wait(&s, || s.find("#reset").click());

    // The example snapshot, one click away.
    diagnose(&s, "");
    let before = diagnoses(&s);
    s.find("#diagnose-example").click();
    s.wait_for("the example", &format!("return Number(document.body.dataset.diagnoses || 0) > {before};"));
    assert_eq!(s.find("#snapshot-text").property("value"), json!(EXAMPLE_SNAPSHOT));
    let width = report_width(&s);
    assert_eq!(s.text_of("diag-table"), cli_status(&example, now, &["--width", &width]).1);

    // Text that is no snapshot: the problem and the fix, announced, and no stale report.
    diagnose(&s, "hello: world\n");
    assert_eq!(s.js("return document.getElementById('diag-report').hidden;", vec![]), json!(true));
    let error = s.text_of("diag-error");
    assert!(
        error.contains("holds neither a runai-gateway snapshot")
            && error.contains("Fix: paste the output of kubectl runai-gateway snapshot > snapshot.yaml"),
        "{error}"
    );
    let code = s.js("return document.querySelector('#diag-error-fix code').textContent;", vec![]);
    assert_eq!(code, json!("kubectl runai-gateway snapshot > snapshot.yaml"));
    assert_eq!(s.find("#diag-error").property("role"), json!("alert"));

    // A snapshot with errors, from a broken fixture as a kubectl List: the screenshot.
    let broken = fixture_list("status/cert-expired");
    diagnose(&s, &broken);
    let path = dir.join("cert-expired.yaml");
    std::fs::write(&path, &broken).unwrap();
    let width = report_width(&s);
    let (code, table) = cli_status(&path, now, &["--width", &width]);
    assert_eq!(code, 5, "an expired certificate is an error");
    assert_eq!(s.text_of("diag-table"), table);
    assert!(s.text_of("diag-categories").contains("cert-expired"));
    s.screenshot(&artifacts().join("diagnostics.png"));
    drop(s);

    // A phone-width window: the same report, nothing wider than the screen.
    let phone = driver.session(500, 900);
    open(&phone, &format!("{base}/?now={now}"));
    phone.find("#show-preview").click();
    phone.find("#view-diagnostics").click();
    diagnose(&phone, &broken);
    let overflow = phone
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![]);
    assert_eq!(overflow, json!(0), "horizontal scroll on a phone");
    // The whole page (which also grows the window to its height), then the tab alone.
    phone.screenshot(&artifacts().join("diagnostics-phone-page.png"));
    phone.find("#diagnostics").screenshot(&artifacts().join("diagnostics-phone.png"));
}

/// Snapshots (a fixture as a kubectl List, or a snapshot file) and config files (the form's
/// input, the CLI's `--config`) on which the page's report must equal `status --from-file`.
const DIAGNOSTICS_PARITY: &[(&str, &str, Option<&str>)] = &[
    ("example-snapshot", "examples/snapshot.yaml", None),
    (
        "example-snapshot-path-mode",
        "examples/snapshot.yaml",
        Some("clusterDomain: runai.example.com\nroutingMode: path\n"),
    ),
    ("ingress-only", "ingress-only", None),
    ("gateway-prepared", "gateway-prepared", None),
    ("runai-introduced", "runai-introduced", None),
    ("migrated", "migrated", None),
    ("rolled-back", "status/rolled-back", None),
    ("cert-expired", "status/cert-expired", None),
    ("class-missing", "status/class-missing", None),
    ("listener-missing", "status/listener-missing", None),
    ("runaiconfig-drift", "status/runaiconfig-drift", None),
    (
        "other-release-names",
        "runai-introduced",
        Some("runai:\n  cluster:\n    release: rc\n  backend:\n    release: rb\n"),
    ),
    (
        "istio-and-secrets",
        "gateway-prepared",
        Some("gateway:\n  controller: istio\ntls:\n  clusterDomainSecret: other-tls\n"),
    ),
];

#[test]
#[ignore = "needs Chromium, chromedriver, the built page and the CLI binary: run wasm/test.sh"]
fn diagnostics_equal_status_from_file_byte_for_byte() {
    let now = NOW;
    let base = serve(web_dir());
    let driver = Chromedriver::start();
    let s = driver.session(1280, 900);
    open(&s, &format!("{base}/?now={now}"));
    s.find("#view-diagnostics").click();
    let dir = artifacts().join("parity-diagnostics");
    std::fs::create_dir_all(&dir).unwrap();
    let mut tables = std::collections::BTreeSet::new();

    for (name, source, config) in DIAGNOSTICS_PARITY {
        let text = if source.ends_with(".yaml") {
            std::fs::read_to_string(workspace_root().join(source)).unwrap()
        } else {
            fixture_list(source)
        };
        let snapshot = dir.join(format!("{name}.snapshot.yaml"));
        std::fs::write(&snapshot, &text).unwrap();

        // The form carries the config's values, as the same flags do for the CLI (a `--config`
        // would be repeated in the suggested commands, and the page has no file to name).
        let mut args: Vec<String> = Vec::new();
        match config {
            Some(config) => {
                let input = runai_gateway_core::SpecInput::from_yaml(config).unwrap();
                args.extend(runai_gateway_core::fields::input_flags(&input, &Default::default()));
                s.js(
                    "document.getElementById('import').open = true;
                     document.getElementById('import-text').value = arguments[0];",
                    vec![json!(config)],
                );
                and_wait(&s, || s.find("#import-apply").click());
            }
            None => and_wait(&s, || s.find("#reset").click()),
        }
        diagnose(&s, &text);
        let hidden = s.js("return document.getElementById('diag-error').hidden;", vec![]);
        assert_eq!(hidden, json!(true), "{name}: {}", s.text_of("diag-error"));

        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The table at the page's width, as `--width` gives it.
        let width = report_width(&s);
        let (_, table) = cli_status(&snapshot, now, &[&args[..], &["--width", &width]].concat());
        let page = s.text_of("diag-table");
        assert!(page == table, "{name}: the report differs\n--- page\n{page}\n--- cli\n{table}");
        let (_, json_text) = cli_status(&snapshot, now, &[&args[..], &["-o", "json"]].concat());
        assert!(s.text_of("diag-json") == json_text, "{name}: -o json differs");
        tables.insert(table);
    }
    // The table is not one report over and over: the cases differ.
    assert!(tables.len() >= DIAGNOSTICS_PARITY.len() - 2, "{} distinct reports", tables.len());
}
