//! A real DNS server on 127.0.0.1 (hickory-server, UDP and TCP on one free port), serving
//! `example.com` from records given by the test. Wildcard records (`*.runai.example.com`) work as
//! on any authoritative server.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::ServerFuture;
use hickory_server::authority::{Catalog, ZoneType};
use hickory_server::proto::rr::rdata::{A, SOA};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_server::store::in_memory::InMemoryAuthority;

/// A DNS server running on its own thread until dropped.
pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Arc<InMemoryAuthority>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DnsServer {
    /// Serves the zone `example.com` with `records` as (name, IPv4).
    pub fn start(records: &[(&str, &str)]) -> DnsServer {
        let origin = Name::from_str("example.com.").expect("origin");
        let mut zone = InMemoryAuthority::empty(origin.clone(), ZoneType::Primary, false);
        let soa = SOA::new(
            Name::from_str("ns.example.com.").expect("mname"),
            Name::from_str("admin.example.com.").expect("rname"),
            1,
            3600,
            600,
            86_400,
            60,
        );
        zone.upsert_mut(Record::from_rdata(origin.clone(), 60, RData::SOA(soa)), 1);
        for (name, ip) in records {
            let ip: IpAddr = ip.parse().expect("fixture record address");
            let IpAddr::V4(v4) = ip else { panic!("IPv4 records only") };
            let name = Name::from_str(&format!("{name}.")).expect("record name");
            zone.upsert_mut(Record::from_rdata(name, 60, RData::A(A(v4))), 1);
        }
        let zone = Arc::new(zone);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![zone.clone()]);

        // UDP on a free port, then TCP on the same port, so `HOST:PORT` names both transports.
        // Another test may take that TCP port between the two binds: try other ports then.
        let (udp, tcp, addr) = (0..32)
            .find_map(|_| {
                let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
                let addr = udp.local_addr().expect("udp addr");
                std::net::TcpListener::bind(addr).ok().map(|tcp| (udp, tcp, addr))
            })
            .expect("a loopback port free for both UDP and TCP");
        udp.set_nonblocking(true).expect("nonblocking");
        tcp.set_nonblocking(true).expect("nonblocking");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let mut server = ServerFuture::new(catalog);
                server.register_socket(tokio::net::UdpSocket::from_std(udp).expect("udp"));
                server.register_listener(
                    tokio::net::TcpListener::from_std(tcp).expect("tcp"),
                    Duration::from_secs(5),
                );
                let _ = rx.await;
                let _ = server.shutdown_gracefully().await;
            });
        });
        DnsServer { addr, zone, stop: Some(tx), thread: Some(thread) }
    }

    /// Replaces every A record with `records` (name, IPv4 addresses), as a DNS provider applies
    /// a change: the next query sees them.
    pub fn set(&self, records: &BTreeMap<String, Vec<String>>) {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        rt.block_on(async {
            let mut map = self.zone.records_mut().await;
            map.retain(|k, _| k.record_type != RecordType::A);
            for (name, ips) in records {
                let name = Name::from_str(&format!("{name}.")).expect("record name");
                let mut set = RecordSet::new(name.clone(), RecordType::A, 1);
                for ip in ips {
                    let v4: std::net::Ipv4Addr = ip.parse().expect("IPv4 records only");
                    set.insert(Record::from_rdata(name.clone(), 1, RData::A(A(v4))), 1);
                }
                map.insert(RrKey::new(LowerName::new(&name), RecordType::A), Arc::new(set));
            }
        });
    }

    /// `127.0.0.1:PORT` for `--dns-server`.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
