//! The core's YAML reader against serde-saphyr (which read these files before): the same values
//! for every YAML file of the repository, the Gateway API CRDs, the snapshots the CLI writes for
//! every fixture, and generated values; errors with their line and column; and no panic on any
//! input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use runai_gateway_core::ingest::Ingest;
use runai_gateway_core::snapshot::Kind;
use runai_gateway_core::yaml;
use runai_gateway_testkit::fixture::{fixtures_dir, gateway_api_dir};
use runai_gateway_testkit::{CertClock, Fixture};
use serde_json::Value;

fn ours(text: &str) -> Vec<Value> {
    yaml::from_multi_str(text).unwrap_or_else(|e| panic!("{e}\n--- in ---\n{text}"))
}

fn saphyr(text: &str) -> Vec<Value> {
    let docs: Vec<Option<Value>> = serde_saphyr::from_multiple(text).expect("serde-saphyr reads it");
    docs.into_iter().flatten().collect()
}

/// Where two values first differ, as a path (the whole values are too long to read).
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            x.iter().zip(y).find_map(|((ka, va), (kb, vb))| {
                if ka == kb {
                    difference(va, vb, &format!("{path}.{ka}"))
                } else {
                    Some(format!("{path}: key {ka} / {kb}"))
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (va, vb))| difference(va, vb, &format!("{path}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} / {b}")),
    }
}

