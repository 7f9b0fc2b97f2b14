//! A simulated Ethernet segment for unit tests: the stack's frames land in
//! a list the test reads, and the test plays the neighbours, answering ARP
//! and NDP for the hosts that are up and staying silent for those that are
//! down.

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv6Addr};
use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv6Packet, Icmpv6Repr, IpProtocol, Ipv4Packet, Ipv6Packet, Ipv6Repr,
    NdiscNeighborFlags, NdiscRepr,
};

/// The device: frames out are kept, frames in are queued by the test.
#[derive(Default)]
pub(crate) struct FakeLan {
    pub(crate) sent: Vec<Vec<u8>>,
    pub(crate) inbox: VecDeque<Vec<u8>>,
}

pub(crate) struct Rx(Vec<u8>);
pub(crate) struct Tx<'a>(&'a mut Vec<Vec<u8>>);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0; len];
        let result = f(&mut frame);
        self.0.push(frame);
        result
    }
}

impl Device for FakeLan {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: SmolInstant) -> Option<(Rx, Tx<'_>)> {
        let frame = self.inbox.pop_front()?;
        Some((Rx(frame), Tx(&mut self.sent)))
    }

    fn transmit(&mut self, _: SmolInstant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.sent))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

/// What the stack put on the wire, as the test cares about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// An ARP request or a Neighbor Solicitation for this address.
    Asked(IpAddr),
    /// A UDP datagram to this address.
    Udp(IpAddr),
    /// Anything else.
    Other,
}

/// The MAC a simulated neighbour answers with.
pub(crate) fn mac_of(ip: IpAddr) -> EthernetAddress {
    let last = match ip {
        IpAddr::V4(v4) => v4.octets()[3],
        IpAddr::V6(v6) => v6.octets()[15],
    };
    EthernetAddress([0x02, 0, 0, 0, 0x53, last])
}

/// Reads one frame the stack sent; if it asks for an address in `up`,
/// the answer is returned (to be queued in the inbox).
pub(crate) fn classify(frame: &[u8], up: &[IpAddr]) -> (Seen, Option<Vec<u8>>) {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return (Seen::Other, None);
    };
    match eth.ethertype() {
        EthernetProtocol::Arp => {
            let Ok(ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr,
                source_protocol_addr,
                target_protocol_addr,
                ..
            }) = ArpPacket::new_checked(eth.payload()).and_then(|p| ArpRepr::parse(&p))
            else {
                return (Seen::Other, None);
            };
            let target = IpAddr::V4(target_protocol_addr);
            let answer = up.contains(&target).then(|| {
                let reply = ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Reply,
                    source_hardware_addr: mac_of(target),
                    source_protocol_addr: target_protocol_addr,
                    target_hardware_addr: source_hardware_addr,
                    target_protocol_addr: source_protocol_addr,
                };
                let mut out = vec![0; 14 + reply.buffer_len()];
                let mut eth = EthernetFrame::new_unchecked(&mut out[..]);
                EthernetRepr {
                    src_addr: mac_of(target),
                    dst_addr: source_hardware_addr,
                    ethertype: EthernetProtocol::Arp,
                }
                .emit(&mut eth);
                reply.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
                out
            });
            (Seen::Asked(target), answer)
        }
        EthernetProtocol::Ipv4 => match Ipv4Packet::new_checked(eth.payload()) {
            Ok(ip) if ip.next_header() == IpProtocol::Udp => {
                (Seen::Udp(IpAddr::V4(ip.dst_addr())), None)
            }
            _ => (Seen::Other, None),
        },
        EthernetProtocol::Ipv6 => {
            let Ok(ip) = Ipv6Packet::new_checked(eth.payload()) else {
                return (Seen::Other, None);
            };
            match ip.next_header() {
                IpProtocol::Udp => (Seen::Udp(IpAddr::V6(ip.dst_addr())), None),
                IpProtocol::Icmpv6 => {
                    let Ok(packet) = Icmpv6Packet::new_checked(ip.payload()) else {
                        return (Seen::Other, None);
                    };
                    let repr = Icmpv6Repr::parse(
                        &ip.src_addr(),
                        &ip.dst_addr(),
                        &packet,
                        &ChecksumCapabilities::default(),
                    );
                    let Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                        target_addr,
                        lladdr: Some(lladdr),
                    })) = repr
                    else {
                        return (Seen::Other, None);
                    };
                    let target = IpAddr::V6(target_addr);
                    let asker = EthernetAddress::from_bytes(lladdr.as_bytes());
                    let answer = up
                        .contains(&target)
                        .then(|| neighbor_advert(target_addr, ip.src_addr(), asker));
                    (Seen::Asked(target), answer)
                }
                _ => (Seen::Other, None),
            }
        }
        _ => (Seen::Other, None),
    }
}

fn neighbor_advert(target: Ipv6Addr, to: Ipv6Addr, to_mac: EthernetAddress) -> Vec<u8> {
    let mac = mac_of(IpAddr::V6(target));
    let advert = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
        target_addr: target,
        lladdr: Some(mac.into()),
    });
    let ip = Ipv6Repr {
        src_addr: target,
        dst_addr: to,
        next_header: IpProtocol::Icmpv6,
        payload_len: advert.buffer_len(),
        hop_limit: 255,
    };
    let mut out = vec![0; 14 + ip.buffer_len() + advert.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut out[..]);
    EthernetRepr {
        src_addr: mac,
        dst_addr: to_mac,
        ethertype: EthernetProtocol::Ipv6,
    }
    .emit(&mut eth);
    let mut packet = Ipv6Packet::new_unchecked(eth.payload_mut());
    ip.emit(&mut packet);
    advert.emit(
        &target,
        &to,
        &mut Icmpv6Packet::new_unchecked(packet.payload_mut()),
        &ChecksumCapabilities::default(),
    );
    out
}
