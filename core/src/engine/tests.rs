//! The decisions as tables: observations built by hand, no server.

use serde_json::{Value, json};

use super::*;
use crate::engine::{ApplyChoices, RollbackChoices, RollbackFacts};
use crate::helm::HelmUpgrade;
use crate::plan::Ownership;
use crate::state::StateRecord;

fn input() -> SpecInput {
    SpecInput::from_yaml("clusterDomain: runai.example.com\n").expect("input")
}

fn release(component: Component, name: &str, namespace: &str, values: Value) -> ReleaseState {
    ReleaseState {
        component,
        name: name.into(),
        namespace: namespace.into(),
        deployed: Some(DeployedRelease {
            revision: 1,
            chart_version: "2.25.7".into(),
            values,
            chart_values: json!({}),
        }),
    }
}

/// The values a release has after `upgrades`.
fn after(upgrades: &[&[HelmUpgrade]], component: Component) -> Value {
    let mut values = json!({});
    for u in upgrades.iter().flat_map(|u| u.iter()).filter(|u| u.component == component) {
        for v in &u.values {
            crate::state::set(&mut values, &v.key, Value::String(v.value.clone()));
        }
    }
    values
}

/// A cluster on Ingress (`done` none), prepared, introduced or migrated.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage0 {
    IngressOnly,
    Prepared,
    Introduced,
    Migrated,
}

fn observation(at: Stage0) -> Observation {
    let spec = input().resolve().expect("spec");
    let bare = crate::plan(&input(), &spec, &Observed::default());
    let helm = &bare.helm;
    let values = |c| match at {
        Stage0::IngressOnly | Stage0::Prepared => json!({}),
        Stage0::Introduced => after(&[&helm.introduce], c),
        Stage0::Migrated => after(&[&helm.introduce, &helm.disable_ingress], c),
    };
    let facts = Facts {
        releases: vec![
            release(Component::Cluster, "runai-cluster", "runai", values(Component::Cluster)),
            release(
                Component::ControlPlane,
                "runai-backend",
                "runai-backend",
                values(Component::ControlPlane),
            ),
        ],
        state: (at > Stage0::IngressOnly).then(|| StateRecord::new("runai", "runai-gateway")),
        gateway_address: (at > Stage0::IngressOnly).then(|| "192.0.2.20".into()),
        ingress_address: Some("192.0.2.10".into()),
    };
    let plan = facts.plan(&input(), &spec);
    let objects =
        plan.objects.iter().map(|o| (at > Stage0::IngressOnly).then(|| o.manifest.clone())).collect();
    Observation {
        facts,
        plan,
        objects,
        copy: None,
        hand_made_ingresses: Vec::new(),
        external_dns: Vec::new(),
        ingresses: Vec::new(),
    }
}

/// The actions as short words, for the tables.
fn words(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Preflight { permissions, .. } => format!("preflight({})", permissions.len()),
            Action::RecordState(_) => "record".into(),
            Action::CopySecret { to, .. } => format!("copy {}", to.name),
            Action::Apply { object, exists, .. } => {
                format!(
                    "{} {}",
                    if *exists { "update" } else { "create" },
                    ObjectRef::of(&object.manifest).kind
                )
            }
            Action::Helm { stage, upgrade, .. } => {
                format!("helm {} {}", upgrade.release, stage.map_or("rollback", Stage::as_str))
            }
            Action::Verify { .. } => "verify".into(),
            Action::AwaitDns { .. } => "dns".into(),
            Action::PruneIngress { manifest, .. } => format!("prune {}", ObjectRef::of(manifest).name),
            Action::KeepIngresses(refs) => format!("keep {}", refs.len()),
            Action::Annotate { object, annotations } => {
                format!("annotate {} ({})", object.name, annotations.len())
            }
            Action::Recreate(m) => format!("recreate {}", ObjectRef::of(m).name),
            Action::RestoreKnative { .. } => "restore knative".into(),
            Action::Restore { manifest, .. } => {
                format!("restore {}", manifest["metadata"]["name"].as_str().unwrap_or("?"))
            }
            Action::Delete { object, state_record, .. } => {
                format!("delete {}{}", object.kind, if *state_record { " (record)" } else { "" })
            }
        })
        .collect()
}

