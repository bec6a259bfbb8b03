use std::collections::BTreeMap;

use super::*;
use crate::spec::{
    AllowedRoutesInput, GatewayInput, InferenceInput, KnativeInput, ReleaseInput, RunaiInput, TlsInput,
};

/// An input with every field set, written without `..Default::default()`: a field added to
/// [`SpecInput`] breaks this build until the table (and this list) has it.
fn every_field() -> SpecInput {
    let release = |name: &str| ReleaseInput {
        release: Some(format!("{name}-release")),
        namespace: Some(format!("{name}-ns")),
        chart: Some(format!("repo/{name}")),
        chart_version: Some("1.2.3".into()),
    };
    SpecInput {
        api_version: Some(crate::spec::CONFIG_API_VERSION.into()),
        kind: Some(crate::spec::CONFIG_KIND.into()),
        cluster_domain: Some("runai.corp.example".into()),
        routing_mode: Some(RoutingMode::Path),
        platform: Some(Platform::Openshift),
        dns: Some(DnsMode::ExternalDns),
        inference: Some(InferenceInput { enabled: Some(false), domain: Some("inf.corp.example".into()) }),
        gateway: Some(GatewayInput {
            name: Some("gw".into()),
            namespace: Some("gw-ns".into()),
            class_name: Some("gw-class".into()),
            controller: Some(Controller::Istio),
            http_redirect: Some(false),
            websockets: Some(false),
        }),
        tls: Some(TlsInput {
            cluster_domain_secret: Some("a".into()),
            workloads_secret: Some("b".into()),
            inference_secret: Some("c".into()),
            issuer: Some("clusterissuer/ca".into()),
        }),
        allowed_routes: Some(AllowedRoutesInput {
            control_plane: Some(RouteNamespaces::Same),
            workloads: Some(RouteNamespaces::All),
            inference: Some(RouteNamespaces::Namespaces { names: vec!["kn".into()] }),
        }),
        knative: Some(KnativeInput {
            namespace: Some("kn".into()),
            kourier_service: Some("kourier-x".into()),
            kourier_port: Some(8080),
        }),
        runai: Some(RunaiInput {
            control_plane: Some(ControlPlaneLocation::Remote),
            control_plane_context: Some("cp".into()),
            backend: Some(release("backend")),
            cluster: Some(release("cluster")),
        }),
    }
}

/// The dotted paths of the leaves of a config (a route policy is one leaf).
fn leaves(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) if !prefix.starts_with("allowedRoutes.") => {
            for (k, v) in map {
                leaves(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

fn json_at<'a>(value: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    path.split('.').fold(value, |v, key| &v[key])
}

#[test]
fn the_table_has_every_field_of_the_config_once() {
    let mut config = Vec::new();
    leaves("", &serde_json::to_value(every_field()).expect("serialises"), &mut config);
    let mut table = paths();
    config.sort();
    table.sort();
    assert_eq!(table, config);
    let flags: Vec<_> = FIELDS.iter().filter_map(|f| f.flag.map(|fl| fl.long)).collect();
    let mut unique = flags.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), flags.len(), "a flag is declared twice: {flags:?}");
}

#[test]
fn each_accessor_reads_and_writes_its_own_path() {
    let full = every_field();
    let json = serde_json::to_value(&full).expect("serialises");
    let mut rebuilt = SpecInput::default();
    for f in FIELDS {
        let value = f.get(&full).unwrap_or_else(|| panic!("{} is not read", f.path));
        // Alone in an input, the value sits at the field's path and nowhere else.
        let mut alone = SpecInput::default();
        f.set(&mut alone, Some(value.clone())).unwrap_or_else(|e| panic!("{e}"));
        let mut written = Vec::new();
        leaves("", &serde_json::to_value(&alone).expect("serialises"), &mut written);
        assert_eq!(written, [f.path], "{}", f.path);
        assert_eq!(
            json_at(&serde_json::to_value(&alone).expect("serialises"), f.path),
            json_at(&json, f.path)
        );
        // Clearing it leaves no empty section behind.
        f.set(&mut alone, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alone, SpecInput::default(), "{}", f.path);
        f.copy(&full, &mut rebuilt);
    }
    assert_eq!(rebuilt, full);
}

