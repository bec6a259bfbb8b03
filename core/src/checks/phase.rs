//! Where the migration stands ([`Phase`]) and what to do next, with the commands that do it.

use super::catalog::Severity;
use super::context::Cx;
use super::{Finding, NextStep, Phase};

impl Cx<'_> {
    /// The command that performs `steps` (step ids of `render -o helm`): `apply` or `rollback`
    /// where they cover the step, the generated script for what they leave to the admin
    /// (installing the CRDs and the controller).
    pub(super) fn script(&self, steps: &str) -> String {
        if steps == "rollback-runai" {
            return self.command.command("rollback", "");
        }
        // The stage of the first step named: `apply` carries it out unless it is the script's.
        match steps.split(' ').next().and_then(crate::Stage::of_step) {
            Some(crate::Stage::Verify) => self.command.command("apply", "--wait"),
            Some(stage) => self.command.command("apply", &format!("--phase {stage}")),
            None => {
                self.command.command("render", &format!("-o helm > migrate.sh && bash migrate.sh {steps}"))
            }
        }
    }
}

pub(super) fn phase(cx: &Cx<'_>, dns_on_gateway: bool) -> Phase {
    let (c, b) = cx.settings();
    let disagree = matches!((c, b), (Some(c), Some(b)) if c.gateway_api_enabled.unwrap_or(false) != b.gateway_api_enabled.unwrap_or(false)
        || c.ingress_enabled.unwrap_or(true) != b.ingress_enabled.unwrap_or(true));
    let gw_on = cx.gateway_api_on();
    let explicitly_off = c.and_then(|s| s.gateway_api_enabled) == Some(false)
        || b.and_then(|s| s.gateway_api_enabled) == Some(false);
    if disagree || (cx.ingress_off() && !gw_on) {
        Phase::Inconsistent
    } else if gw_on && cx.ingress_off() {
        Phase::IngressDisabled
    } else if gw_on && dns_on_gateway {
        Phase::DnsSwitched
    } else if gw_on {
        Phase::RunaiIntroduced
    } else if explicitly_off {
        Phase::RolledBack
    } else if cx.gateway.is_some() {
        Phase::GatewayPrepared
    } else {
        Phase::IngressOnly
    }
}

pub(super) fn next_step(cx: &Cx<'_>, phase: Phase, findings: &[Finding]) -> NextStep {
    if let Some(f) = findings.iter().find(|f| f.severity == Severity::Error) {
        return NextStep { title: format!("fix `{}`: {}", f.id, f.message), command: f.fix.clone() };
    }
    let (title, steps) = match phase {
        // `apply` prepares the Gateway once the CRDs and a controller exist; installing those is
        // the admin's choice, which the generated script spells out.
        Phase::IngressOnly
            if findings
                .iter()
                .any(|f| f.id == "gateway-api-crds-missing" || f.id == "gatewayclass-missing") =>
        {
            ("install the Gateway API CRDs and a controller", Some("gateway-api controller"))
        }
        Phase::IngressOnly => ("prepare the Gateway next to the Ingress", Some("gateway")),
        Phase::GatewayPrepared => {
            ("introduce the Gateway to Run:ai (Ingress keeps serving)", Some("introduce"))
        }
        Phase::RunaiIntroduced => ("verify, then point DNS at the Gateway", Some("verify switch-dns")),
        Phase::DnsSwitched => ("turn Ingress off (cluster, then control plane)", Some("disable-ingress")),
        Phase::IngressDisabled => ("nothing: the migration is complete", None),
        Phase::RolledBack => ("nothing: Ingress serves; migrate again when ready", None),
        Phase::Inconsistent => ("make the control plane and the cluster agree", Some("introduce")),
    };
    NextStep { title: title.into(), command: steps.map(|s| cx.script(s)) }
}
