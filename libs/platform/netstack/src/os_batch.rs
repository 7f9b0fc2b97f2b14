//! Batched UDP for the host-process stack: `recvmmsg(2)` fills up to
//! [`BATCH`] datagrams per system call and `sendmmsg(2)` sends up to
//! [`BATCH`] queued answers per call. A profile of the host-process
//! primary under dnsperf spent half its time in one `recvfrom` and one
//! `sendto` per query; NSD and Knot batch the same way. Linux only (the
//! host-process build is a test and benchmark vehicle on Debian).
//!
//! Written against `libc` directly: mio has no batched calls, and the
//! crates that wrap them (nix, quinn-udp) bring far more than two calls.

extern crate std;

use alloc::vec;
use alloc::vec::Vec;
use core::mem::{size_of, zeroed};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::io;
use std::os::fd::RawFd;

/// Datagrams per system call, each way.
pub(crate) const BATCH: usize = 32;
/// Room for one received datagram: the largest UDP payload, so that
/// nothing is cut short. The buffer is zero-allocated (untouched pages
/// cost no memory) and only the bytes received are written.
const SLOT: usize = 65_536;

/// Received datagrams not yet handed out, and answers not yet sent, of one socket.
pub(crate) struct UdpBatch {
    rx_buf: Vec<u8>,
    rx: Vec<(usize, SocketAddr)>,
    rx_next: usize,
    tx_buf: Vec<u8>,
    /// (end offset in `tx_buf`, destination) of each queued datagram.
    tx: Vec<(usize, SocketAddr)>,
}

impl UdpBatch {
    pub(crate) fn new() -> UdpBatch {
        UdpBatch {
            rx_buf: Vec::new(),
            rx: Vec::with_capacity(BATCH),
            rx_next: 0,
            tx_buf: Vec::new(),
            tx: Vec::with_capacity(BATCH),
        }
    }

    /// The next datagram, copied into `buf` (truncated if longer, as
    /// `recvfrom` would): from the batch, else from one `recvmmsg`.
    /// `Ok(None)` once the socket has nothing more (`EAGAIN`).
    pub(crate) fn recv(
        &mut self,
        fd: RawFd,
        buf: &mut [u8],
    ) -> io::Result<Option<(usize, SocketAddr)>> {
        // Bounded: a batch brings nothing usable only if every datagram in
        // it came from an address family other than IPv4 and IPv6.
        let mut tries = 0;
        while self.rx_next == self.rx.len() {
            tries += 1;
            if tries > 4 || !self.fill(fd)? {
                return Ok(None);
            }
        }
        let (len, from) = self.rx[self.rx_next];
        let start = self.rx_next * SLOT;
        let n = len.min(buf.len());
        buf[..n].copy_from_slice(&self.rx_buf[start..start + n]);
        self.rx_next += 1;
        Ok(Some((n, from)))
    }

