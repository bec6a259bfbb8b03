//! The release as a user gets it: `cargo xtask dist` builds the static Linux amd64 archive here
//! (once, shared by every test in this file), renders the krew manifest, and the tests check the
//! manifest against krew's rules, the archive against the manifest, and install it the way krew
//! does.
//!
//! The build is a real `cargo build --release --target x86_64-unknown-linux-musl`: about five
//! minutes from cold on two cores, seconds when cargo has it already. It needs the musl target
//! (`rustup target add x86_64-unknown-linux-musl`); `xtask/install-deps.sh` sets it up.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use xtask::archive;
use xtask::dist::{self, Options, elf_interpreter};
use xtask::manifest::{self, Rules};
use xtask::targets::{BIN, COMPLETE, TARGETS, Target};
use xtask::workspace::Workspace;

const TRIPLE: &str = "x86_64-unknown-linux-musl";

struct Release {
    ws: Workspace,
    out: PathBuf,
    archive: PathBuf,
    manifest: PathBuf,
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Result<Release, String>> = OnceLock::new();
    let r = RELEASE.get_or_init(|| {
        let ws = Workspace::load().map_err(|e| format!("{e:#}"))?;
        let out = ws.target_dir.join("xtask-test-dist");
        let _ = fs::remove_dir_all(&out);
        let opts = Options {
            targets: vec![TRIPLE.to_owned()],
            out: out.clone(),
            base_url: None,
            no_manifest: false,
        };
        let report = dist::run(&ws, &opts)
            .map_err(|e| format!("{e:#}\nhint: run xtask/install-deps.sh (musl target and musl-tools)"))?;
        eprint!("{}", report.summary());
        let built = report.built.first().ok_or("nothing was built")?;
        let manifest = report.manifest.clone().ok_or("no manifest was rendered")?;
        Ok(Release { archive: built.archive.clone(), ws, out, manifest })
    });
    match r {
        Ok(r) => r,
        Err(e) => panic!("cargo xtask dist --target {TRIPLE} failed: {e}"),
    }
}

