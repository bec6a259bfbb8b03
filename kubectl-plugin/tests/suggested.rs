//! Every command a `status` report suggests reproduces the user's whole input: run through the
//! real parser, it resolves the very spec the report judged. Live against the test API server and
//! from the snapshot file of the same run; with host and path mode, custom controller, class and
//! secret names, inference off, a config file, `--example` and an explicit `--context`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use crate::support::dns::DnsServer;
use crate::support::*;
use runai_gateway_testkit::TestServer;
use serde_json::Value;

/// The context of the test server's kubeconfig.
const CONTEXT: &str = "runai-gateway-test";

struct Case {
    fixture: &'static str,
    /// Input flags of the `status` run.
    args: &'static [&'static str],
    /// A config file, written next to the snapshot under a name that needs quoting.
    config: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case { fixture: "status/healthy", args: &[], config: None },
    Case { fixture: "status/healthy", args: &["--routing-mode", "path"], config: None },
    Case {
        fixture: "status/healthy",
        args: &[
            "--controller",
            "istio",
            "--gateway-class",
            "my-class",
            "--cluster-domain-secret",
            "cd-secret",
            "--workloads-secret",
            "wl-secret",
            "--inference-secret",
            "inf-secret",
        ],
        config: None,
    },
    Case { fixture: "runai-introduced", args: &["--no-inference"], config: None },
    // The issuer is missing (its fix is cert-manager's, not ours) and a listener secret has no
    // Certificate: `apply --phase prepare` with the issuer creates them.
    Case {
        fixture: "status/cert-manager-secret-not-produced",
        args: &["--tls-issuer", "issuer/ca"],
        config: None,
    },
    Case {
        fixture: "gateway-prepared",
        args: &["--gateway-class", "from-flag", "--context", CONTEXT],
        config: Some(
            "apiVersion: runai-gateway/v1alpha1\nkind: GatewayMigration\nclusterDomain: runai.example.com\n\
             gateway:\n  className: from-file\ntls:\n  workloadsSecret: wl-from-file\nknative:\n  kourierPort: 8080\n",
        ),
    },
    Case {
        fixture: "ingress-only",
        args: &["--context", CONTEXT, "--kourier-service", "kourier-x"],
        config: None,
    },
    Case { fixture: "gateway-prepared", args: &["--example", "--platform", "kubernetes"], config: None },
];

fn dns() -> DnsServer {
    DnsServer::start(&[
        ("runai.example.com", INGRESS_IP),
        ("*.runai.example.com", INGRESS_IP),
        ("*.runai-inference.example.com", INGRESS_IP),
    ])
}

