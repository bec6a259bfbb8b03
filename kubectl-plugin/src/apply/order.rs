//! How the actions of a run group: the stage each belongs to, and the Helm actions of one stage.

use runai_gateway_core::Stage;
use runai_gateway_core::engine::Action;

/// The stage an action belongs to, for the "✓ prepare" line.
pub fn stage_of(action: &Action) -> Option<Stage> {
    match action {
        Action::Preflight { .. } => Some(Stage::Preflight),
        Action::RecordState(_) | Action::CopySecret { .. } | Action::Apply { .. } => Some(Stage::Prepare),
        Action::Helm { stage, .. } => *stage,
        Action::Verify { .. } => Some(Stage::Verify),
        Action::Annotate { .. } | Action::AwaitDns { .. } => Some(Stage::SwitchDns),
        _ => Some(Stage::DisableIngress),
    }
}

/// The Helm actions of one stage starting at `i`.
pub fn helm_group(actions: &[Action], i: usize) -> Vec<&Action> {
    let stage = match &actions[i] {
        Action::Helm { stage, .. } => *stage,
        _ => return Vec::new(),
    };
    actions[i..].iter().take_while(|a| matches!(a, Action::Helm { stage: s, .. } if *s == stage)).collect()
}