#[test]
fn a_value_of_the_wrong_kind_is_refused_by_name() {
    let mut input = SpecInput::default();
    let port = field("knative.kourierPort").expect("a field");
    let err = port.set(&mut input, Some(Value::Text("80".into()))).expect_err("text for a port");
    assert_eq!(err.path, "knative.kourierPort");
    assert!(err.to_string().contains("port number"), "{err}");
    let mode = field("routingMode").expect("a field");
    let err = mode.set(&mut input, Some(Value::Text("subdomain".into()))).expect_err("no such mode");
    assert!(err.to_string().contains("expected one of host, path"), "{err}");
    assert_eq!(input, SpecInput::default());
}

#[test]
fn merge_overlays_field_by_field() {
    let full = every_field();
    let mut merged = full.clone();
    merged.merge(&SpecInput::default());
    assert_eq!(merged, full, "an empty layer changes nothing");
    let mut merged = SpecInput::default();
    merged.merge(&full);
    assert_eq!(merged, full, "every field is carried over");
    let over = SpecInput {
        gateway: Some(GatewayInput { name: Some("other".into()), ..GatewayInput::default() }),
        runai: Some(RunaiInput {
            cluster: Some(ReleaseInput { chart_version: Some("9.9.9".into()), ..ReleaseInput::default() }),
            ..RunaiInput::default()
        }),
        ..SpecInput::default()
    };
    let mut merged = full.clone();
    merged.merge(&over);
    let mut want = full;
    want.gateway.as_mut().expect("set").name = Some("other".into());
    want.runai.as_mut().and_then(|r| r.cluster.as_mut()).expect("set").chart_version = Some("9.9.9".into());
    assert_eq!(merged, want);
}

#[test]
fn enum_values_are_the_spellings_of_config_files() {
    fn spellings<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
        for v in all {
            assert_eq!(serde_json::to_value(v).expect("serialises"), as_str(*v), "serde and as_str agree");
        }
        all.iter().map(|v| as_str(*v)).collect()
    }
    let values = |path: &str| match field(path).map(|f| f.kind) {
        Some(Kind::Enum { values }) => values.iter().map(|c| c.value).collect::<Vec<_>>(),
        other => panic!("{path} is {other:?}"),
    };
    assert_eq!(values("routingMode"), spellings(RoutingMode::ALL, RoutingMode::as_str));
    assert_eq!(values("platform"), spellings(Platform::ALL, Platform::as_str));
    assert_eq!(values("dns"), spellings(DnsMode::ALL, DnsMode::as_str));
    assert_eq!(values("gateway.controller"), spellings(&Controller::ALL, Controller::as_str));
    assert_eq!(
        values("runai.controlPlane"),
        spellings(ControlPlaneLocation::ALL, ControlPlaneLocation::as_str)
    );
}

