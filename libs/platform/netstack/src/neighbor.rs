//! Neighbour resolution for UDP in front of smoltcp, so that one neighbour
//! that never answers ARP/NDP costs the other destinations nothing
//! (issue 12 §1).
//!
//! smoltcp 0.12 couples destinations in two ways: a UDP socket's transmit
//! ring is sent in order and a datagram whose neighbour is unresolved stays
//! at its head for ever (retried once a second), holding up everything
//! behind it; and neighbour discovery is rate-limited for the whole
//! interface (one request a second), so the ARPs for a dead host starve the
//! discovery of live ones. Hence: a datagram is handed to its smoltcp socket
//! only once its next hop is known to be in smoltcp's neighbour cache. Until
//! then it waits here, in a bounded queue per next hop, while we ask for
//! the neighbour ourselves (ARP request or Neighbor Solicitation, on our own
//! schedule per neighbour); after [`PROBES`] unanswered questions the queue
//! is dropped, as Linux marks an unresolved neighbour FAILED after 3 s.
//!
//! "Known to be in smoltcp's cache" is mirrored from the frames smoltcp is
//! given ([`Observed`]): smoltcp fills its cache from every ARP packet aimed
//! at one of our addresses and from every Neighbor Advertisement with a
//! link-layer address, and keeps an entry [`SMOLTCP_ENTRY_LIFETIME`],
//! extended by unicast packets from that neighbour. We trust an entry for
//! less than that ([`TRUSTED_FOR`]); past it, the next datagram waits for
//! one more question and answer.

use crate::api::{Instant, NetError, UdpHandle};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::time::Duration;
use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities};
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv6Packet, Icmpv6Repr, IpProtocol, Ipv4Packet, Ipv6Packet, Ipv6Repr,
    NdiscRepr,
};

/// Questions asked about one neighbour before its datagrams are dropped.
pub(crate) const PROBES: u32 = 3;
/// Time between questions (Linux `retrans_time_ms`).
pub(crate) const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// How long smoltcp keeps a neighbour it learned (its `ENTRY_LIFETIME`).
pub(crate) const SMOLTCP_ENTRY_LIFETIME: Duration = Duration::from_secs(60);
/// How long we count on smoltcp still having a neighbour: its lifetime
/// with a margin, so that a datagram we release always finds it there.
pub(crate) const TRUSTED_FOR: Duration = Duration::from_secs(SMOLTCP_ENTRY_LIFETIME.as_secs() - 10);
/// Datagrams waiting for one neighbour (a burst of NOTIFYs or answers).
pub(crate) const QUEUE_PER_NEIGHBOUR: usize = 32;
/// Neighbours being resolved at once (smoltcp's neighbour cache holds 64).
pub(crate) const RESOLVING_AT_ONCE: usize = 64;
/// Neighbours remembered (the size of smoltcp's neighbour cache, set in
/// `.cargo/config.toml`).
pub(crate) const REMEMBERED: usize = 64;

/// What a received frame told us about a neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sighting {
    /// An ARP request or reply from `from` at `mac`, asking for or
    /// answering to `target`: smoltcp learns the mapping if `target` is ours.
    Arp {
        from: IpAddr,
        mac: EthernetAddress,
        target: IpAddr,
    },
    /// A Neighbor Advertisement from `from` with its link-layer address,
    /// sent to `to`: smoltcp learns it if `to` is ours or all-nodes.
    Advert {
        from: IpAddr,
        mac: EthernetAddress,
        to: IpAddr,
    },
    /// A unicast IP packet from this neighbour: smoltcp extends its entry
    /// if it has this mapping.
    Heard(IpAddr, EthernetAddress),
}

/// A smoltcp device that notes the ARP/NDP answers and the senders of the
/// frames it passes up.
pub(crate) struct Observed<D> {
    pub(crate) inner: D,
    /// Our MAC: frames to other unicast MACs never reach smoltcp's stack.
    pub(crate) mac: EthernetAddress,
    pub(crate) sightings: Vec<Sighting>,
}

/// A receive token that reads the frame on its way to smoltcp.
pub(crate) struct ObservedRx<'a, R> {
    inner: R,
    mac: EthernetAddress,
    sightings: &'a mut Vec<Sighting>,
}