    /// One `recvmmsg`; whether it brought anything.
    fn fill(&mut self, fd: RawFd) -> io::Result<bool> {
        if self.rx_buf.is_empty() {
            self.rx_buf = vec![0; BATCH * SLOT];
        }
        self.rx.clear();
        self.rx_next = 0;
        // SAFETY: all-zero is a valid value of these plain C structs.
        let mut names: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
        let mut iovecs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for i in 0..BATCH {
            iovecs[i] = libc::iovec {
                iov_base: self.rx_buf[i * SLOT..].as_mut_ptr().cast(),
                iov_len: SLOT,
            };
            headers[i].msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
            headers[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as u32;
            headers[i].msg_hdr.msg_iov = &mut iovecs[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every header points at its own name and at a distinct
        // SLOT-byte part of rx_buf, all alive for the call.
        let received = unsafe {
            libc::recvmmsg(
                fd,
                headers.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_DONTWAIT,
                core::ptr::null_mut(),
            )
        };
        if received < 0 {
            let error = io::Error::last_os_error();
            return match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(false),
                // ICMP errors from earlier sends surface here; they are not ours to report.
                _ if error.raw_os_error() == Some(libc::ECONNREFUSED) => Ok(false),
                _ => Err(error),
            };
        }
        for (header, name) in headers.iter().zip(&names).take(received as usize) {
            if let Some(from) = from_sockaddr(name) {
                self.rx.push((header.msg_len as usize, from));
            }
        }
        Ok(received > 0)
    }

    /// Queues `data` to `to`; sends the queue when it holds [`BATCH`].
    pub(crate) fn send(&mut self, fd: RawFd, to: SocketAddr, data: &[u8]) {
        self.tx_buf.extend_from_slice(data);
        self.tx.push((self.tx_buf.len(), to));
        if self.tx.len() == BATCH {
            self.flush(fd);
        }
    }

    /// Sends everything queued, `sendmmsg` by `sendmmsg`. A datagram the
    /// kernel refuses (its buffer full, no route) is dropped, as the
    /// network may drop any datagram; the services resend what matters.
    pub(crate) fn flush(&mut self, fd: RawFd) {
        let mut first = 0;
        // Bounded: each round sends at least one datagram or gives up.
        while first < self.tx.len() {
            let count = self.tx.len() - first;
            // SAFETY: all-zero is a valid value of these plain C structs.
            let mut names: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
            let mut iovecs: [libc::iovec; BATCH] = unsafe { zeroed() };
            let mut headers: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
            for i in 0..count {
                let (end, to) = self.tx[first + i];
                let start = if first + i == 0 {
                    0
                } else {
                    self.tx[first + i - 1].0
                };
                iovecs[i] = libc::iovec {
                    iov_base: self.tx_buf[start..end].as_ptr() as *mut libc::c_void,
                    iov_len: end - start,
                };
                headers[i].msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
                headers[i].msg_hdr.msg_namelen = to_sockaddr(to, &mut names[i]);
                headers[i].msg_hdr.msg_iov = &mut iovecs[i];
                headers[i].msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: the headers point at their names and at parts of
            // tx_buf, alive and unchanged for the call; sendmmsg only reads them.
            let sent = unsafe {
                libc::sendmmsg(fd, headers.as_mut_ptr(), count as u32, libc::MSG_DONTWAIT)
            };
            if sent < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // The first datagram is refused (EAGAIN, EHOSTUNREACH, ...): skip it.
                first += 1;
            } else {
                first += (sent as usize).max(1);
            }
        }
        self.tx.clear();
        self.tx_buf.clear();
    }

    /// Whether answers wait to be sent.
    pub(crate) fn has_queued(&self) -> bool {
        !self.tx.is_empty()
    }
}

/// Writes `addr` as a C socket address; returns its length.
fn to_sockaddr(addr: SocketAddr, out: &mut libc::sockaddr_storage) -> u32 {
    match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { core::ptr::write((out as *mut libc::sockaddr_storage).cast(), sin) };
            size_of::<libc::sockaddr_in>() as u32
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { core::ptr::write((out as *mut libc::sockaddr_storage).cast(), sin6) };
            size_of::<libc::sockaddr_in6>() as u32
        }
    }
}