fn decide(at: Stage0, choices: ApplyChoices) -> Vec<String> {
    words(&decide_apply(&observation(at), &choices))
}

#[test]
fn apply_does_only_what_is_left() {
    let all = ApplyChoices { probe: true, ..ApplyChoices::default() };
    assert_eq!(
        decide(Stage0::IngressOnly, all),
        [
            "preflight(21)", // +4: the lock (Lease get, create, update, delete)
            "record",
            "create Gateway",
            "create HTTPRoute",
            "create HTTPListenerPolicy",
            "create HTTPRoute",
            "create KnativeServing",
            "helm runai-backend introduce",
            "helm runai-cluster introduce",
            "verify",
            "dns",
            "helm runai-cluster disable-ingress",
            "helm runai-backend disable-ingress",
        ]
    );
    // The state record exists from the first run on: not written again.
    assert_eq!(
        decide(Stage0::Prepared, all),
        [
            "preflight(10)",
            "helm runai-backend introduce",
            "helm runai-cluster introduce",
            "verify",
            "dns",
            "helm runai-cluster disable-ingress",
            "helm runai-backend disable-ingress",
        ]
    );
    assert_eq!(
        decide(Stage0::Introduced, all),
        [
            "preflight(10)",
            "verify",
            "dns",
            "helm runai-cluster disable-ingress",
            "helm runai-backend disable-ingress"
        ]
    );
    // A migrated cluster: no write at all, the checks only.
    assert_eq!(decide(Stage0::Migrated, all), ["preflight(0)", "verify", "dns"]);
    assert!(decide_apply(&observation(Stage0::Migrated), &all).iter().all(|a| !a.writes()));
}

#[test]
fn one_phase_at_a_time() {
    let only = |stage| ApplyChoices { only: Some(stage), ..ApplyChoices::default() };
    assert_eq!(decide(Stage0::IngressOnly, only(Stage::Preflight)), ["preflight(0)"]);
    let prepare = decide(Stage0::IngressOnly, only(Stage::Prepare));
    assert_eq!(prepare[..3], ["preflight(15)", "record", "create Gateway"]);
    assert!(prepare.iter().all(|w| !w.starts_with("helm") && w != "verify"), "{prepare:?}");
    assert_eq!(
        decide(Stage0::Prepared, only(Stage::Introduce)),
        ["preflight(10)", "helm runai-backend introduce", "helm runai-cluster introduce"]
    );
    assert_eq!(decide(Stage0::Introduced, only(Stage::Verify)), ["verify"]);
    assert_eq!(decide(Stage0::Introduced, only(Stage::SwitchDns)), ["verify", "dns"]);
    // Disabling Ingress waits for the Gateway and for DNS.
    assert_eq!(
        decide(Stage0::Introduced, only(Stage::DisableIngress)),
        [
            "preflight(10)",
            "verify",
            "dns",
            "helm runai-cluster disable-ingress",
            "helm runai-backend disable-ingress"
        ]
    );
}

#[test]
fn objects_others_made_keep_their_labels_and_are_recorded_as_existing() {
    let mut obs = observation(Stage0::IngressOnly);
    let mut foreign = obs.plan.objects[0].manifest.clone();
    foreign["metadata"]["labels"] = json!({"team": "platform"});
    foreign["spec"]["listeners"] = json!([]);
    obs.objects[0] = Some(foreign);
    let actions = decide_apply(&obs, &ApplyChoices::default());
    let Some(Action::Apply { object, exists: true, changes, .. }) =
        actions.iter().find(|a| matches!(a, Action::Apply { exists: true, .. }))
    else {
        panic!("no update: {:?}", words(&actions));
    };
    assert!(object.manifest["metadata"].get("labels").is_none(), "{}", object.manifest);
    assert!(!changes.is_empty());
    let Some(Action::RecordState(record)) = actions.iter().find(|a| matches!(a, Action::RecordState(_)))
    else {
        panic!("no record");
    };
    // The Gateway existed; so did the inference secret's copy (none to make).
    assert_eq!(
        record.existed,
        [
            ObjectRef::of(&obs.plan.objects[0].manifest),
            secret_ref("runai", "runai-cluster-inference-tls-secret")
        ]
    );
    assert_eq!(record.input.as_ref(), Some(&input()), "the record carries the input for rollback");
    assert_eq!(record.releases.len(), 2);
    assert!(record.releases.iter().all(|r| r.values.values().all(Value::is_null)), "{:?}", record.releases);
}