impl<R: phy::RxToken> phy::RxToken for ObservedRx<'_, R> {
    fn consume<T, F: FnOnce(&[u8]) -> T>(self, f: F) -> T {
        let (sightings, mac) = (self.sightings, self.mac);
        self.inner.consume(|frame| {
            // Bounded: drained at every poll; a flood only loses sightings.
            if sightings.len() < 4 * REMEMBERED {
                if let Some(sighting) = sighting(frame, mac) {
                    sightings.push(sighting);
                }
            }
            f(frame)
        })
    }
}

impl<D: Device> Device for Observed<D> {
    type RxToken<'a>
        = ObservedRx<'a, D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = D::TxToken<'a>
    where
        Self: 'a;

    fn receive(
        &mut self,
        timestamp: SmolInstant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let Observed {
            inner,
            mac,
            sightings,
        } = self;
        let (rx, tx) = inner.receive(timestamp)?;
        Some((
            ObservedRx {
                inner: rx,
                mac: *mac,
                sightings,
            },
            tx,
        ))
    }

    fn transmit(&mut self, timestamp: SmolInstant) -> Option<Self::TxToken<'_>> {
        self.inner.transmit(timestamp)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// Reads what a frame says about its sender (whether it concerns one of
/// our addresses is checked later, in [`Resolver::learn`]).
fn sighting(frame: &[u8], ours: EthernetAddress) -> Option<Sighting> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let (from, to) = (eth.src_addr(), eth.dst_addr());
    if !from.is_unicast() || (to.is_unicast() && to != ours) {
        return None;
    }
    match eth.ethertype() {
        EthernetProtocol::Arp => {
            let packet = ArpPacket::new_checked(eth.payload()).ok()?;
            match ArpRepr::parse(&packet).ok()? {
                ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Request | ArpOperation::Reply,
                    source_hardware_addr,
                    source_protocol_addr,
                    target_protocol_addr,
                    ..
                } if source_hardware_addr.is_unicast() => Some(Sighting::Arp {
                    from: IpAddr::V4(source_protocol_addr),
                    mac: source_hardware_addr,
                    target: IpAddr::V4(target_protocol_addr),
                }),
                _ => None,
            }
        }
        EthernetProtocol::Ipv4 => {
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            to.is_unicast()
                .then_some(Sighting::Heard(IpAddr::V4(ip.src_addr()), from))
        }
        EthernetProtocol::Ipv6 => {
            let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
            let (src, dst) = (ip.src_addr(), ip.dst_addr());
            if ip.next_header() == IpProtocol::Icmpv6 {
                let packet = Icmpv6Packet::new_checked(ip.payload()).ok()?;
                let repr = Icmpv6Repr::parse(&src, &dst, &packet, &ChecksumCapabilities::default());
                if let Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                    lladdr: Some(lladdr),
                    target_addr,
                    ..
                })) = repr
                {
                    let mac = lladdr.parse(smoltcp::phy::Medium::Ethernet).ok()?;
                    let smoltcp::wire::HardwareAddress::Ethernet(mac) = mac;
                    let usable = mac.is_unicast() && !target_addr.is_multicast();
                    return usable.then_some(Sighting::Advert {
                        from: IpAddr::V6(src),
                        mac,
                        to: IpAddr::V6(dst),
                    });
                }
            }
            to.is_unicast()
                .then_some(Sighting::Heard(IpAddr::V6(src), from))
        }
        _ => None,
    }
}

/// A datagram waiting for its neighbour.
pub(crate) struct Waiting {
    pub(crate) socket: UdpHandle,
    pub(crate) to: SocketAddr,
    pub(crate) data: Vec<u8>,
}

/// A neighbour being asked for.
struct Resolution {
    next_hop: IpAddr,
    /// Questions asked so far.
    asked: u32,
    /// When to ask next (or, after the last question, give up).
    next_probe: Instant,
    queue: VecDeque<Waiting>,
}

/// A neighbour smoltcp has (as far as we can tell from the frames).
struct Known {
    addr: IpAddr,
    mac: EthernetAddress,
    trusted_until: Instant,
}

