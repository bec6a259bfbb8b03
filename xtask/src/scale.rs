//! `cargo xtask bench-scale`: `status`, `snapshot`, `status --from-file` (of that snapshot) and
//! `apply --dry-run=server` of the real binary against the testkit API server holding a large
//! cluster.
//!
//! The cluster is a Run:ai-on-Ingress fixture plus N project namespaces and M workloads, each
//! an HTTPRoute (on the Run:ai Gateway's workloads listener, accepted), a Service, an
//! EndpointSlice and an Opaque Secret, written the way a real API server stores them (managed
//! fields, status). Each command runs once as a child process; its wall time and peak RSS come
//! from the clock and the kernel's high-water mark (`VmHWM`), its requests and the bytes the server wrote from the testkit's request
//! log. This is a bench, not a test: nothing here asserts a time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use runai_gateway_testkit::{Fixture, TestServer};
use serde_json::{Value, json};

/// What to seed and which binary to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workloads (four objects each).
    pub workloads: usize,
    /// Project namespaces the workloads are spread over.
    pub namespaces: usize,
    /// The base fixture (a folder of `tests/fixtures`).
    pub fixture: String,
    /// The plugin binaries to run, each with a label (`after`, and `before` with `--compare`).
    pub binaries: Vec<(String, PathBuf)>,
    /// Runs of each command per binary, the binaries alternating (the medians are reported).
    pub runs: usize,
    /// `--timeout` for the live commands, when given.
    pub timeout: Option<String>,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command, as a short label.
    pub label: &'static str,
    /// Which binary (its label in [`Options::binaries`]).
    pub binary: String,
    /// Exit code.
    pub code: i32,
    /// Wall time, seconds.
    pub wall: f64,
    /// Peak resident set, KiB (`VmHWM`).
    pub max_rss_kib: i64,
    /// Requests to the API server.
    pub requests: usize,
    /// Bytes of the server's answers, decoded.
    pub bytes: usize,
    /// Bytes of the server's answers on the wire (gzip where the client asked for it).
    pub wire_bytes: usize,
    /// CPU time of the child, user + system, seconds (10 ms resolution).
    pub cpu: f64,
    /// Bytes on stdout (the snapshot file's size for `snapshot`).
    pub stdout_bytes: usize,
    /// For `snapshot`: the bytes of each top-level key of the document, largest first.
    pub sections: Vec<(String, usize)>,
    /// For `status --from-file`: whether its report is byte for byte the live `status -o json`'s.
    pub same_as_live: Option<bool>,
}

/// User + system CPU seconds of this process's reaped children (`cutime` + `cstime` of
/// `/proc/self/stat`, in clock ticks of 1/100 s).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default().split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // After the command's name: field 3 (state) is index 0, so cutime (16) and cstime (17).
    (tick(13) + tick(14)) as f64 / 100.0
}

/// `VmHWM` of a live process, KiB.
fn vm_hwm_kib(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn managed_fields(manager: &str, api_version: &str) -> Value {
    json!([{"manager": manager, "operation": "Update", "apiVersion": api_version,
            "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:runai/workload": {}}},
                         "f:spec": {".": {}}}}])
}