#[test]
fn permissions_name_each_write_once() {
    let actions = decide_apply(&observation(Stage0::IngressOnly), &ApplyChoices::default());
    let Some(Action::Preflight { permissions, .. }) = actions.first() else { panic!("preflight first") };
    let has = |verb: &str, resource: &str, ns: &str| {
        permissions.iter().any(|p| p.verb == verb && p.resource == resource && p.namespace == ns)
    };
    assert!(has("create", "configmaps", "runai"));
    assert!(has("patch", "gateways", "runai") && has("create", "gateways", "runai"));
    assert!(has("patch", "knativeservings", "knative-serving"));
    assert!(has("update", "secrets", "runai-backend"), "helm's release storage");
    let gateway = permissions.iter().find(|p| p.resource == "gateways").expect("gateways");
    assert_eq!(gateway.group, "gateway.networking.k8s.io");
    let mut keys: Vec<_> = permissions.iter().map(|p| (p.verb, &p.resource, &p.namespace)).collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!(before, keys.len(), "a permission twice");
}

#[test]
fn hand_made_ingresses_are_listed_or_pruned() {
    let mut obs = observation(Stage0::Introduced);
    obs.hand_made_ingresses = hand_made(vec![
        json!({"metadata": {"name": "mine", "namespace": "runai", "uid": "u1", "resourceVersion": "7"}}),
        json!({"metadata": {"name": "chart", "namespace": "runai", "labels": {MANAGED_BY_LABEL: "Helm"}}}),
    ]);
    assert_eq!(obs.hand_made_ingresses.len(), 1);
    let kept = words(&decide_apply(&obs, &ApplyChoices::default()));
    assert_eq!(kept.last().map(String::as_str), Some("keep 1"));
    let actions = decide_apply(&obs, &ApplyChoices { prune_ingress: true, ..ApplyChoices::default() });
    let Some(Action::PruneIngress { manifest, uid }) = actions.last() else {
        panic!("{:?}", words(&actions))
    };
    assert_eq!(uid, "u1");
    assert!(manifest["metadata"].get("resourceVersion").is_none() && manifest["kind"] == "Ingress");
    // The preflight asks for the delete before the first write, not at the prune's 403.
    let Some(Action::Preflight { permissions, .. }) = actions.first() else { panic!("preflight first") };
    let delete = permissions.iter().find(|p| p.verb == "delete" && p.resource == "ingresses");
    let delete = delete.expect("delete ingresses in the preflight");
    assert_eq!((delete.group.as_str(), delete.namespace.as_str()), ("networking.k8s.io", "runai"));
    let kept = decide_apply(&obs, &ApplyChoices::default());
    let Some(Action::Preflight { permissions, .. }) = kept.first() else { panic!("preflight first") };
    assert!(
        !permissions.iter().any(|p| p.verb == "delete" && p.resource == "ingresses"),
        "only with --prune-ingress"
    );
}

fn rollback_facts(at: Stage0, record: StateRecord) -> (Facts, Plan) {
    let mut obs = observation(at);
    obs.facts.state = Some(record);
    let plan = obs.facts.plan(&input(), &obs.plan.spec);
    (obs.facts, plan)
}