fn same(text: &str, what: &str) {
    let (a, b) = (Value::Array(ours(text)), Value::Array(saphyr(text)));
    if let Some(d) = difference(&a, &b, "") {
        panic!("{what}: ours / serde-saphyr differ at {d}");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

#[test]
#[allow(clippy::disallowed_methods)] // The test reads the files; the core it tests does no I/O.
fn every_yaml_file_reads_as_serde_saphyr_read_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    yaml_files(&root.join("examples"), &mut files);
    yaml_files(&fixtures_dir(), &mut files);
    yaml_files(&gateway_api_dir(), &mut files);
    assert!(files.len() > 40, "{files:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).expect("reads");
        same(&text, &f.display().to_string());
    }
}

#[test]
fn snapshots_the_cli_writes_read_back_the_same() {
    // Fixtures with every kind of object (Secrets with certificate chains, Helm releases,
    // routes, Knative); each takes a while to issue its certificates.
    let names = ["runai-introduced", "gateway-prepared", "broken/chain-missing", "status/knative-network"];
    for name in &names {
        let fx =
            Fixture::load_at(name, CertClock::at(1_795_824_000)).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The objects as `kubectl get -o yaml` would list them, and the snapshot the CLI writes.
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": fx.objects});
        let text = yaml::to_string(&list).expect("writes");
        assert_eq!(ours(&text), saphyr(&text), "{name}");
        assert_eq!(ours(&text), vec![list], "{name}");
        let mut ingest = Ingest::new(Some((*name).to_owned()), &["runai-backend", "runai-cluster"]);
        for kind in Kind::ALL {
            ingest.mark_read(kind);
        }
        fx.objects.iter().for_each(|o| {
            ingest.add_any(o);
        });
        let snapshot = ingest.finish();
        let text = yaml::to_string(&snapshot).expect("writes");
        assert_eq!(ours(&text), saphyr(&text), "{name}");
        let back = runai_gateway_core::ingest::snapshot_from_text(&text, &[]).expect("reads");
        assert_eq!(
            serde_json::to_value(&back).expect("json"),
            serde_json::to_value(&snapshot).expect("json")
        );
    }
}

#[test]
fn the_yaml_people_write_reads_as_before() {
    for text in [
        "a: 1\nb: [x, 'y', \"z\"]\nc: {d: e, f: [1, 2]}\n",
        "# comment\n---\nkey: value # trailing\nlist:\n- a\n- b:\n    c: d\n  e: f\n-\n- - nested\n",
        "s: 'it''s'\nd: \"tab\\tnl\\nu\\u00e9\\x41\"\nfolded: >\n  one\n  two\n\n  three\nliteral: |+\n  keep\n\nstrip: |-\n  x\nz: 1\n",
        "pem: |\n  -----BEGIN CERTIFICATE-----\n  MIIB\n  -----END CERTIFICATE-----\nafter: 2\n",
        "plain: multi\n  line\n  text\nnumbers: [0, -3, 12_000, 0x1F, 0o17, 1.5, 1e3, .5, 0755]\nbools: [true, False, yes, no, on, OFF]\nnulls: [~, null, Null]\nempty:\n",
        "a: &anchor {x: 1}\nb: *anchor\n",
        "%YAML 1.2\n---\n- 1\n...\n---\n- 2\n",
        "\"quoted key\": 1\n'single': 2\nurl: http://example.com:8080/a#b\ncolon: a:b\nhash: a#b\n",
        "block: |2\n    two more\n  base\nfold: >-\n  a\n    indented\n  b\n",
        "{\"json\": [1, 2.5, \"x\", true, null, {\"n\": {}}], \"e\": []}\n",
        "line: \"a\n  b\n\n  c\"\nsingle: 'x\n  y'\n",
        "tagged: !!str 123\nbin: !custom value\n",
        "a:\n  b:\n    c:\n      - 1\n      - 2\n  d: 3\n",
        "- name: x\n  value: |\n    line1\n    line2\n- name: z\n",
    ] {
        assert_eq!(ours(text), saphyr(text), "{text}");
    }
}

/// serde-saphyr read a plain `y` or `n` as a boolean (YAML 1.1); YAML 1.2 and kubectl do not,
/// and neither does this reader (`yes`/`no`/`on`/`off` still are booleans, as before).
#[test]
fn a_single_letter_is_a_string() {
    assert_eq!(ours("[y, n, Y, N, yes, off]\n"), vec![serde_json::json!(["y", "n", "Y", "N", true, false])]);
}

#[test]
fn a_version_stays_the_string_it_was_written_as() {
    let input = runai_gateway_core::SpecInput::from_yaml("runai:\n  cluster:\n    chartVersion: 2.21\n")
        .expect("reads");
    let cluster = input.runai.and_then(|r| r.cluster).expect("cluster");
    assert_eq!(cluster.chart_version.as_deref(), Some("2.21"));
}

#[test]
fn errors_name_the_line_and_column_and_show_the_text() {
    for (text, says) in [
        ("clusterDomain: runai.example.com\ngatway:\n  name: x\n", "line 2 column 1: unknown field `gatway`"),
        ("gateway: {nmae: x}\n", "line 1 column 11: unknown field `nmae`"),
        ("clusterDomain: [unclosed", "line 1 column 16: unclosed bracket"),
        ("clusterDomain: \"a\n", "line 1 column 16: unclosed quote"),
        ("knative:\n  kourierPort: abc\n", "line 2 column 16: invalid type: string \"abc\", expected u16"),
        ("knative:\n  kourierPort: 70000\n", "line 2 column 16: invalid value: integer `70000`"),
        ("routingMode: sideways\n", "line 1 column 14: unknown variant `sideways`"),
        ("clusterDomain: a\nclusterDomain: b\n", "line 2 column 1: duplicate mapping key `clusterDomain`"),
        ("clusterDomain: a: b\n", "line 1 column 17: mapping values are not allowed here"),
        ("a:\n  b: 1\n c: 2\n", "line 3 column 2: bad indentation"),
        ("a: *nowhere\n", "line 1 column 4: unknown anchor `nowhere`"),
        ("a: \"\\q\"\n", "line 1 column 5: unknown escape `\\q`"),
    ] {
        let err = runai_gateway_core::SpecInput::from_yaml(text).expect_err(text).to_string();
        assert!(err.starts_with(&format!("error: {says}")), "{text:?}: {err}");
        let line: usize = says["line ".len()..].split(' ').next().and_then(|n| n.parse().ok()).expect("line");
        assert!(err.contains(&format!("\n{line} | ")), "{text:?} does not show line {line}: {err}");
        assert!(err.lines().any(|l| l.trim_start().starts_with("| ") && l.contains('^')), "{err}");
    }
}

/// A snapshot document is read straight from the YAML nodes into the model (not through
/// `serde_json::Value`), so what does not fit names its line and column; and a struct is read
/// from a mapping only (a sequence or a scalar in its place is refused, naming what was found).
#[test]
fn a_snapshot_document_that_does_not_fit_names_the_line() {
    use runai_gateway_core::ingest::{SnapshotFileError, snapshot_from_text};
    let schema = runai_gateway_core::snapshot::SNAPSHOT_SCHEMA;
    let text = format!("schema: {schema}\ngateways: 7\n");
    let Err(SnapshotFileError::Syntax(err)) = snapshot_from_text(&text, &[]) else {
        panic!("{text} was read");
    };
    assert!(err.starts_with("error: line 2 column 11: "), "{err}");
    assert!(err.contains("\n2 | gateways: 7"), "{err}");
    // A quoted schema is the same schema; a number under `schema` is no schema (the file is
    // then read as Kubernetes objects, of which it has none).
    let quoted = format!("schema: \"{schema}\"\ngateways: 7\n");
    assert!(matches!(snapshot_from_text(&quoted, &[]), Err(SnapshotFileError::Syntax(_))));
    assert!(matches!(snapshot_from_text("schema: 1\n", &[]), Err(SnapshotFileError::Unrecognised)));
    for (text, says) in [
        ("gateway: [a, b]\n", "line 1 column 10: expected a mapping, found a sequence"),
        ("gateway: name\n", "line 1 column 10: expected a mapping, found the scalar `name`"),
    ] {
        let err = runai_gateway_core::SpecInput::from_yaml(text).expect_err(text).to_string();
        assert!(err.starts_with(&format!("error: {says}")), "{text:?}: {err}");
    }
}

#[test]
fn hostile_nesting_and_aliases_are_refused_not_fatal() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = yaml::from_multi_str::<Value>(&deep).expect_err("too deep");
    assert!(err.to_string().contains("nested deeper than"), "{err}");
    let deep_block: String = (0..5_000).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    assert!(yaml::from_multi_str::<Value>(&deep_block).is_err());
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        laughs.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let err = yaml::from_multi_str::<Value>(&laughs).expect_err("a billion laughs");
    assert!(err.to_string().contains("aliases expand to more than"), "{err}");
}