/// What the stack should do for a datagram to some next hop.
pub(crate) enum Route {
    /// The neighbour is known: give the datagram to smoltcp now.
    Direct,
    /// Queued here until the neighbour answers.
    Queued,
}

/// A question to put on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Probe {
    /// Whom we ask about.
    pub(crate) target: IpAddr,
}

/// Per-neighbour queues and the neighbours known to be resolved.
#[derive(Default)]
pub(crate) struct Resolver {
    known: Vec<Known>,
    resolving: Vec<Resolution>,
    /// Datagrams dropped because their neighbour never answered.
    pub(crate) dropped: u64,
}

impl Resolver {
    fn is_known(&self, addr: IpAddr, now: Instant) -> bool {
        self.known
            .iter()
            .any(|k| k.addr == addr && now < k.trusted_until)
    }

    /// Decides for a datagram whose neighbour is `next_hop`: straight to
    /// smoltcp, or queued behind the question (and behind datagrams already
    /// waiting for the same neighbour, to keep their order).
    pub(crate) fn route(
        &mut self,
        next_hop: IpAddr,
        datagram: Waiting,
        now: Instant,
    ) -> Result<Route, NetError> {
        let waiting = self.resolving.iter().position(|r| r.next_hop == next_hop);
        if waiting.is_none() && self.is_known(next_hop, now) {
            return Ok(Route::Direct);
        }
        let resolution = match waiting {
            Some(i) => &mut self.resolving[i],
            None => {
                if self.resolving.len() >= RESOLVING_AT_ONCE {
                    return Err(NetError::WouldBlock);
                }
                self.resolving.push(Resolution {
                    next_hop,
                    asked: 0,
                    next_probe: now,
                    queue: VecDeque::new(),
                });
                self.resolving.last_mut().expect("just pushed")
            }
        };
        if resolution.queue.len() >= QUEUE_PER_NEIGHBOUR {
            return Err(NetError::WouldBlock);
        }
        resolution.queue.push_back(datagram);
        Ok(Route::Queued)
    }

    /// Takes in what received frames said; `ours` tells whether an address
    /// is one of ours, `on_link` whether it is on one of our subnets (the
    /// checks smoltcp makes before it fills its cache).
    pub(crate) fn learn(
        &mut self,
        sightings: impl IntoIterator<Item = Sighting>,
        ours: impl Fn(IpAddr) -> bool,
        on_link: impl Fn(IpAddr) -> bool,
        now: Instant,
    ) {
        const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
        for sighting in sightings {
            match sighting {
                Sighting::Arp { from, mac, target } if ours(target) && on_link(from) => {
                    self.remember(from, mac, now)
                }
                Sighting::Advert { from, mac, to } if ours(to) || to == IpAddr::V6(ALL_NODES) => {
                    self.remember(from, mac, now)
                }
                Sighting::Heard(addr, mac) => {
                    if let Some(known) = self
                        .known
                        .iter_mut()
                        .find(|k| k.addr == addr && k.mac == mac)
                    {
                        known.trusted_until = now.after(TRUSTED_FOR);
                    }
                }
                _ => {}
            }
        }
    }

    fn remember(&mut self, addr: IpAddr, mac: EthernetAddress, now: Instant) {
        let trusted_until = now.after(TRUSTED_FOR);
        if let Some(known) = self.known.iter_mut().find(|k| k.addr == addr) {
            known.mac = mac;
            known.trusted_until = trusted_until;
            return;
        }
        if self.known.len() >= REMEMBERED {
            // smoltcp evicts the entry closest to expiry; so do we.
            let oldest = (0..self.known.len())
                .min_by_key(|&i| self.known[i].trusted_until)
                .expect("full, so not empty");
            self.known.swap_remove(oldest);
        }
        self.known.push(Known {
            addr,
            mac,
            trusted_until,
        });
    }