#[test]
fn rollback_undoes_what_apply_did_and_prunes_last() {
    let mut record = StateRecord::new("runai", "runai-gateway");
    record.pruned_ingresses = vec![json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "mine", "namespace": "runai"}})];
    let (facts, plan) = rollback_facts(Stage0::Migrated, record.clone());
    let gateway = &plan.objects[0].manifest;
    let ours = |m: &Value, uid: &str| {
        let mut m = m.clone();
        m["metadata"]["uid"] = json!(uid);
        m["metadata"]["managedFields"] = json!([{"manager": FIELD_MANAGER}]);
        m
    };
    let mut foreign = ours(&plan.objects[1].manifest, "u2");
    foreign["metadata"]["managedFields"] = json!([{"manager": "someone"}]);
    let rf = RollbackFacts {
        knative: None,
        existing_ingresses: Vec::new(),
        labelled: vec![ours(gateway, "u1"), foreign],
        state_configmap: Some(ours(&record.to_configmap(), "u3")),
        adopted_live: Vec::new(),
        ..RollbackFacts::default()
    };
    let prune = RollbackChoices { prune: true };
    assert_eq!(
        words(&decide_rollback(&facts, &plan, &rf, prune)),
        [
            "recreate mine",
            "helm runai-cluster rollback",
            "helm runai-backend rollback",
            "dns",
            "delete Gateway",
            "delete ConfigMap (record)",
        ]
    );
    // Without --prune, nothing is deleted; an Ingress that is back is not re-created.
    let rf = RollbackFacts { existing_ingresses: vec![ObjectRef::of(&record.pruned_ingresses[0])], ..rf };
    assert_eq!(
        words(&decide_rollback(&facts, &plan, &rf, RollbackChoices::default())),
        ["helm runai-cluster rollback", "helm runai-backend rollback", "dns"]
    );
    // What existed before apply is never pruned.
    let mut kept = record;
    kept.existed.push(ObjectRef::of(gateway));
    let (facts, plan) = rollback_facts(Stage0::IngressOnly, kept);
    let deletes: Vec<String> = words(&decide_rollback(&facts, &plan, &rf, prune))
        .into_iter()
        .filter(|w| w.starts_with("delete"))
        .collect();
    assert_eq!(deletes, ["delete ConfigMap (record)"]);
}

#[test]
fn rollback_on_ingress_changes_nothing_and_restores_knative_fields() {
    let (facts, plan) = rollback_facts(Stage0::IngressOnly, StateRecord::new("runai", "runai-gateway"));
    assert_eq!(
        words(&decide_rollback(&facts, &plan, &RollbackFacts::default(), RollbackChoices::default())),
        ["dns"]
    );

    let knative = plan.objects.iter().find(|o| o.ownership == Ownership::Fields).expect("knative");
    let mut record = StateRecord::new("runai", "runai-gateway");
    record.knative_serving = Some(crate::state::KnativeRecord {
        namespace: "knative-serving".into(),
        name: "knative-serving".into(),
        fields: json!({}),
    });
    let (facts, plan) = rollback_facts(Stage0::Migrated, record);
    let rf = RollbackFacts { knative: Some(knative.manifest.clone()), ..RollbackFacts::default() };
    let actions = decide_rollback(&facts, &plan, &rf, RollbackChoices::default());
    let Some(Action::RestoreKnative { fields, .. }) =
        actions.iter().find(|a| matches!(a, Action::RestoreKnative { .. }))
    else {
        panic!("{:?}", words(&actions));
    };
    assert!(*fields > 0);
}

#[test]
fn the_newest_deployed_revision_wins() {
    use base64::Engine as _;
    let secret = |version: i64, status: &str, chart: &str| {
        let release = json!({"version": version, "config": {"a": 1}, "chart": {"metadata": {"version": chart}, "values": {}}});
        let inner = base64::engine::general_purpose::STANDARD.encode(release.to_string());
        let outer = base64::engine::general_purpose::STANDARD.encode(inner);
        json!({"metadata": {"labels": {"status": status}}, "data": {"release": outer}})
    };
    let got = DeployedRelease::newest(&[
        secret(1, "superseded", "2.25.6"),
        secret(3, "deployed", "2.25.8"),
        secret(2, "deployed", "2.25.7"),
    ])
    .expect("deployed");
    assert_eq!((got.revision, got.chart_version.as_str()), (3, "2.25.8"));
    assert_eq!(DeployedRelease::newest(&[secret(1, "failed", "x")]), None);
}