/// The nodes aliases may copy grow with the document (half its bytes, at least 100,000), so a
/// large file using anchors reads, and a "billion laughs" stays refused however it is padded.
#[test]
fn the_alias_budget_grows_with_the_document() {
    // 200 aliases of a 1,001-node sequence: 200,200 nodes copied from a 2.8 KB document.
    let copies = format!("a: &x [{}]\nb: [{}]\n", ["1"; 1000].join(", "), ["*x"; 200].join(", "));
    let err = yaml::from_multi_str::<Value>(&copies).expect_err("over the floor");
    assert!(err.to_string().contains("aliases expand to more than 100000 nodes"), "{err}");
    // The same in a document of over 400,400 bytes is within its budget.
    let padded = format!("# {}\n{copies}", "x".repeat(400_400));
    let docs = yaml::from_multi_str::<Value>(&padded).expect("within the budget of a larger document");
    assert_eq!(docs[0]["b"].as_array().map(Vec::len), Some(200));
    assert_eq!(docs[0]["b"][199].as_array().map(Vec::len), Some(1000));
    // A trillion nodes are refused in a 4 MB document too.
    let mut laughs = format!("# {}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n", "x".repeat(4 << 20));
    for i in 1..12 {
        let p = i - 1;
        laughs.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{p}"); 10].join(", ")));
    }
    let err = yaml::from_multi_str::<Value>(&laughs).expect_err("a padded billion laughs");
    assert!(err.to_string().contains("aliases expand to more than 2097"), "{err}");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~\\n\\t\u{e9}\u{2028}]{0,12}".prop_map(Value::from),
        prop_oneof![Just("yes"), Just("0755"), Just("1e3"), Just("- x"), Just("a: b"), Just("#"), Just("'")]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z][a-z0-9.:/-]{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// What the CLI writes, it reads back as it was (as serde-saphyr did).
    #[test]
    fn written_values_read_back(v in json_value()) {
        let text = yaml::to_string(&v).expect("writes");
        prop_assert_eq!(ours(&text), saphyr(&text), "{}", text);
        // A document that is only `null` is an empty one, as before.
        let expected = if v.is_null() { vec![] } else { vec![v] };
        prop_assert_eq!(ours(&text), expected);
    }

    /// Any text gives values or an error, never a panic.
    #[test]
    fn any_text_is_read_or_refused(text in "[-:|>\"'#&*!?\\[\\]{},. a-z0-9\\n\\t\\\\]{0,80}") {
        let _ = yaml::from_multi_str::<Value>(&text);
        let _ = runai_gateway_core::SpecInput::from_yaml(&text);
    }

    /// Bytes cut out of a real file: read or refused, never a panic.
    #[test]
    fn cut_files_are_read_or_refused(start in 0usize..4000, len in 0usize..600) {
        let text = include_str!("../../examples/snapshot.yaml");
        let mut s = start.min(text.len());
        while !text.is_char_boundary(s) { s -= 1; }
        let mut e = (s + len).min(text.len());
        while !text.is_char_boundary(e) { e -= 1; }
        let _ = yaml::from_multi_str::<Value>(&text[s..e]);
    }
}
