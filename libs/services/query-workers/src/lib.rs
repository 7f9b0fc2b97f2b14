//! `--workers=N` for host-process builds (`std`): N threads answer plain
//! UDP queries, each on a stack of its own whose socket shares the served
//! address (`SO_REUSEPORT`), every datagram going to one of them at
//! random; the service runs on its own stack beside them and answers TCP
//! and what they forward. (With the service answering UDP as one of the
//! N, the kernel's hash of dnsperf's four clients gave it four times a
//! worker's share, and two threads answered no more than one.) The workers are [`dns_service::worker::QueryWorker`]s:
//! they answer from a snapshot of the service's engine, published after
//! every poll in which its zones may have changed (the zones are shared,
//! not copied), and pass whatever needs the service's state to it.
//!
//! Threads and locks are why this is a crate of its own: the services and
//! the worker's logic stay `no_std`, and a unikernel's `main.rs` only
//! composes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use dns_server::Server;
use dns_service::worker::QueryWorker;
use dns_service::{DnsService, Log};
use netstack::{OsStack, Poll, Service, Sockets, UdpForwarder};

/// The engine as the workers answer from it.
type Snapshot = Arc<Mutex<Arc<Server>>>;

/// Runs `service` and, after each poll in which its catalog may have
/// changed, gives the workers a new snapshot of its engine.
struct Publishing<S> {
    service: S,
    dns: fn(&S) -> &DnsService,
    snapshot: Snapshot,
    generation: u64,
}

impl<S: Service> Service for Publishing<S> {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let polled = self.service.poll(net);
        let server = (self.dns)(&self.service).server();
        if server.generation() != self.generation {
            self.generation = server.generation();
            let fresh = Arc::new(server.clone());
            *self.snapshot.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
        }
        polled
    }
}

/// Where and how many workers answer.
#[derive(Clone, Copy, Debug)]
pub struct Workers {
    /// Threads answering UDP queries, beside the service's (1: none, the
    /// service answers them).
    pub count: usize,
    /// The address the stacks bind (`--listen`), if any.
    pub listen: Option<SocketAddr>,
    /// The served port.
    pub port: u16,
}

/// Runs `service` (whose [`DnsService`] `dns` gives) on `stack` until it
/// exits, with `workers.count` query workers beside it if that is more
/// than 1 (else the service answers everything); returns its exit
/// status. Call before the service has bound its sockets. Lines about
/// the workers go to `log`, prefixed by `program`.
pub fn run<S: Service>(
    stack: &mut OsStack,
    service: S,
    dns: fn(&S) -> &DnsService,
    workers: Workers,
    log: Log,
    program: &'static str,
) -> std::io::Result<i32> {
    let mut service = service;
    if workers.count <= 1 {
        return stack.run(&mut service);
    }
    stack.set_reuse_port(true);
    stack.steer_to_workers(workers.count);
    let server = dns(&service).server();
    let mut publishing = Publishing {
        snapshot: Arc::new(Mutex::new(Arc::new(server.clone()))),
        generation: server.generation(),
        service,
        dns,
    };
    let forwarder = stack.udp_forwarder()?;
    // The service binds first: its socket is the first of the group, the
    // one the datagrams are steered past.
    if let Poll::Exit(status) = publishing.poll(stack) {
        return Ok(status);
    }
    for index in 1..=workers.count {
        let snapshot = publishing.snapshot.clone();
        spawn(index, workers, snapshot, forwarder.clone(), log, program)?;
    }
    stack.run(&mut publishing)
}

/// Starts worker `index` in a thread of its own, on a stack of its own.
fn spawn(
    index: usize,
    workers: Workers,
    snapshot: Snapshot,
    forwarder: UdpForwarder,
    log: Log,
    program: &'static str,
) -> std::io::Result<()> {
    let port = workers.port;
    std::thread::Builder::new()
        .name(format!("worker {index}"))
        .spawn(move || {
            let mut stack = match OsStack::new(workers.listen) {
                Ok(stack) => stack,
                Err(error) => return log(format_args!("{program}: worker {index}: {error}")),
            };
            stack.set_reuse_port(true);
            let mut worker = QueryWorker::new(
                port,
                || snapshot.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                |from, msg: &[u8]| forwarder.forward(from, msg),
            );
            match stack.run(&mut worker) {
                Ok(0) => {}
                Ok(_) => log(format_args!(
                    "{program}: worker {index}: cannot bind UDP port {port}"
                )),
                Err(error) => log(format_args!("{program}: worker {index}: {error}")),
            }
        })
        .map(drop)
}