    /// Starts asking for `next_hop` if it is not known, with nothing queued
    /// (a TCP connection about to start): our questions are not held back
    /// by smoltcp's interface-wide rate limit, and its cache is filled by
    /// the answer.
    pub(crate) fn prime(&mut self, next_hop: IpAddr, now: Instant) {
        let resolving = self.resolving.iter().any(|r| r.next_hop == next_hop);
        if !resolving && !self.is_known(next_hop, now) && self.resolving.len() < RESOLVING_AT_ONCE {
            self.resolving.push(Resolution {
                next_hop,
                asked: 0,
                next_probe: now,
                queue: VecDeque::new(),
            });
        }
    }

    /// Datagrams whose neighbour is now known, in the order they were sent.
    pub(crate) fn take_released(&mut self, now: Instant) -> Vec<Waiting> {
        let mut released = Vec::new();
        let mut i = 0;
        while i < self.resolving.len() {
            if self.is_known(self.resolving[i].next_hop, now) {
                released.extend(self.resolving.swap_remove(i).queue);
            } else {
                i += 1;
            }
        }
        released
    }

    /// Puts back datagrams smoltcp had no room for; they go first next time.
    pub(crate) fn put_back(&mut self, next_hop: IpAddr, datagrams: Vec<Waiting>, now: Instant) {
        let resolution = match self
            .resolving
            .iter_mut()
            .position(|r| r.next_hop == next_hop)
        {
            Some(i) => &mut self.resolving[i],
            None => {
                self.resolving.push(Resolution {
                    next_hop,
                    asked: 0,
                    next_probe: now,
                    queue: VecDeque::new(),
                });
                self.resolving.last_mut().expect("just pushed")
            }
        };
        for datagram in datagrams.into_iter().rev() {
            resolution.queue.push_front(datagram);
        }
    }

    /// Questions due at `now`; neighbours asked [`PROBES`] times without an
    /// answer are given up, their datagrams dropped (counted in `dropped`).
    pub(crate) fn due_probes(&mut self, now: Instant) -> Vec<Probe> {
        let mut probes = Vec::new();
        let mut i = 0;
        while i < self.resolving.len() {
            let resolution = &mut self.resolving[i];
            if now < resolution.next_probe {
                i += 1;
                continue;
            }
            if resolution.asked >= PROBES {
                let given_up = self.resolving.swap_remove(i);
                self.dropped += given_up.queue.len() as u64;
                continue;
            }
            resolution.asked += 1;
            resolution.next_probe = now.after(PROBE_INTERVAL);
            probes.push(Probe {
                target: resolution.next_hop,
            });
            i += 1;
        }
        probes
    }

    /// When [`Resolver::due_probes`] has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.resolving.iter().map(|r| r.next_probe).min()
    }
}

/// The ARP request for `target`, from `(mac, source)`.
pub(crate) fn arp_request(mac: EthernetAddress, source: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: mac,
        source_protocol_addr: source,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: target,
    };
    let mut frame = alloc::vec![0; 14 + arp.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    EthernetRepr {
        src_addr: mac,
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
    }
    .emit(&mut eth);
    arp.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
    frame
}

/// The Neighbor Solicitation for `target` (RFC 4861 §7.2.2), to its
/// solicited-node multicast address, from `(mac, source)`.
pub(crate) fn neighbor_solicitation(
    mac: EthernetAddress,
    source: Ipv6Addr,
    target: Ipv6Addr,
) -> Vec<u8> {
    let t = target.octets();
    let group = Ipv6Addr::from([
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15],
    ]);
    let solicit = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: target,
        lladdr: Some(mac.into()),
    });
    let ip = Ipv6Repr {
        src_addr: source,
        dst_addr: group,
        next_header: IpProtocol::Icmpv6,
        payload_len: solicit.buffer_len(),
        hop_limit: 255,
    };
    let mut frame = alloc::vec![0; 14 + ip.buffer_len() + solicit.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    EthernetRepr {
        src_addr: mac,
        dst_addr: EthernetAddress([0x33, 0x33, 0xff, t[13], t[14], t[15]]),
        ethertype: EthernetProtocol::Ipv6,
    }
    .emit(&mut eth);
    let mut packet = Ipv6Packet::new_unchecked(eth.payload_mut());
    ip.emit(&mut packet);
    solicit.emit(
        &source,
        &group,
        &mut Icmpv6Packet::new_unchecked(packet.payload_mut()),
        &ChecksumCapabilities::default(),
    );
    frame
}