/// The words of `command` as the shell reads them.
fn shell_words(command: &str) -> Vec<String> {
    let out = Command::new("bash")
        .args(["-c", r#"eval "set -- $1"; printf '%s\0' "$@""#, "_", command])
        .output()
        .expect("bash is needed for this test");
    assert!(out.status.success(), "bash: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().split_terminator('\0').map(str::to_owned).collect()
}

/// A suggested command taken apart: its verb, its input words (config layer and input flags)
/// and its kube words.
struct Suggested {
    verb: String,
    input: Vec<String>,
    kube: Vec<String>,
}

fn take_apart(command: &str) -> Suggested {
    // The generated script's part is shell, not flags: `-o helm > migrate.sh && bash migrate.sh …`.
    let flags = match command.split_once(" -o helm > migrate.sh && bash migrate.sh ") {
        Some((flags, steps)) => {
            assert!(!steps.is_empty() && !steps.contains(['>', '&', ';', '|']), "{command}");
            flags
        }
        None => command,
    };
    let words = shell_words(flags);
    assert_eq!(words[..2], ["kubectl", "runai-gateway"], "{command}");
    let verb = words[2].clone();
    let mut rest: Vec<String> = words[3..].to_vec();
    match verb.as_str() {
        "apply" if rest.ends_with(&["--wait".to_owned()]) => {
            rest.pop();
        }
        "apply" => {
            let phase = rest.len() - 2;
            assert_eq!(rest[phase], "--phase", "{command}");
            rest.truncate(phase);
        }
        "rollback" | "render" => {}
        other => panic!("unexpected verb {other}: {command}"),
    }
    let mut input = Vec::new();
    let mut kube = Vec::new();
    let mut words = rest.into_iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--context" | "--kubeconfig" => kube.extend([word, words.next().unwrap()]),
            _ => input.push(word),
        }
    }
    Suggested { verb, input, kube }
}

/// Every command of a report: the next step's and every fix that is one of ours.
fn suggested_commands(report: &Value) -> Vec<String> {
    let fixes = report["findings"].as_array().unwrap().iter().filter_map(|f| f["fix"].as_str());
    report["nextStep"]["command"]
        .as_str()
        .into_iter()
        .chain(fixes)
        .filter(|c| c.starts_with("kubectl runai-gateway "))
        .map(str::to_owned)
        .collect()
}

fn json(run: &Run, what: &str) -> Value {
    assert!(run.code == 0 || run.code == 5, "{what} exited {}: {}", run.code, run.stderr);
    run.json()
}

#[test]
fn every_suggested_command_resolves_the_reports_spec() {
    let mut checked = 0;
    let mut verbs = std::collections::BTreeSet::new();
    for case in CASES {
        let server = TestServer::with_fixture(case.fixture);
        let dns = dns();
        let snapshot = server.scratch_dir().join("snapshot.yaml");
        let snapshot = snapshot.to_str().unwrap();
        let mut args: Vec<String> = case.args.iter().map(|a| (*a).to_owned()).collect();
        let config = case.config.map(|text| {
            let path = server.scratch_dir().join("my config.yaml");
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_owned()
        });
        if let Some(path) = &config {
            args.extend(["--config".to_owned(), path.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let now = server.now().to_string();

        let mut live_args = vec!["-o", "json", "--save-snapshot", snapshot];
        live_args.extend(&args);
        let live = json(&status(&server, &dns.arg(), &live_args), "live status");
        let mut file_args = vec!["status", "-o", "json", "--from-file", snapshot, "--now", &now];
        file_args.extend(&args);
        let from_file = json(&run(&file_args, Path::new(".")), "status --from-file");
        assert_eq!(live, from_file, "{}: a live report and its snapshot's", case.fixture);
        assert_eq!(live["context"], CONTEXT);

        let commands = suggested_commands(&live);
        assert!(!commands.is_empty(), "{} {args:?}: no command suggested", case.fixture);
        for command in &commands {
            let what = format!("{} {args:?}: {command}", case.fixture);
            let s = take_apart(command);
            verbs.insert(s.verb.clone());
            // The config layer, as given; the report's context wherever the verb takes one.
            let layer: Vec<&str> = match (&config, args.contains(&"--example")) {
                (Some(path), _) => vec!["--config", path],
                (None, true) => vec!["--example"],
                (None, false) => vec![],
            };
            assert_eq!(s.input[..layer.len()], layer[..], "{what}");
            let context: &[&str] = if s.verb == "render" { &[] } else { &["--context", CONTEXT] };
            assert_eq!(s.kube, context, "{what}");

            // The input words alone resolve the report's spec, as `apply` and `rollback` do.
            let mut render = vec!["render", "-o", "json"];
            render.extend(s.input.iter().map(String::as_str));
            let plan = json(&run(&render, Path::new(".")), &what);
            assert_eq!(plan["spec"], live["spec"], "{what}");

            // The whole command line, context included, through `status` on the same snapshot:
            // the same spec, and the same next step again.
            let mut again = vec!["status", "-o", "json", "--from-file", snapshot, "--now", &now];
            again.extend(s.input.iter().chain(&s.kube).map(String::as_str));
            let again = json(&run(&again, Path::new(".")), &what);
            assert_eq!(again["spec"], live["spec"], "{what}");
            assert_eq!(again["nextStep"], live["nextStep"], "{what}");
            checked += 1;
        }
    }
    assert!(checked >= CASES.len(), "only {checked} commands checked");
    for verb in ["apply", "render"] {
        assert!(verbs.contains(verb), "no case suggests `{verb}`: {verbs:?}");
    }
}

/// The suggested `apply` runs: its own parser takes the flags, and `--context` reaches the
/// cluster the report is about (the ambient kubeconfig is the test server's, as a user's would be).
#[test]
fn the_suggested_apply_runs_against_the_reports_cluster() {
    let server = TestServer::with_fixture("gateway-prepared");
    let dns = dns();
    let report =
        json(&status(&server, &dns.arg(), &["-o", "json", "--gateway-name", "runai-gateway"]), "status");
    let command = report["nextStep"]["command"].as_str().unwrap();
    let s = take_apart(command);
    assert_eq!(s.verb, "apply", "{command}");
    let words = shell_words(command);
    let out = Command::new(BIN)
        .args(&words[2..])
        .args(["--dry-run=client", "--dns-server", &dns.arg()])
        .env("KUBECONFIG", server.kubeconfig_path())
        .env("HOME", server.scratch_dir())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{command} --dry-run=client:\n{stdout}\n{stderr}");
    assert!(stdout.contains(CONTEXT) || stderr.contains(CONTEXT), "{stdout}\n{stderr}");
}