/// An observation at `at` with `--dns external-dns`, one external-dns (`image`, reading the
/// `ingress` source) and `ingresses`.
fn external_dns_observation(at: Stage0, image: &str, ingresses: Vec<Value>) -> Observation {
    let input = SpecInput::from_yaml("clusterDomain: runai.example.com\ndns: external-dns\n").expect("input");
    let mut obs = observation(at);
    obs.plan = obs.facts.plan(&input, &input.resolve().expect("spec"));
    let deployment = json!({"metadata": {"namespace": "external-dns", "name": "external-dns"},
        "spec": {"template": {"spec": {"containers": [{"image": image,
            "args": ["--source=ingress", "--source=gateway-httproute"]}]}}}});
    obs.external_dns = crate::externaldns::ExternalDns::from_deployment(&deployment).into_iter().collect();
    obs.ingresses = ingresses;
    obs
}

fn ingress(name: &str, host: &str, annotations: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "runai", "annotations": annotations},
        "spec": {"rules": [{"host": host}]}})
}

const OLD: &str = "external-dns.alpha.kubernetes.io/controller";
const NEW: &str = "external-dns.kubernetes.io/controller";

#[test]
fn external_dns_switch_annotates_the_claiming_ingresses_before_the_wait_and_records_them() {
    let ingresses = vec![
        ingress("cp", "runai.example.com", json!({OLD: "dns-controller", "team": "a"})),
        ingress("workload", "p1-w1.runai.example.com", json!({})),
        ingress("elsewhere", "app.other.example.org", json!({})),
        ingress("ignored", "runai.example.com", json!({OLD: "someone", NEW: "someone"})),
    ];
    // An image without a version: both prefixes.
    let obs = external_dns_observation(Stage0::Introduced, "corp/external-dns:latest", ingresses.clone());
    let only = ApplyChoices { only: Some(Stage::SwitchDns), ..ApplyChoices::default() };
    let actions = decide_apply(&obs, &only);
    // After verify (the Gateway serves), before the DNS wait.
    assert_eq!(
        words(&actions),
        ["preflight(5)", "record", "verify", "annotate cp (2)", "annotate workload (2)", "dns"]
    );
    let Some(Action::Annotate { annotations, .. }) = actions.get(3) else { panic!("annotate") };
    let ignored = Some(crate::externaldns::IGNORED_BY.to_owned());
    assert_eq!(annotations.values().collect::<Vec<_>>(), [&ignored, &ignored]);
    let Some(Action::RecordState(record)) = actions.get(1) else { panic!("record") };
    let previous: Vec<(&str, &str, Option<&str>)> = record
        .annotations
        .iter()
        .map(|r| (r.object.name.as_str(), r.key.as_str(), r.previous.as_deref()))
        .collect();
    assert_eq!(
        previous,
        [
            ("cp", OLD, Some("dns-controller")),
            ("cp", NEW, None),
            ("workload", OLD, None),
            ("workload", NEW, None)
        ]
    );
    let Some(Action::Preflight { permissions, .. }) = actions.first() else { panic!("preflight") };
    assert!(permissions.iter().any(|p| p.verb == "patch" && p.resource == "ingresses"));
    let patch = dns::merge_patch(&std::collections::BTreeMap::from([
        (OLD.to_owned(), Some("x".to_owned())),
        (NEW.to_owned(), None),
    ]));
    assert_eq!(patch, json!({"metadata": {"annotations": {OLD: "x", NEW: null}}}));

    // A versioned image: its prefix only. Manual DNS: no annotation at all.
    let v14 = external_dns_observation(
        Stage0::Introduced,
        "registry.k8s.io/external-dns/external-dns:v0.14.2",
        ingresses,
    );
    assert_eq!(words(&decide_apply(&v14, &only))[3], "annotate cp (1)");
    let mut manual = v14.clone();
    manual.plan = manual.facts.plan(&input(), &input().resolve().expect("spec"));
    assert_eq!(words(&decide_apply(&manual, &only)), ["verify", "dns"]);
}