/// The four objects of workload `i` in namespace `ns`.
fn workload(i: usize, ns: &str) -> [Value; 4] {
    let name = format!("wl-{i:05}");
    let labels = json!({"app": name, "runai/workload": name, "runai/queue": ns});
    let route = json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "managedFields": managed_fields("runai-workload-controller", "gateway.networking.k8s.io/v1")},
        "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                            "namespace": "runai", "name": "runai-gateway", "sectionName": "https-workloads"}],
            "hostnames": [format!("{name}-{ns}.runai.example.com")],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                       "backendRefs": [{"group": "", "kind": "Service", "name": name, "port": 8080, "weight": 1}]}]
        },
        "status": {"parents": [{
            "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                          "namespace": "runai", "name": "runai-gateway", "sectionName": "https-workloads"},
            "controllerName": "kgateway.dev/kgateway",
            "conditions": [
                {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
                 "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "message": "",
                 "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ]}]}
    });
    let ip = format!("10.{}.{}.{}", 96 + i / 65_536 % 32, i / 256 % 256, i % 256);
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "managedFields": managed_fields("runai-workload-controller", "v1")},
        "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster", "sessionAffinity": "None",
                 "selector": {"app": name},
                 "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}]},
        "status": {"loadBalancer": {}}
    });
    let pod_ip = format!("10.{}.{}.{}", 128 + i / 65_536 % 32, i / 256 % 256, i % 256);
    let slice = json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{name}-x7k2p"), "namespace": ns,
                     "labels": {"kubernetes.io/service-name": name,
                                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name,
                                          "uid": format!("00000000-0000-4000-8000-{i:012}"),
                                          "controller": true, "blockOwnerDeletion": true}],
                     "managedFields": managed_fields("endpointslice-controller", "discovery.k8s.io/v1")},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [pod_ip], "conditions": {"ready": true, "serving": true, "terminating": false},
                       "nodeName": format!("node-{}", i % 40),
                       "targetRef": {"kind": "Pod", "namespace": ns, "name": format!("{name}-0"),
                                     "uid": format!("00000000-0000-4000-9000-{i:012}")}}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    });
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": format!("{name}-creds"), "namespace": ns, "labels": labels},
        "data": {"token": "dGhpcyBpcyBub3QgYSByZWFsIHRva2VuLCBqdXN0IGJ5dGVzIG9mIGEgd29ya2xvYWQgc2VjcmV0"}
    });
    [route, service, slice, secret]
}

/// The project namespaces and every workload's objects.
fn cluster(opts: &Options) -> Vec<Value> {
    let n = opts.namespaces.max(1);
    let mut out: Vec<Value> = (0..n)
        .map(|p| {
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": format!("runai-proj-{p:04}"),
                                "labels": {"runai/queue": format!("proj-{p:04}"),
                                           "kubernetes.io/metadata.name": format!("runai-proj-{p:04}")}},
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        })
        .collect();
    for i in 0..opts.workloads {
        out.extend(workload(i, &format!("runai-proj-{:04}", i % n)));
    }
    out
}

/// Runs `args` of the binary, measured.
fn measure(
    label: &'static str,
    server: &TestServer,
    (binary, bin): (&str, &Path),
    args: &[&str],
    dir: &Path,
    save: Option<&Path>,
) -> Result<Run> {
    server.clear_requests();
    let cpu_before = children_cpu();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    let pid = child.id();
    let stdout = child.stdout.take();
    let keep = save.is_some();
    let reader = std::thread::spawn(move || {
        let mut n = 0usize;
        let mut kept = Vec::new();
        if let Some(mut out) = stdout {
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(k) = std::io::Read::read(&mut out, &mut buf) {
                if k == 0 {
                    break;
                }
                n += k;
                if keep {
                    kept.extend_from_slice(&buf[..k]);
                }
            }
        }
        (n, kept)
    });
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut e) = stderr {
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
        }
        s
    });
    // Peak RSS: the kernel's high-water mark (`VmHWM`), read until the child has exited (it
    // stays readable until the child is reaped, which only `try_wait` below does).
    let mut max_rss_kib = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            max_rss_kib = max_rss_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let wall = started.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu_before;
    let (stdout_bytes, kept) = reader.join().unwrap_or_default();
    let sections = if let Some(path) = save {
        std::fs::write(path, &kept).with_context(|| format!("writing {}", path.display()))?;
        if label == "snapshot" { sections(&String::from_utf8_lossy(&kept)) } else { Vec::new() }
    } else {
        Vec::new()
    };
    let stderr = err_reader.join().unwrap_or_default();
    let code = status.code().unwrap_or(-1);
    // Exit codes that say the run itself failed (1 unexpected, 2 usage, 6 unreachable).
    if matches!(code, -1 | 1 | 2 | 6) {
        bail!("{label} exited {code}:\n{stderr}");
    }
    let requests = server.requests();
    Ok(Run {
        label,
        binary: binary.to_owned(),
        code,
        wall,
        cpu,
        max_rss_kib,
        requests: requests.len(),
        bytes: requests.iter().map(|r| r.bytes).sum(),
        wire_bytes: requests.iter().map(|r| r.wire_bytes).sum(),
        stdout_bytes,
        sections,
        same_as_live: None,
    })
}

