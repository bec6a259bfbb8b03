use clap::Parser as _;
use runai_gateway_core::fields::input_flags;

use super::*;
use crate::cli::{Cli, Command};

/// A config file that sets every field a flag can say, none to its default (switches say no).
const EVERY_FLAG: &str = "\
clusterDomain: runai.corp.example
routingMode: path
platform: openshift
dns: external-dns
inference:
  enabled: false
  domain: inf.corp.example
gateway:
  name: gw
  namespace: gw-ns
  className: gw-class
  controller: envoy-gateway
  httpRedirect: false
  websockets: false
tls:
  clusterDomainSecret: a
  workloadsSecret: b
  inferenceSecret: c
  issuer: clusterissuer/ca
allowedRoutes:
  controlPlane: {from: Same}
  workloads: {from: Labels, labels: {team: ml, runai/queue: ''}}
  inference: {from: Namespaces, names: [kn, other]}
knative:
  namespace: kn
  kourierService: kourier-x
  kourierPort: 8080
runai:
  controlPlane: remote
  controlPlaneContext: cp
  backend: {release: br, namespace: bn, chart: repo/b, chartVersion: 2.20.1}
  cluster: {release: cr, namespace: cn, chart: repo/c, chartVersion: 2.20.2}
";

/// What the real parser reads from `render WORDS`.
fn parsed(words: &[String]) -> InputArgs {
    let argv =
        ["kubectl-runai_gateway", "render"].into_iter().map(str::to_owned).chain(words.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(Cli { command: Command::Render(args), .. }) => args.input,
        Ok(other) => panic!("not render: {other:?}"),
        Err(e) => panic!("{words:?}: {e}"),
    }
}

#[test]
fn every_field_round_trips_file_input_flags_input() {
    let file = SpecInput::from_yaml(EVERY_FLAG).unwrap_or_else(|e| panic!("{e}"));
    let mut words = Vec::new();
    for field in FIELDS {
        let value = field.get(&file);
        match (&field.flag, value) {
            (Some(_), Some(value)) => {
                words.extend(
                    field.flag_words(&value).unwrap_or_else(|| panic!("--{} cannot say it", field.path)),
                );
            }
            (Some(_), None) => panic!("the test config leaves out {}", field.path),
            (None, _) => {}
        }
    }
    // `--no-inference` and `--inference-domain` do not go together on the command line.
    let inference_domain =
        words.iter().position(|w| w == "--inference-domain").unwrap_or_else(|| panic!("{words:?}"));
    let domain: Vec<String> = words.drain(inference_domain..inference_domain + 2).collect();
    let mut back = parsed(&words).flags;
    assert_eq!(back.inference.as_ref().and_then(|i| i.domain.as_ref()), None);
    back.merge(&parsed(&domain[..]).flags);
    assert_eq!(back, file);
}

#[test]
fn suggested_flags_parse_back_to_the_same_spec() {
    let resolved = |words: &[String]| {
        let (input, layer) = read_input(&parsed(words)).unwrap_or_else(|e| panic!("{e}"));
        assert!(layer.is_none());
        input.resolve().unwrap_or_else(|e| panic!("{e}"))
    };
    let without_domain = EVERY_FLAG.replace("  domain: inf.corp.example\n", "");
    let file = SpecInput::from_yaml(&without_domain).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        resolved(&input_flags(&file, &SpecInput::default())),
        file.resolve().unwrap_or_else(|e| panic!("{e}"))
    );

    // A domain for switched-off inference is ignored, and `--no-inference` refuses it: the flags
    // say no inference, and only the warning about the ignored domain is gone.
    let file = SpecInput::from_yaml(EVERY_FLAG).unwrap_or_else(|e| panic!("{e}"));
    let flags = input_flags(&file, &SpecInput::default());
    assert!(
        flags.contains(&"--no-inference".to_owned()) && !flags.contains(&"--inference-domain".to_owned())
    );
    let want = file.resolve().unwrap_or_else(|e| panic!("{e}"));
    let got = resolved(&flags);
    assert_eq!(got.warnings.len() + 1, want.warnings.len(), "{:?}", want.warnings);
    assert_eq!(
        runai_gateway_core::Spec { warnings: Vec::new(), ..got },
        runai_gateway_core::Spec { warnings: Vec::new(), ..want }
    );
}

#[test]
fn config_and_example_are_the_config_layer() {
    let example = parsed(&["--example".to_owned(), "--gateway-name".to_owned(), "gw".to_owned()]);
    let (input, layer) = read_input(&example).unwrap_or_else(|e| panic!("{e}"));
    let layer = layer.unwrap_or_else(|| panic!("--example is a layer"));
    assert_eq!(layer.source, ConfigSource::Example);
    assert_eq!(layer.input, SpecInput::from_yaml(EXAMPLE_CONFIG).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(input.gateway.and_then(|g| g.name).as_deref(), Some("gw"));
    assert!(Cli::try_parse_from(["kubectl-runai_gateway", "render", "--example", "--config", "x"]).is_err());
}
