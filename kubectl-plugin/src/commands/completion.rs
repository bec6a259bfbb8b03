//! `completion`: prints a shell completion script.

use anyhow::Context as _;
use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::Exit;
use crate::output;

/// The executable the scripts complete. kubectl runs `kubectl-runai_gateway` for
/// `kubectl runai-gateway`, but a shell completes words after the command it was registered for,
/// and a script cannot register `kubectl runai-gateway` (two words). So the scripts complete the
/// executable itself, which krew links onto the PATH.
pub const BIN: &str = "kubectl-runai_gateway";

/// Arguments of `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to write the script for
    #[arg(value_enum, value_name = "SHELL", ignore_case = true)]
    pub shell: CompletionShell,
}

/// Shells we write scripts for: the ones kubectl's own `completion` supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// GNU bash 4 or later
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
    /// PowerShell (Windows PowerShell 5 and PowerShell 7)
    Powershell,
}

impl From<CompletionShell> for Shell {
    fn from(s: CompletionShell) -> Self {
        match s {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
            CompletionShell::Powershell => Shell::PowerShell,
        }
    }
}

/// Examples shown by `completion --help`.
pub const EXAMPLES: &str = "\
Examples:
  # bash, this shell only:
  source <(kubectl-runai_gateway completion bash)

  # bash, every new shell:
  echo 'source <(kubectl-runai_gateway completion bash)' >> ~/.bashrc

  # zsh (a directory on $fpath, then restart the shell):
  kubectl-runai_gateway completion zsh > \"${fpath[1]}/_kubectl-runai_gateway\"

  # fish:
  kubectl-runai_gateway completion fish > ~/.config/fish/completions/kubectl-runai_gateway.fish

  # PowerShell, add to $PROFILE:
  kubectl-runai_gateway completion powershell | Out-String | Invoke-Expression

The scripts complete `kubectl-runai_gateway`, the executable krew puts on the PATH.";

/// Writes the completion script for `args.shell` to stdout.
pub fn run(args: &CompletionArgs) -> anyhow::Result<Exit> {
    let script = script(args.shell).context("generating the completion script")?;
    output::print(&script).context("writing the completion script")?;
    Ok(Exit::Success)
}

/// The completion script for `shell`.
fn script(shell: CompletionShell) -> anyhow::Result<String> {
    // clap_complete's bash script spells the state of a subcommand two ways when the bin name has
    // a `-` (`kubectl__runai_gateway__subcmd__render` vs `kubectl__subcmd__runai_gateway__…`), so
    // nothing after the subcommand completes (clap-rs/clap#6421). Generate it for a name without
    // the dash, then register it for the real executable.
    let name = if shell == CompletionShell::Bash { BASH_NAME } else { BIN };
    // The parser's own bin name, `kubectl runai-gateway`, would otherwise leak into the
    // subcommands' names in the script (`kubectl runai-gateway render`).
    let mut cmd = Cli::command().bin_name(name);
    let mut out = Vec::new();
    clap_complete::generate(Shell::from(shell), &mut cmd, name, &mut out);
    let script = String::from_utf8(out)?;
    if shell != CompletionShell::Bash {
        return Ok(script);
    }
    let registered = format!(" {BASH_NAME}");
    let mut fixed = String::with_capacity(script.len());
    for line in script.lines() {
        match line.trim_start().starts_with("complete ").then(|| line.strip_suffix(&registered)) {
            Some(Some(head)) => fixed.push_str(&format!("{head} {BIN}")),
            _ => fixed.push_str(line),
        }
        fixed.push('\n');
    }
    anyhow::ensure!(fixed.contains(&format!(" {BIN}\n")), "the bash script registers no completion");
    Ok(fixed)
}

/// The name the bash script is generated for; see [`script`].
const BASH_NAME: &str = "kubectl_runai_gateway";