/// `text` with each random DNS label (`rgw-` and 10 lowercase hex digits) as `rgw-*`.
fn random_labels(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("rgw-") {
        let label = rest.get(at + 4..at + 14).unwrap_or_default();
        let random = label.len() == 10 && label.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        out += &rest[..at + 4];
        if random {
            out += "*";
            rest = &rest[at + 14..];
        } else {
            rest = &rest[at + 4..];
        }
    }
    out + rest
}

/// The bytes of each top-level key of a YAML document (a line that starts with neither a
/// space, a `-` nor a `#` opens a key), largest first.
fn sections(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let opens = !line.starts_with([' ', '-', '#', '\n']);
        match (opens, out.last_mut()) {
            (true, _) | (false, None) => {
                out.push((line.split(':').next().unwrap_or_default().trim().to_owned(), line.len()));
            }
            (false, Some(last)) => last.1 += line.len(),
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A UDP DNS server on 127.0.0.1 that answers every query with NXDOMAIN; its `HOST:PORT`.
fn nxdomain_server() -> Result<String> {
    let socket = std::net::UdpSocket::bind(("127.0.0.1", 0)).context("binding the DNS socket")?;
    let addr = socket.local_addr()?.to_string();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            if n < 12 {
                continue;
            }
            // QR=1, keep the opcode and RD; RA=1, RCODE=3 (NXDOMAIN); no answers.
            buf[2] |= 0x80;
            buf[3] = 0x80 | 3;
            let _ = socket.send_to(&buf[..n], from);
        }
    });
    Ok(addr)
}

