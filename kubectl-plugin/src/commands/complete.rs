//! `__complete`: the words kubectl offers for `kubectl runai-gateway <TAB>`.
//!
//! kubectl 1.26 and later complete a plugin's arguments by running the executable
//! `kubectl_complete-runai_gateway` (found on the PATH) with the words typed after the plugin name,
//! the last one being the word under the cursor (empty after a space). It prints the candidates one
//! per line, then `:` and a Cobra completion directive. The release archives ship that executable
//! as a two-line script that runs `kubectl-runai_gateway __complete "$@"`, this module.

use std::ffi::OsString;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _};

use crate::cli::Cli;
use crate::exit::Exit;
use crate::output;

/// Cobra's `ShellCompDirectiveNoFileComp`: no file names after the candidates.
const NO_FILE_COMP: u32 = 4;

/// Cobra's `ShellCompDirectiveDefault`: the shell may complete file names (after `--config`).
const DEFAULT: u32 = 0;

/// Arguments of `__complete`.
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words typed after the plugin's name, the last one under the cursor
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub words: Vec<OsString>,
}

/// Prints the candidates for the last of `args.words`.
///
/// # Errors
/// Writing stdout.
pub fn run(args: &CompleteArgs) -> anyhow::Result<Exit> {
    output::print(&candidates(&args.words)).context("writing the completions")?;
    Ok(Exit::Success)
}

/// The candidates, one per line (`value\tdescription` as Cobra prints them), and the directive.
fn candidates(words: &[OsString]) -> String {
    let mut words = words.to_vec();
    if words.is_empty() {
        words.push(OsString::new());
    }
    let current = words.last().map(|w| w.to_string_lossy().into_owned()).unwrap_or_default();
    let mut argv = vec![OsString::from(crate::commands::completion::BIN)];
    argv.extend(words);
    let index = argv.len() - 1;
    let mut cmd = Cli::command();
    let found = clap_complete::engine::complete(&mut cmd, argv, index, None).unwrap_or_default();
    let mut out = String::new();
    let mut any = false;
    for candidate in found.iter().filter(|c| !c.is_hide_set()) {
        let value = candidate.get_value().to_string_lossy();
        // The hidden verb that serves this list is not offered.
        if value.starts_with("__") {
            continue;
        }
        any = true;
        out.push_str(&value);
        if let Some(help) = candidate.get_help() {
            let help = help.to_string();
            let first = help.lines().next().unwrap_or_default();
            if !first.is_empty() {
                out.push('\t');
                out.push_str(first);
            }
        }
        out.push('\n');
    }
    // Nothing to offer for a value (a path after `--config`): let the shell complete file names.
    let directive = if any || current.starts_with('-') { NO_FILE_COMP } else { DEFAULT };
    out.push_str(&format!(":{directive}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(words: &[&str]) -> String {
        candidates(&words.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn verbs_flags_and_values() {
        let verbs = complete(&[""]);
        for verb in ["render\t", "status\t", "apply\t", "rollback\t", "version\t"] {
            assert!(verbs.contains(verb), "{verb} missing from {verbs}");
        }
        assert!(!verbs.contains("__complete"), "{verbs}");
        assert!(verbs.ends_with(":4\n"), "{verbs}");
        let flags = complete(&["render", "--cluster-d"]);
        assert!(flags.starts_with("--cluster-domain"), "{flags}");
        let values = complete(&["render", "--routing-mode", ""]);
        assert!(values.contains("host") && values.contains("path"), "{values}");
    }
}