#[test]
fn the_defaults_users_see() {
    let shown: BTreeMap<_, _> = form_defaults().into_iter().collect();
    let want: BTreeMap<&str, String> = [
        ("routingMode", "host"),
        ("platform", "kubernetes"),
        ("dns", "manual"),
        ("inference.enabled", "true"),
        ("inference.domain", "runai-inference.<parent of the cluster domain>"),
        ("gateway.name", "runai-gateway"),
        ("gateway.namespace", "runai"),
        ("gateway.className", "the controller's class (kgateway for kgateway)"),
        ("gateway.controller", "kgateway (openshift on OpenShift)"),
        ("gateway.httpRedirect", "true"),
        ("gateway.websockets", "true"),
        ("tls.clusterDomainSecret", "runai-cluster-domain-tls-secret"),
        ("tls.workloadsSecret", "runai-cluster-domain-star-tls-secret"),
        ("tls.inferenceSecret", "runai-cluster-inference-tls-secret"),
        ("tls.issuer", "none: the secrets are provided by hand"),
        ("allowedRoutes.controlPlane", "host mode: ns:runai,runai-backend; path mode: all"),
        ("allowedRoutes.workloads", "label:runai/queue"),
        ("allowedRoutes.inference", "ns:knative-serving"),
        ("knative.namespace", "knative-serving"),
        ("knative.kourierService", "kourier"),
        ("knative.kourierPort", "80"),
        ("runai.controlPlane", "same-cluster"),
        ("runai.backend.release", "runai-backend"),
        ("runai.backend.namespace", "runai-backend"),
        ("runai.backend.chart", "runai-backend/control-plane"),
        ("runai.cluster.release", "runai-cluster"),
        ("runai.cluster.namespace", "runai"),
        ("runai.cluster.chart", "runai/runai-cluster"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    assert_eq!(shown, want);
}

/// The resolved value of `path` for `input`, spelled as its flag.
fn resolved(input: &SpecInput, path: &str) -> String {
    let spec = input.resolve().unwrap_or_else(|e| panic!("{e}"));
    let f = field(path).expect("a field");
    let mut stated = SpecInput::default();
    (f.access.from_spec)(&spec, &mut stated);
    f.get(&stated).map(|v| v.to_flag()).unwrap_or_default()
}

fn domain(d: &str) -> SpecInput {
    SpecInput { cluster_domain: Some(d.into()), ..SpecInput::default() }
}

#[test]
fn resolved_defaults_depend_on_nothing_else() {
    // Another cluster domain, path mode, SaaS: a default shown as resolved must not move.
    let mut other = domain("ai.other.example.org");
    other.routing_mode = Some(RoutingMode::Path);
    other.runai =
        Some(RunaiInput { control_plane: Some(ControlPlaneLocation::Saas), ..RunaiInput::default() });
    for f in FIELDS.iter().filter(|f| f.default == Shown::Resolved) {
        if f.get(&other).is_none() {
            assert_eq!(Some(resolved(&other, f.path)), f.default_text(), "{}", f.path);
        }
    }
}

#[test]
fn the_notes_say_what_resolution_does() {
    let note = |path: &str| field(path).and_then(Field::default_text).unwrap_or_default();
    let host = domain("runai.example.com");
    let path = SpecInput { routing_mode: Some(RoutingMode::Path), ..host.clone() };
    let cp = note("allowedRoutes.controlPlane");
    assert!(cp.contains(&format!("host mode: {}", resolved(&host, "allowedRoutes.controlPlane"))), "{cp}");
    assert!(cp.contains(&format!("path mode: {}", resolved(&path, "allowedRoutes.controlPlane"))), "{cp}");
    let derived = host.resolve().expect("valid").inference_domain.expect("derived");
    assert_eq!(note("inference.domain").replace("<parent of the cluster domain>", "example.com"), derived);
    assert!(
        note("gateway.className").contains(&format!("{} for kgateway", resolved(&host, "gateway.className")))
    );
    let openshift = SpecInput { platform: Some(Platform::Openshift), ..host.clone() };
    let controller = note("gateway.controller");
    assert!(controller.starts_with(&resolved(&host, "gateway.controller")), "{controller}");
    assert!(controller.contains(&format!("{} on OpenShift", resolved(&openshift, "gateway.controller"))));
}

#[test]
fn the_form_is_the_table_as_data() {
    let form = serde_json::to_value(form()).expect("serialises");
    assert_eq!(form.as_array().map(Vec::len), Some(FIELDS.len()));
    let mode = &form[3];
    assert_eq!(mode["path"], "routingMode");
    assert_eq!(mode["kind"], "enum");
    assert_eq!(mode["values"][1]["value"], "path");
    assert_eq!(mode["default"], "host");
    assert_eq!(mode["flag"], "--routing-mode");
    assert_eq!(form[0]["flag"], serde_json::Value::Null, "apiVersion has no flag");
    let port = form.as_array().and_then(|a| a.iter().find(|f| f["path"] == "knative.kourierPort"));
    assert_eq!(port.map(|p| p["kind"].clone()), Some("port".into()));
}

/// Reads flags back through the table, as the CLI does (the CLI's own parser is tested against
/// the same property in the plugin).
fn parse(words: &[String]) -> SpecInput {
    let mut input = SpecInput::default();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let long = word.strip_prefix("--").unwrap_or_else(|| panic!("`{word}` is not a flag"));
        let f = FIELDS
            .iter()
            .find(|f| f.flag.is_some_and(|fl| fl.long == long))
            .unwrap_or_else(|| panic!("no field has --{long}"));
        let value = match f.kind {
            Kind::Bool => Value::Bool(false),
            kind => {
                let text = words.next().unwrap_or_else(|| panic!("--{long} without a value")).clone();
                match kind {
                    Kind::Port => Value::Port(text.parse().expect("a port")),
                    Kind::Routes => Value::Routes(RouteNamespaces::parse_flag(&text).expect("a policy")),
                    _ => Value::Text(text),
                }
            }
        };
        f.set(&mut input, Some(value)).unwrap_or_else(|e| panic!("{e}"));
    }
    // As the CLI refuses them: flags that do not go together.
    for f in FIELDS {
        if let Some(other) = f.flag.and_then(|fl| fl.conflicts_with) {
            let given = |path: &str| field(path).and_then(|g| g.get(&input)).is_some();
            assert!(!(given(f.path) && given(other)), "{} and {other} together: {words:?}", f.path);
        }
    }
    input
}

/// `spec` without the warning that a domain for switched-off inference is ignored: such a domain
/// has no flag to say it (`--no-inference` refuses `--inference-domain`).
fn but_ignored_domain(spec: Result<Spec, crate::Issues>, input: &SpecInput) -> Result<Spec, crate::Issues> {
    let ignored = input.inference.as_ref().is_some_and(|i| i.enabled == Some(false) && i.domain.is_some());
    spec.map(|mut s| {
        if ignored {
            let before = s.warnings.len();
            s.warnings.retain(|w| !w.contains("inference domain is set but inference is off"));
            assert_eq!(s.warnings.len() + 1, before, "the warning is there");
        }
        s
    })
}

fn inputs() -> Vec<SpecInput> {
    let base = domain("runai.example.com");
    let gateway = |g: GatewayInput| SpecInput { gateway: Some(g), ..base.clone() };
    let mut remote = base.clone();
    remote.runai = Some(RunaiInput { control_plane_context: Some("cp ctx".into()), ..RunaiInput::default() });
    let mut saas = base.clone();
    saas.runai = Some(RunaiInput {
        control_plane: Some(ControlPlaneLocation::Saas),
        cluster: Some(ReleaseInput { namespace: Some("rc".into()), ..ReleaseInput::default() }),
        ..RunaiInput::default()
    });
    let mut no_inference = base.clone();
    no_inference.inference = Some(InferenceInput { enabled: Some(false), domain: None });
    let mut every = every_field();
    every.inference = Some(InferenceInput { enabled: None, domain: Some("inf.corp.example".into()) });
    vec![
        base.clone(),
        SpecInput { routing_mode: Some(RoutingMode::Path), ..base.clone() },
        SpecInput { platform: Some(Platform::Openshift), ..base.clone() },
        gateway(GatewayInput {
            controller: Some(Controller::EnvoyGateway),
            class_name: Some("eg-custom".into()),
            ..GatewayInput::default()
        }),
        gateway(GatewayInput {
            controller: Some(Controller::Other),
            class_name: Some("x".into()),
            ..GatewayInput::default()
        }),
        // Explicit defaults: resolution gives them anyway.
        gateway(GatewayInput {
            name: Some("runai-gateway".into()),
            controller: Some(Controller::Kgateway),
            class_name: Some("kgateway".into()),
            http_redirect: Some(true),
            ..GatewayInput::default()
        }),
        no_inference,
        remote,
        saas,
        every_field(),
        every,
    ]
}

#[test]
fn input_flags_reproduce_the_input() {
    let layers = [SpecInput::default(), every_field(), domain("file.example.com")];
    for input in inputs() {
        for base in &layers {
            // A switch says only no: yes over a file saying no is the file's to change.
            let says_yes_over_no = FIELDS.iter().any(|f| {
                f.kind == Kind::Bool
                    && f.get(&input) == Some(Value::Bool(true))
                    && f.get(base) == Some(Value::Bool(false))
            });
            if says_yes_over_no {
                continue;
            }
            let mut want = base.clone();
            want.merge(&input);
            let flags = input_flags(&input, base);
            let mut got = base.clone();
            got.merge(&parse(&flags));
            let wanted = if got.inference == want.inference {
                want.resolve()
            } else {
                but_ignored_domain(want.resolve(), &want)
            };
            assert_eq!(got.resolve(), wanted, "{flags:?}\nover {base:?}");
        }
    }
}

#[test]
fn input_flags_leave_out_what_resolution_gives_anyway() {
    let flags = |input: &SpecInput| input_flags(input, &SpecInput::default());
    let all = inputs();
    assert_eq!(flags(&all[0]), ["--cluster-domain", "runai.example.com"]);
    assert_eq!(flags(&all[5]), ["--cluster-domain", "runai.example.com"], "explicit defaults");
    assert_eq!(flags(&all[3])[2..], ["--gateway-class", "eg-custom", "--controller", "envoy-gateway"]);
    assert_eq!(flags(&all[6])[2..], ["--no-inference"]);
    // `--control-plane remote` is implied by the context.
    assert_eq!(flags(&all[7])[2..], ["--control-plane-context", "cp ctx"]);
    // A field the file already says needs no flag.
    assert_eq!(input_flags(&all[0], &all[0]), Vec::<String>::new());
}

#[test]
fn a_command_line_resolves_to_its_spec() {
    for input in inputs() {
        let spec = input.resolve().unwrap_or_else(|e| panic!("{e}"));
        let line = CommandLine::new(&Invocation::default(), &spec);
        let words: Vec<String> = line.input().iter().map(|w| w.trim_matches('\'').to_owned()).collect();
        let reproduced = parse(&words).resolve().unwrap_or_else(|e| panic!("{e}"));
        // Warnings about how the input was written (a domain for switched-off inference) need
        // not come back; everything else must.
        assert_eq!(Spec { warnings: Vec::new(), ..reproduced }, Spec { warnings: Vec::new(), ..spec });
    }
}

#[test]
fn a_command_line_repeats_the_invocation() {
    let file = SpecInput {
        gateway: Some(GatewayInput { name: Some("gw".into()), ..GatewayInput::default() }),
        ..domain("runai.example.com")
    };
    let mut input = file.clone();
    input.merge(&SpecInput { routing_mode: Some(RoutingMode::Path), ..SpecInput::default() });
    let spec = input.resolve().expect("valid");
    let invocation = Invocation {
        config: Some(ConfigLayer { source: ConfigSource::File("my config.yaml".into()), input: file }),
        kubeconfig: Some("/home/me/.kube/other".into()),
        context: Some("prod".into()),
    };
    let line = CommandLine::new(&invocation, &spec);
    assert_eq!(
        line.command("apply", "--phase prepare"),
        "kubectl runai-gateway apply --config 'my config.yaml' --routing-mode path \
         --kubeconfig /home/me/.kube/other --context prod --phase prepare"
    );
    // `render` takes no kube flags.
    assert_eq!(
        line.command("render", "-o helm"),
        "kubectl runai-gateway render --config 'my config.yaml' --routing-mode path -o helm"
    );
    let example = Invocation {
        config: Some(ConfigLayer { source: ConfigSource::Example, input: domain("runai.example.com") }),
        ..Invocation::default()
    };
    assert_eq!(
        CommandLine::new(&example, &spec).command("rollback", ""),
        "kubectl runai-gateway rollback --example --routing-mode path --gateway-name gw"
    );
}