/// Seeds the cluster and measures the three commands.
///
/// # Errors
/// The fixture, the server, or a command that failed.
pub fn run(opts: &Options) -> Result<(f64, Vec<Run>)> {
    let fixture = Fixture::load(&opts.fixture).with_context(|| format!("fixture {}", opts.fixture))?;
    let server = TestServer::start(&fixture).context("starting the testkit")?;
    let seeded = Instant::now();
    let objects = cluster(opts);
    let n = server.seed_all(objects).map_err(|e| anyhow::anyhow!("seeding: {}", e.message))?;
    let seed_time = seeded.elapsed().as_secs_f64();
    eprintln!("seeded {n} objects in {seed_time:.1}s");
    let kubeconfig = server.kubeconfig_path();
    let kc = kubeconfig.to_str().context("kubeconfig path")?;
    let dir = server.scratch_dir().to_path_buf();
    // DNS goes to a loopback server that answers NXDOMAIN: nothing leaves the machine, and no
    // run waits for a resolver's timeout.
    let dns_addr = nxdomain_server()?;
    let dns = ["--dns-server", dns_addr.as_str()];
    let status_args = [&["status", "-o", "json", "--kubeconfig", kc][..], &dns].concat();
    let snap_args = [&["snapshot", "-o", "yaml", "--kubeconfig", kc][..], &dns].concat();
    let apply_args: Vec<&str> = vec![
        "apply",
        "--cluster-domain",
        "runai.example.com",
        "--dry-run=server",
        "--yes",
        "--kubeconfig",
        kc,
    ];
    let timeout: Vec<&str> = opts.timeout.as_deref().map(|t| vec!["--timeout", t]).unwrap_or_default();
    let (status_args, snap_args, apply_args) = (
        [status_args, timeout.clone()].concat(),
        [snap_args, timeout.clone()].concat(),
        [apply_args, timeout].concat(),
    );
    let commands: [(&'static str, &[&str]); 3] =
        [("status -o json", &status_args), ("snapshot", &snap_args), ("apply --dry-run=server", &apply_args)];
    // The binaries alternate run by run, so that a change in the machine's load falls on both.
    let mut runs = Vec::new();
    for (label, args) in commands {
        for _ in 0..opts.runs.max(1) {
            for (name, bin) in &opts.binaries {
                let save = match label {
                    "snapshot" => Some(dir.join(format!("snapshot-{name}.yaml"))),
                    "status -o json" => Some(dir.join(format!("status-{name}.json"))),
                    _ => None,
                };
                runs.push(measure(label, &server, (name, bin), args, &dir, save.as_deref())?);
            }
        }
    }
    // Each binary reads its own snapshot back (no cluster is read; the testkit sees no request).
    for _ in 0..opts.runs.max(1) {
        for (name, bin) in &opts.binaries {
            let path = dir.join(format!("snapshot-{name}.yaml"));
            let path = path.to_str().context("snapshot path")?;
            let args = ["status", "-o", "json", "--from-file", path];
            let out = dir.join(format!("from-file-{name}.json"));
            let mut run = measure("status --from-file", &server, (name, bin), &args, &dir, Some(&out))?;
            let live = std::fs::read(dir.join(format!("status-{name}.json"))).context("the live report")?;
            let file = std::fs::read(&out).context("the report of the file")?;
            // Each run asks DNS for its own random label (`rgw-` and 10 hex digits) in place of a
            // wildcard; the two runs differ in that only.
            let (file, live) = (random_labels(&file), random_labels(&live));
            run.same_as_live = Some(file == live);
            if let Some((f, l)) = file.lines().zip(live.lines()).find(|(f, l)| f != l) {
                eprintln!(
                    "{name}: the report of the file differs from the live one:\n  file: {f}\n  live: {l}"
                );
            }
            runs.push(run);
        }
    }
    Ok((seed_time, runs))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The results as a table: per command and binary, the medians of wall, CPU and peak RSS over
/// the runs (each run's wall in brackets when there were several), and the requests and bytes
/// of the last run (they do not vary).
#[must_use]
pub fn report(opts: &Options, seed_time: f64, runs: &[Run]) -> String {
    let mut out = format!(
        "{} workloads in {} namespaces (fixture {}), seeded in {seed_time:.1}s, {} run(s) each, medians\n",
        opts.workloads,
        opts.namespaces,
        opts.fixture,
        opts.runs.max(1)
    );
    out += "| command | binary | exit | wall | CPU (user+sys) | peak RSS | requests | bytes read (decoded) | bytes on the wire | stdout |\n|---|---|---|---|---|---|---|---|---|---|\n";
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for r in runs {
        if seen.contains(&(r.label, r.binary.as_str())) {
            continue;
        }
        seen.push((r.label, r.binary.as_str()));
        let same: Vec<&Run> = runs.iter().filter(|x| x.label == r.label && x.binary == r.binary).collect();
        let last = same.last().copied().unwrap_or(r);
        let walls: Vec<f64> = same.iter().map(|x| x.wall).collect();
        let each = if walls.len() > 1 {
            format!(" ({})", walls.iter().map(|w| format!("{w:.2}")).collect::<Vec<_>>().join(", "))
        } else {
            String::new()
        };
        out += &format!(
            "| `{}` | {} | {} | {:.2} s{each} | {:.2} s | {:.1} MiB | {} | {:.2} MB | {:.2} MB | {:.2} MB |\n",
            r.label,
            r.binary,
            last.code,
            median(walls),
            median(same.iter().map(|x| x.cpu).collect()),
            median(same.iter().map(|x| x.max_rss_kib as f64 / 1024.0).collect()),
            last.requests,
            last.bytes as f64 / 1e6,
            last.wire_bytes as f64 / 1e6,
            last.stdout_bytes as f64 / 1e6
        );
    }
    for r in runs.iter().filter(|r| r.same_as_live.is_some()) {
        if seen.contains(&("same", r.binary.as_str())) {
            continue;
        }
        seen.push(("same", r.binary.as_str()));
        let same = runs.iter().filter(|x| x.binary == r.binary).all(|x| x.same_as_live != Some(false));
        out += &format!(
            "\n`status --from-file` of the snapshot of {}: {} the live `status -o json` (random DNS labels aside)\n",
            r.binary,
            if same { "the same report as" } else { "NOT the same report as" }
        );
    }
    for r in runs.iter().filter(|r| !r.sections.is_empty()) {
        if seen.contains(&("sections", r.binary.as_str())) {
            continue;
        }
        seen.push(("sections", r.binary.as_str()));
        out += &format!("\n`snapshot` of {}: {} bytes; by top-level key:\n", r.binary, r.stdout_bytes);
        for (key, bytes) in &r.sections {
            out += &format!(
                "  {key}: {bytes} B ({:.1}%)\n",
                *bytes as f64 * 100.0 / r.stdout_bytes.max(1) as f64
            );
        }
    }
    out
}
