//! The plugin as kubectl sees it: found on the PATH, run through `kubectl runai-gateway`, with a
//! `--version` that names the commit and `--help` examples on every command.
//!
//! The release archive and the krew manifest are tested in `xtask/tests/release.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-runai_gateway");

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str], path: Option<&str>) -> Output {
    let mut cmd = Command::new(&program);
    cmd.args(args);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().unwrap_or_else(|e| panic!("running {:?} {args:?}: {e}", program.as_ref()))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// kubectl, or `None` after recording that `test` is skipped. In CI (`CI=true`) a missing kubectl
/// fails the test: a skip there would pass silently.
fn kubectl(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("kubectl")).find(|k| k.is_file()));
    if found.is_none() {
        runai_gateway_testkit::skip_unless_ci(
            test,
            "kubectl is not on the PATH, so the plugin was not run through kubectl",
        );
    }
    found
}

/// A bin folder holding only a `kubectl-runai_gateway` link to the built binary, and a PATH of
/// that folder plus kubectl's: kubectl finds plugins by scanning the PATH.
fn plugin_path(kubectl: &Path) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let link = dir.path().join("kubectl-runai_gateway");
    std::os::unix::fs::symlink(BIN, &link).unwrap_or_else(|e| panic!("symlink: {e}"));
    let kubectl_dir = kubectl.parent().map(Path::to_path_buf).unwrap_or_default();
    let path = std::env::join_paths([dir.path().to_path_buf(), kubectl_dir])
        .unwrap_or_else(|e| panic!("PATH: {e}"))
        .to_string_lossy()
        .into_owned();
    (dir, path)
}

#[test]
fn version_names_the_commit() {
    let out = run(BIN, &["--version"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    let rest = line
        .trim_end()
        .strip_prefix(concat!("kubectl-runai_gateway ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {line:?}"));
    if rest == "unknown" {
        // Built outside a git checkout: nothing to compare with.
        assert!(run("git", &["rev-parse", "HEAD"], None).status.code() != Some(0));
        return;
    }
    assert_eq!(rest.len(), 7, "{rest:?} is not a short commit");
    assert!(rest.bytes().all(|b| b.is_ascii_hexdigit()), "{rest:?} is not hex");
    // The commit exists in this repository (HEAD may have moved on since the build).
    let known = run("git", &["cat-file", "-e", &format!("{rest}^{{commit}}")], None);
    assert!(known.status.success(), "commit {rest} is not in this repository");
    // `-V` is the same.
    assert_eq!(stdout(&run(BIN, &["-V"], None)), line);
}

#[test]
fn kubectl_plugin_list_finds_it() {
    let Some(kubectl) = kubectl("krew::kubectl_plugin_list_finds_it") else { return };
    let (dir, path) = plugin_path(&kubectl);
    let out = run(&kubectl, &["plugin", "list"], Some(&path));
    let listed = format!("{}", dir.path().join("kubectl-runai_gateway").display());
    assert!(out.status.success(), "kubectl plugin list: {}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).lines().any(|l| l.trim() == listed),
        "{listed} is not listed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    // A name clash or an unexecutable file would be reported as a warning.
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[test]
fn kubectl_runs_it_as_runai_gateway() {
    let Some(kubectl) = kubectl("krew::kubectl_runs_it_as_runai_gateway") else { return };
    let (_dir, path) = plugin_path(&kubectl);
    let through_kubectl = run(&kubectl, &["runai-gateway", "--version"], Some(&path));
    assert!(through_kubectl.status.success(), "{}", stderr(&through_kubectl));
    assert_eq!(stdout(&through_kubectl), stdout(&run(BIN, &["--version"], None)));

    // Exit codes come through kubectl unchanged: 2 for a usage error.
    let bad = run(&kubectl, &["runai-gateway", "--no-such-flag"], Some(&path));
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));

    let plan = run(&kubectl, &["runai-gateway", "render", "--example", "-o", "plan"], Some(&path));
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert!(!plan.stdout.is_empty());
}

/// What the README says: kubectl passes no flags placed before the plugin name.
#[test]
fn kubectl_flags_before_the_plugin_name_do_not_reach_it() {
    let Some(kubectl) = kubectl("krew::kubectl_flags_before_the_plugin_name_do_not_reach_it") else { return };
    let (_dir, path) = plugin_path(&kubectl);
    let out = run(&kubectl, &["--context", "x", "runai-gateway", "--version"], Some(&path));
    assert!(!out.status.success(), "kubectl ran the plugin: {}", stdout(&out));
    assert!(!stdout(&out).contains("kubectl-runai_gateway "), "{}", stdout(&out));
}

/// Subcommands listed by `--help` (except `help` itself).
fn commands() -> Vec<String> {
    let help = stdout(&run(BIN, &["--help"], None));
    let list: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A wrapped description continues on a line indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(list.len() >= 2, "no commands found in --help:\n{help}");
    list
}

#[test]
fn every_command_has_help_examples() {
    for command in commands() {
        let out = run(BIN, &[&command, "--help"], None);
        assert!(out.status.success(), "{command} --help: {}", stderr(&out));
        let help = stdout(&out);
        let examples = help
            .split_once("Examples:")
            .map(|(_, e)| e)
            .unwrap_or_else(|| panic!("`{command} --help` has no Examples:\n{help}"));
        assert!(
            examples.contains(&format!("runai-gateway {command}"))
                || examples.contains(&format!("runai_gateway {command}")),
            "`{command} --help` examples do not run `{command}`:\n{examples}"
        );
    }
}