#[test]
fn external_dns_rerun_writes_nothing_and_keeps_the_first_values() {
    let done = ingress("cp", "runai.example.com", json!({OLD: "runai-gateway", NEW: "runai-gateway"}));
    let mut obs =
        external_dns_observation(Stage0::Introduced, "corp/external-dns:latest", vec![done.clone()]);
    let mut record = StateRecord::new("runai", "runai-gateway");
    record.annotations = dns::records(
        &dns::ignore_actions(
            &obs.external_dns,
            &[ingress("cp", "runai.example.com", json!({}))],
            &["runai.example.com".into()],
        ),
        &[ingress("cp", "runai.example.com", json!({OLD: "dns-controller"}))],
        &[],
    );
    obs.facts.state = Some(record.clone());
    let only = ApplyChoices { only: Some(Stage::SwitchDns), ..ApplyChoices::default() };
    assert_eq!(words(&decide_apply(&obs, &only)), ["verify", "dns"]);
    // A second pass over the same actions records nothing new: the first values stay.
    let again = dns::ignore_actions(
        &obs.external_dns,
        &[ingress("cp", "runai.example.com", json!({}))],
        &["runai.example.com".into()],
    );
    assert!(dns::records(&again, &[done], &record.annotations).is_empty());
}

#[test]
fn rollback_puts_the_recorded_annotations_back_on_the_ingresses_that_exist() {
    let mut record = StateRecord::new("runai", "runai-gateway");
    let cp =
        ingress("cp", "runai.example.com", json!({OLD: "runai-gateway", NEW: "runai-gateway", "team": "a"}));
    record.annotations = vec![
        crate::state::AnnotationRecord {
            object: ObjectRef::of(&cp),
            key: OLD.into(),
            previous: Some("dns-controller".into()),
        },
        crate::state::AnnotationRecord { object: ObjectRef::of(&cp), key: NEW.into(), previous: None },
        crate::state::AnnotationRecord {
            object: ObjectRef::of(&ingress("gone", "x", json!({}))),
            key: OLD.into(),
            previous: None,
        },
    ];
    let (facts, plan) = rollback_facts(Stage0::Migrated, record);
    let rf = RollbackFacts { annotated_live: vec![cp], ..RollbackFacts::default() };
    let actions = decide_rollback(&facts, &plan, &rf, RollbackChoices::default());
    let w = words(&actions);
    let at = w.iter().position(|a| a == "annotate cp (2)").expect("annotate");
    assert_eq!(w[at + 1], "dns", "restored before the DNS wait");
    let Some(Action::Annotate { annotations, .. }) = actions.get(at) else { panic!() };
    assert_eq!(annotations.get(OLD), Some(&Some("dns-controller".to_owned())));
    assert_eq!(annotations.get(NEW), Some(&None));
    // Already restored: nothing to do.
    let restored = ingress("cp", "runai.example.com", json!({OLD: "dns-controller", "team": "a"}));
    let rf = RollbackFacts { annotated_live: vec![restored], ..RollbackFacts::default() };
    assert!(
        !words(&decide_rollback(&facts, &plan, &rf, RollbackChoices::default()))
            .iter()
            .any(|a| a.starts_with("annotate"))
    );
}

#[test]
fn the_plan_says_what_external_dns_mode_does_at_switch_dns() {
    let step = |yaml: &str| {
        let input = SpecInput::from_yaml(yaml).expect("input");
        let p = crate::plan(&input, &input.resolve().expect("spec"), &Observed::default());
        p.steps.into_iter().find(|s| s.id == "switch-dns").expect("switch-dns step")
    };
    let manual = step("clusterDomain: runai.example.com\n");
    assert_eq!(manual.title, "Point DNS at the Gateway");
    assert!(!manual.commands.iter().any(|c| c.contains("annotate")));
    let auto = step("clusterDomain: runai.example.com\ndns: external-dns\n");
    assert_eq!(auto.title, "Let external-dns move the records to the Gateway");
    assert!(auto.commands.iter().any(|c| c.contains(
        "kubectl annotate ingress NAME -n NAMESPACE external-dns.alpha.kubernetes.io/controller=runai-gateway external-dns.kubernetes.io/controller=runai-gateway"
    )));
    assert_eq!(auto.commands.last(), manual.commands.last(), "the wait is the same");
}

fn route(name: &str, annotations: Value) -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "runai", "annotations": annotations}})
}

