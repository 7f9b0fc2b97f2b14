//! IPv4 and IPv6 networking for solodns unikernels behind one small,
//! non-blocking socket API ([`Sockets`]) and a single-threaded event loop
//! that polls a [`Service`]:
//!
//! - in images, [`SmolStack`] (smoltcp: ARP, NDP, ICMP/ICMPv6 echo, UDP,
//!   TCP) on the Solo5 net device named `service`, sleeping in
//!   `solo5_yield` until the next frame or deadline ([`run_solo5`]);
//! - on the host (feature `std`), [`OsStack`]: the same API over OS sockets,
//!   so every unikernel also runs as an ordinary Linux process.
//!
//! UDP datagrams wait for their next hop's ARP/NDP answer in a queue per
//! neighbour (module `neighbor`), so one host that never answers costs the
//! other destinations nothing.
//!
//! The interface's addressing is an [`IpConfig`], built by the unikernel
//! from its boot arguments. Nothing here knows about DNS.
// Unsafe only in `os_batch`: the batched UDP system calls of the host build.
#![deny(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod api;
mod config;
mod neighbor;
mod smol;

#[cfg(test)]
mod fake_lan;
#[cfg(test)]
mod unresolved_tests;

#[cfg(feature = "std")]
mod os;
#[cfg(feature = "std")]
#[allow(unsafe_code)]
mod os_batch;
#[cfg(target_os = "none")]
mod solo5_device;

pub use api::{
    Instant, ListenHandle, NetError, Poll, Service, Sockets, StackConfig, TcpHandle, TcpStatus,
    UdpHandle,
};
pub use config::{Cidr, CidrError, ConfigError, IpConfig};
pub use smol::SmolStack;

#[cfg(feature = "std")]
pub use os::{OsStack, UdpForwarder};
#[cfg(target_os = "none")]
pub use solo5_device::{run as run_solo5, Solo5Device, SERVICE_DEVICE};
