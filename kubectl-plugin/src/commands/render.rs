//! `kubectl runai-gateway render`: the plan, offline.

use runai_gateway_core::render::render_width;
use runai_gateway_core::{Format, compute};

use crate::cli::{RenderArgs, RenderOutput};
use crate::exit::Exit;
use crate::input::merged_input;
use crate::output;

/// Computes the plan from the input and prints it in the chosen format.
///
/// # Errors
/// Input errors (see [`crate::input::InputError`]) and output write errors.
pub fn run(args: &RenderArgs, no_color: bool) -> anyhow::Result<Exit> {
    args.no_cluster.refuse(
        "`render`",
        "The plan depends on the input only; to read a cluster, use `status`, `snapshot` or `apply`.",
    )?;
    let input = merged_input(&args.input)?;
    let plan = compute(&input).map_err(crate::input::InputError::from)?;
    let format = match args.output {
        RenderOutput::Yaml => Format::Yaml,
        RenderOutput::Json => Format::Json,
        RenderOutput::Helm => Format::Helm,
        RenderOutput::Plan => Format::Plan,
        RenderOutput::Markdown => Format::Markdown,
    };
    // The summary and the ticket show warnings inline; other formats are data, so warnings go
    // to stderr.
    if !matches!(format, Format::Plan | Format::Markdown) {
        let color = output::stderr_color(no_color);
        for w in &plan.warnings {
            output::warn(w, color);
        }
    }
    let width = output::width(args.width);
    output::print(&render_width(&plan, format, output::stdout_color(no_color), width))?;
    Ok(Exit::Success)
}