#[test]
fn rollback_makes_the_gateways_routes_let_go_of_the_records_after_the_ingresses_claim_them_again() {
    let mut record = StateRecord::new("runai", "runai-gateway");
    let cp = ingress("cp", "runai.example.com", json!({OLD: "runai-gateway"}));
    record.annotations =
        vec![crate::state::AnnotationRecord { object: ObjectRef::of(&cp), key: OLD.into(), previous: None }];
    let (facts, plan) = rollback_facts(Stage0::Migrated, record);
    let eds =
        external_dns_observation(Stage0::Introduced, "corp/external-dns:latest", Vec::new()).external_dns;
    let rf = RollbackFacts {
        annotated_live: vec![cp],
        external_dns: eds.clone(),
        routes_live: vec![route("r1", json!({"team": "a"})), route("r2", json!({OLD: "someone"}))],
        ..RollbackFacts::default()
    };
    let actions = decide_rollback(&facts, &plan, &rf, RollbackChoices::default());
    let w = words(&actions);
    let at = w.iter().position(|a| a == "annotate cp (1)").expect("the Ingress first");
    // r2 is ignored already (another controller value): nothing to write.
    assert_eq!(w[at + 1..at + 3], ["annotate r1 (2)".to_owned(), "dns".to_owned()], "{w:?}");
    let Some(Action::Annotate { annotations, .. }) = actions.get(at + 1) else { panic!() };
    assert!(dns::ignores(annotations));
    // An external-dns that does not read routes: nothing to do on them.
    let mut ingress_only = eds;
    ingress_only[0].sources = vec!["ingress".into()];
    let rf = RollbackFacts { external_dns: ingress_only, ..rf };
    assert!(
        !words(&decide_rollback(&facts, &plan, &rf, RollbackChoices::default()))
            .contains(&"annotate r1 (2)".into())
    );
}

#[test]
fn apply_reads_the_routes_again_at_switch_dns_before_the_ingresses_stop_claiming() {
    let ingresses = vec![ingress("cp", "runai.example.com", json!({}))];
    let mut obs = external_dns_observation(Stage0::Introduced, "corp/external-dns:latest", ingresses);
    let at =
        obs.plan.objects.iter().position(|o| o.manifest["kind"] == "HTTPRoute").expect("a planned route");
    let mut live = obs.plan.objects[at].manifest.clone();
    live["metadata"]["annotations"] = json!({OLD: "runai-gateway", NEW: "runai-gateway", "keep": "me"});
    obs.objects[at] = Some(live);
    let only = ApplyChoices { only: Some(Stage::SwitchDns), ..ApplyChoices::default() };
    let actions = decide_apply(&obs, &only);
    let name = obs.plan.objects[at].manifest["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let w = words(&actions);
    let unignore = w.iter().position(|a| *a == format!("annotate {name} (2)")).expect("route");
    let ignore = w.iter().position(|a| a == "annotate cp (2)").expect("ingress");
    assert!(unignore < ignore, "{w:?}");
    let Some(Action::Annotate { annotations, .. }) = actions.get(unignore) else { panic!() };
    assert_eq!(annotations.values().collect::<Vec<_>>(), [&None, &None], "only the two keys, removed");
    // Not recorded: the route's annotation was this tool's own.
    let Some(Action::RecordState(record)) = actions.iter().find(|a| matches!(a, Action::RecordState(_)))
    else {
        panic!("record")
    };
    assert!(record.annotations.iter().all(|r| r.object.kind == "Ingress"));
}

#[test]
fn the_plan_says_what_external_dns_mode_does_at_rollback_dns() {
    let step = |yaml: &str| {
        let input = SpecInput::from_yaml(yaml).expect("input");
        let p = crate::plan(&input, &input.resolve().expect("spec"), &Observed::default());
        p.rollback.into_iter().find(|s| s.id == "rollback-dns").expect("rollback-dns step")
    };
    let manual = step("clusterDomain: runai.example.com\n");
    assert_eq!(manual.title, "Point DNS back at the Ingress");
    let auto = step("clusterDomain: runai.example.com\ndns: external-dns\n");
    assert_eq!(auto.title, "Let external-dns move the records back to the Ingress");
    assert!(auto.detail.contains("annotates the Gateway's HTTPRoutes"), "{}", auto.detail);
    assert!(auto.commands.iter().any(|c| c.starts_with(
        "kubectl annotate httproute -A -l app.kubernetes.io/managed-by=runai-gateway external-dns.alpha.kubernetes.io/controller=runai-gateway"
    )));
}
