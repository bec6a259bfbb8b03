//! The Gateway controller checks: the GatewayClass and its controller.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::helm::shell_quote;
use crate::snapshot::{Kind, condition, is_true};

checks! { Controller:
    "gatewayclass-missing" => class_missing, Error,
        "The GatewayClass exists",
        "A Gateway whose class does not exist is never programmed.",
        "Install the Gateway controller, or pass `--gateway-class` naming the class it created.";
    "gatewayclass-not-accepted" => class_not_accepted, Error,
        "The GatewayClass is accepted by its controller",
        "A class no controller accepts leaves every Gateway of it without a data plane.",
        "Check that the controller runs: `kubectl get gatewayclass NAME -o yaml` shows the reason.";
    "gatewayclass-controller-mismatch" => class_controller, Warning,
        "The GatewayClass belongs to the expected controller",
        "Controller-specific extras (such as kgateway's WebSocket policy) only work with their own controller.",
        "Pass `--controller` matching the class's `controllerName`.";
}

fn class_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::GatewayClass]) {
        return o;
    }
    if cx.snap.gateway_classes.iter().any(|c| c.name == cx.spec.gateway_class) {
        return Outcome::Pass;
    }
    let have: Vec<&str> = cx.snap.gateway_classes.iter().map(|c| c.name.as_str()).collect();
    found(vec![
        draft(
            format!("GatewayClass {}", cx.spec.gateway_class),
            format!(
                "GatewayClass `{}` does not exist{}",
                cx.spec.gateway_class,
                if have.is_empty() { String::new() } else { format!(" (classes here: {})", have.join(", ")) }
            ),
        )
        .severity(cx.todo())
        .fix(cx.script("controller")),
    ])
}

fn class_not_accepted(cx: &Cx<'_>) -> Outcome {
    let Some(class) = cx.snap.gateway_classes.iter().find(|c| c.name == cx.spec.gateway_class) else {
        return Outcome::Skip("the GatewayClass does not exist".into());
    };
    if is_true(&class.conditions, "Accepted") {
        return Outcome::Pass;
    }
    let why = condition(&class.conditions, "Accepted").map_or_else(
        || "no controller has reported on it".to_owned(),
        |c| format!("Accepted={} ({}: {})", c.status, c.reason, c.message),
    );
    found(vec![
        draft(
            format!("GatewayClass {}", class.name),
            format!("GatewayClass `{}` is not accepted: {why}", class.name),
        )
        .fix(format!("kubectl get gatewayclass {} -o yaml", shell_quote(&class.name))),
    ])
}

fn class_controller(cx: &Cx<'_>) -> Outcome {
    let (Some(class), Some(expected)) = (
        cx.snap.gateway_classes.iter().find(|c| c.name == cx.spec.gateway_class),
        cx.spec.controller.controller_name(),
    ) else {
        return Outcome::Skip("no class, or controller `other`".into());
    };
    if class.controller_name == expected {
        return Outcome::Pass;
    }
    found(vec![draft(
        format!("GatewayClass {}", class.name),
        format!(
            "GatewayClass `{}` belongs to `{}`, not to {} (`{expected}`)",
            class.name, class.controller_name, cx.spec.controller
        ),
    )])
}