/// The address the kernel wrote, if IPv4 or IPv6.
fn from_sockaddr(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    let storage = name as *const libc::sockaddr_storage;
    match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the kernel wrote a sockaddr_in here.
            let sin = unsafe { &*storage.cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the kernel wrote a sockaddr_in6 here.
            let sin6 = unsafe { &*storage.cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Attaches to the `SO_REUSEPORT` group of `socket` (its first member) a
/// classic BPF program that sends each datagram to the group's socket
/// `1 + random % others`: to the `others` sockets that joined after it,
/// never to it (`SO_ATTACH_REUSEPORT_CBPF`, Linux 4.5; an index past the
/// group falls back to the kernel's hash).
pub(crate) fn steer_past_first(socket: &std::net::UdpSocket, others: usize) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // The ancillary load of a random number (linux/filter.h).
    const SKF_AD_RANDOM: u32 = 56;
    let instruction = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    // ld rand; mod #others; add #1; ret a
    let mut program = [
        instruction(
            libc::BPF_LD | libc::BPF_W | libc::BPF_ABS,
            (libc::SKF_AD_OFF as u32).wrapping_add(SKF_AD_RANDOM),
        ),
        instruction(
            libc::BPF_ALU | libc::BPF_MOD | libc::BPF_K,
            others.max(1) as u32,
        ),
        instruction(libc::BPF_ALU | libc::BPF_ADD | libc::BPF_K, 1),
        instruction(libc::BPF_RET | libc::BPF_A, 0),
    ];
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: `fprog` points at `program`, both alive for the call, with
    // their sizes; the kernel copies the program.
    let status = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_REUSEPORT_CBPF,
            (&fprog as *const libc::sock_fprog).cast(),
            core::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    match status {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    fn pair() -> (UdpSocket, UdpSocket) {
        let a = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let b = UdpSocket::bind("127.0.0.1:0").expect("bind");
        a.set_nonblocking(true).expect("nonblocking");
        (a, b)
    }

    #[test]
    fn more_datagrams_than_a_batch_arrive_in_order_and_whole() {
        let (server, client) = pair();
        let to = server.local_addr().expect("addr");
        let count = BATCH * 2 + 5;
        for i in 0..count {
            // Sizes from 1 to 3000 bytes, the first byte the index.
            let mut data = vec![0u8; 1 + (i * 97) % 3000];
            data[0] = i as u8;
            client.send_to(&data, to).expect("send");
        }
        let mut batch = UdpBatch::new();
        let mut buf = [0u8; 4096];
        for i in 0..count {
            let (len, from) = batch
                .recv(server.as_raw_fd(), &mut buf)
                .expect("recv")
                .expect("datagram");
            assert_eq!((len, buf[0]), (1 + (i * 97) % 3000, i as u8));
            assert_eq!(from, client.local_addr().expect("addr"));
        }
        assert_eq!(
            batch.recv(server.as_raw_fd(), &mut buf).expect("recv"),
            None
        );
    }

    #[test]
    fn a_datagram_longer_than_the_buffer_is_cut_to_it() {
        let (server, client) = pair();
        client
            .send_to(&[7u8; 1000], server.local_addr().expect("addr"))
            .expect("send");
        let mut batch = UdpBatch::new();
        let mut buf = [0u8; 100];
        let (len, _) = batch
            .recv(server.as_raw_fd(), &mut buf)
            .expect("recv")
            .expect("datagram");
        assert_eq!((len, buf), (100, [7u8; 100]));
    }

    #[test]
    fn queued_answers_reach_each_their_destination_after_a_flush() {
        let (server, _) = pair();
        let clients: Vec<UdpSocket> = (0..BATCH + 3)
            .map(|_| UdpSocket::bind("127.0.0.1:0").expect("bind"))
            .collect();
        let mut batch = UdpBatch::new();
        for (i, client) in clients.iter().enumerate() {
            batch.send(
                server.as_raw_fd(),
                client.local_addr().expect("addr"),
                &[i as u8; 10],
            );
        }
        // BATCH went out when the queue filled; three wait for the flush.
        assert!(batch.has_queued());
        batch.flush(server.as_raw_fd());
        assert!(!batch.has_queued());
        for (i, client) in clients.iter().enumerate() {
            let mut buf = [0u8; 64];
            let (len, from) = client.recv_from(&mut buf).expect("answer");
            assert_eq!(
                (len, buf[0], from),
                (10, i as u8, server.local_addr().expect("addr"))
            );
        }
    }

    #[test]
    fn an_unroutable_destination_is_dropped_without_holding_up_the_rest() {
        let (server, client) = pair();
        let mut batch = UdpBatch::new();
        let fd = server.as_raw_fd();
        // An IPv6 destination from an IPv4 socket: refused by the kernel.
        batch.send(fd, "[::1]:53".parse().expect("addr"), b"lost");
        batch.send(fd, client.local_addr().expect("addr"), b"kept");
        batch.flush(fd);
        let mut buf = [0u8; 16];
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        let (len, _) = client.recv_from(&mut buf).expect("the second datagram");
        assert_eq!(&buf[..len], b"kept");
    }
}
