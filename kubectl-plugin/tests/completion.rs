//! `completion`: a script for every shell, and the bash one actually completes.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-runai_gateway");

fn run(args: &[&str]) -> Output {
    match Command::new(BIN).args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("running {BIN} {args:?}: {e}"),
    }
}

fn script(shell: &str) -> String {
    let out = run(&["completion", shell]);
    assert!(out.status.success(), "completion {shell}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "completion {shell} wrote to stderr");
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("completion {shell}: not UTF-8: {e}"))
}

/// Whether a program is on the PATH; a missing one is a recorded skip of `test`, and in CI (when
/// `needed_in_ci`) a failure instead.
fn have(test: &str, program: &str, needed_in_ci: bool) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        let reason = format!("{program} is not installed");
        if needed_in_ci {
            runai_gateway_testkit::skip_unless_ci(test, &reason);
        } else {
            runai_gateway_testkit::skip(test, &reason);
        }
    }
    found
}

#[test]
fn every_shell_gets_a_script_for_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let s = script(shell);
        assert!(s.contains("kubectl-runai_gateway"), "{shell}: does not name the executable");
        for word in ["render", "completion", "routing-mode", "cluster-domain"] {
            assert!(s.contains(word), "{shell}: `{word}` is not completed");
        }
        // The parser's display name has a space; it must not end up in the scripts.
        assert!(!s.contains("kubectl runai-gateway"), "{shell}: leaks the two-word name");
    }
    // Shell names are not case-sensitive, as with kubectl.
    assert_eq!(script("PowerShell"), script("powershell"));
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = run(&["completion", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tcsh"));
}

#[test]
fn bash_script_parses() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("kubectl-runai_gateway.bash");
    std::fs::write(&path, script("bash")).unwrap_or_else(|e| panic!("writing: {e}"));
    let out = Command::new("bash").arg("-n").arg(&path).output();
    let out = out.unwrap_or_else(|e| panic!("bash is needed for this test: {e}"));
    assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
}

/// Loads the script into bash and asks it to complete, as bash does on TAB.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("c.bash");
    std::fs::write(&path, script("bash")).unwrap_or_else(|e| panic!("writing: {e}"));
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = words[cword - 1];
    let cur = words[cword];
    let program = format!(
        "source '{}'\n\
         COMP_WORDS=({})\nCOMP_CWORD={cword}\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
         \"$(complete -p kubectl-runai_gateway | sed -E 's/.*-F ([^ ]+).*/\\1/')\" \
         kubectl-runai_gateway '{cur}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        path.display(),
        quoted.join(" ")
    );
    let out = Command::new("bash").arg("-c").arg(program).output();
    let out = out.unwrap_or_else(|e| panic!("bash is needed for this test: {e}"));
    assert!(out.status.success(), "bash: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn bash_completes_commands_flags_and_values() {
    assert_eq!(bash_complete(&["kubectl-runai_gateway", "ren"]), ["render"]);
    let shells = bash_complete(&["kubectl-runai_gateway", "completion", ""]);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(shells.iter().any(|s| s == shell), "{shell} not offered: {shells:?}");
    }
    let modes = bash_complete(&["kubectl-runai_gateway", "render", "--routing-mode", ""]);
    assert_eq!(modes, ["host", "path"]);
    let flags = bash_complete(&["kubectl-runai_gateway", "render", "--cluster-d"]);
    assert_eq!(flags, ["--cluster-domain", "--cluster-domain-secret"]);
}

/// `zsh -n` or `fish --no-execute` accepts the script; scripts/test.sh installs both shells, so
/// in CI a missing one fails the test.
fn parses_in(shell: &str, file: &str, check_flag: &str) {
    let test = format!("completion::{shell}_script_parses");
    if !have(&test, shell, true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join(file);
    std::fs::write(&path, script(shell)).unwrap_or_else(|e| panic!("writing: {e}"));
    let out = Command::new(shell).arg(check_flag).arg(&path).output();
    let out = out.unwrap_or_else(|e| panic!("{shell}: {e}"));
    assert!(out.status.success(), "{shell} {check_flag}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn zsh_script_parses() {
    parses_in("zsh", "_kubectl-runai_gateway", "-n");
}

#[test]
fn fish_script_parses() {
    parses_in("fish", "kubectl-runai_gateway.fish", "--no-execute");
}