fn target() -> Target {
    Target::by_triple(TRIPLE).unwrap_or_else(|| panic!("{TRIPLE} is not shipped"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

#[test]
fn manifest_passes_every_krew_rule() {
    let r = release();
    let text = read(&r.manifest);
    assert_eq!(r.manifest.file_name().and_then(|f| f.to_str()), Some("runai-gateway.yaml"));
    let problems = manifest::problems(&text, "runai-gateway.yaml", Rules::default());
    assert_eq!(problems, Vec::<String>::new());
    // The local manifest covers exactly what was built here, at the GitHub release URL.
    let plugin = manifest::parse(&text).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(plugin.spec.version, r.ws.tag());
    assert_eq!(plugin.spec.platforms.len(), 1);
    let platform = &plugin.spec.platforms[0];
    assert_eq!(platform.selector.match_labels.get("os").map(String::as_str), Some("linux"));
    assert_eq!(platform.selector.match_labels.get("arch").map(String::as_str), Some("amd64"));
    assert_eq!(platform.uri, format!("{}/{}", r.ws.default_base_url(), target().archive_name(&r.ws.tag())));
    assert!(platform.uri.starts_with("https://github.com/"), "{}", platform.uri);
    assert!(text.starts_with(manifest::GENERATED));
}

#[test]
fn manifest_sha256_matches_the_archive_built_here() {
    let r = release();
    let plugin = manifest::parse(&read(&r.manifest)).unwrap_or_else(|e| panic!("{e:#}"));
    let sum = archive::sha256_file(&r.archive).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(plugin.spec.platforms[0].sha256, sum);
    // The `.sha256` file beside it, in `sha256sum -c` format, agrees; so does sha256sum itself.
    let name = target().archive_name(&r.ws.tag());
    assert_eq!(read(&r.out.join(format!("{name}.sha256"))), format!("{sum}  {name}\n"));
    let check = run(Command::new("sha256sum").arg("-c").arg(format!("{name}.sha256")).current_dir(&r.out));
    assert!(check.status.success(), "sha256sum -c: {}", String::from_utf8_lossy(&check.stdout));
    // And the validator the release workflow runs agrees, archives included.
    let archives = dist::archives_in(&r.out).unwrap_or_else(|e| panic!("{e:#}"));
    let checked = dist::check(&r.ws, &r.manifest, &archives, Rules::default());
    assert_eq!(checked.map_err(|e| format!("{e:#}")), Ok(1));
}

#[test]
fn archive_holds_exactly_the_static_binary_and_the_license() {
    let r = release();
    let entries = archive::list(&r.archive).unwrap_or_else(|e| panic!("{e:#}"));
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, [BIN, "LICENSE", COMPLETE]);
    let license = fs::read(r.ws.license()).unwrap_or_else(|e| panic!("LICENSE: {e}"));
    assert_eq!(entries[1].data, license);
    assert!(String::from_utf8_lossy(&license).contains("Apache License"));
    assert_eq!(entries[0].mode & 0o777, 0o755);
    // Static: no dynamic loader, so it runs on any Linux distribution.
    assert_eq!(elf_interpreter(&entries[0].data), Some(false), "{BIN} is dynamically linked");
    let problems = archive::problems(&r.archive, target(), &license);
    assert_eq!(problems.map_err(|e| format!("{e:#}")), Ok(vec![]));
}

/// What `kubectl krew install --manifest=… --archive=…` does: unpack into the store, apply the
/// manifest's `files` operations, link `bin` into krew's bin folder, which is on the PATH.
#[test]
fn installs_and_runs_the_way_krew_does() {
    let r = release();
    let plugin = manifest::parse(&read(&r.manifest)).unwrap_or_else(|e| panic!("{e:#}"));
    let platform = &plugin.spec.platforms[0];
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let unpacked = root.path().join("download");
    let store = root.path().join("store").join(&plugin.metadata.name).join(&plugin.spec.version);
    let bin_dir = root.path().join("bin");
    for d in [&unpacked, &store, &bin_dir] {
        fs::create_dir_all(d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    }
    // The system tar, not our own reader, unpacks it.
    let untar = run(Command::new("tar").arg("-xzf").arg(&r.archive).arg("-C").arg(&unpacked));
    assert!(untar.status.success(), "tar: {}", String::from_utf8_lossy(&untar.stderr));
    for op in platform.files.as_deref().unwrap_or_default() {
        let to = store.join(&op.to).join(&op.from);
        fs::copy(unpacked.join(&op.from), &to).unwrap_or_else(|e| panic!("{}: {e}", op.from));
    }
    let mut installed: Vec<String> = fs::read_dir(&store)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    installed.sort();
    assert_eq!(installed, ["LICENSE", BIN, COMPLETE]);
    // krew names the link after the plugin, dashes turned into underscores.
    let link = bin_dir.join(format!("kubectl-{}", plugin.metadata.name.replace('-', "_")));
    std::os::unix::fs::symlink(store.join(&platform.bin), &link).unwrap_or_else(|e| panic!("{e}"));

    let path = bin_dir.to_string_lossy().into_owned();
    let version = run(Command::new(BIN).arg("--version").env("PATH", &path));
    assert!(version.status.success(), "{}", String::from_utf8_lossy(&version.stderr));
    let line = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(line.starts_with(&format!("{BIN} {} (commit ", r.ws.version)), "{line:?}");

    let plan = run(Command::new(BIN).args(["render", "--example", "-o", "plan"]).env("PATH", &path));
    assert!(plan.status.success(), "{}", String::from_utf8_lossy(&plan.stderr));

    // Through kubectl too, when it is here (kubectl's own tests in kubectl-plugin/tests/krew.rs
    // say SKIP or fail in CI when it is not).
    let kubectl = Path::new("/usr/bin/kubectl");
    if kubectl.is_file() {
        let path = format!("{path}:/usr/bin");
        let out = run(Command::new(kubectl).args(["runai-gateway", "--version"]).env("PATH", &path));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), line);
    } else {
        runai_gateway_testkit::skip_unless_ci(
            "release::installs_and_runs_the_way_krew_does (through kubectl)",
            "no /usr/bin/kubectl, so the installed archive was not run through kubectl",
        );
    }
}

/// The template covers all six platforms: rendered with an archive for each (stand-ins packed the
/// same way, since macOS and Windows are built by the release workflow), the result passes the
/// rules the published manifest must pass.
#[test]
fn template_renders_all_six_platforms() {
    let ws = Workspace::load().unwrap_or_else(|e| panic!("{e:#}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let exe = dir.path().join("exe");
    fs::write(&exe, b"stand-in").unwrap_or_else(|e| panic!("{e}"));
    let mut archives = BTreeMap::new();
    for t in TARGETS {
        let name = t.archive_name(&ws.tag());
        let path = dir.path().join(&name);
        archive::pack(t, &exe, &ws.license(), &ws.complete_script(t), &path, 0)
            .unwrap_or_else(|e| panic!("{e:#}"));
        archives.insert(name, path);
    }
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
    let base = "https://example.com/releases/v9";
    let path = dist::write_manifest(&ws, &archives, base, &out, true).unwrap_or_else(|e| panic!("{e:#}"));
    let text = read(&path);
    assert_eq!(
        manifest::problems(&text, "runai-gateway.yaml", Rules { all_platforms: true }),
        Vec::<String>::new()
    );
    let plugin = manifest::parse(&text).unwrap_or_else(|e| panic!("{e:#}"));
    let windows: Vec<_> = plugin
        .spec
        .platforms
        .iter()
        .filter(|p| p.selector.match_labels.get("os").is_some_and(|os| os == "windows"))
        .collect();
    assert_eq!(windows.len(), 2);
    assert!(windows.iter().all(|p| p.bin.ends_with(".exe") && p.uri.ends_with(".zip")));
    assert!(plugin.spec.platforms.iter().all(|p| p.uri.starts_with(base)));

    // Without all six, the published manifest is refused.
    let first = archives.keys().next().cloned().unwrap_or_default();
    archives.remove(&first);
    let err = dist::write_manifest(&ws, &archives, base, &out, true);
    assert!(err.is_err(), "a manifest missing {first} was accepted");
}
