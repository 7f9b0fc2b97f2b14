//! smoltcp on the Solo5 net device, and the unikernel event loop.

use crate::api::{Instant, Poll, Service, StackConfig};
use crate::config::IpConfig;
use crate::smol::SmolStack;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use solo5::devices::{DeviceError, NetDevice};

/// Ethernet header bytes on top of the device MTU.
const ETHERNET_HEADER: usize = 14;

/// A Solo5 net device as a smoltcp `Device`.
pub struct Solo5Device {
    net: NetDevice,
    rx: Vec<u8>,
    tx: Vec<u8>,
}

impl Solo5Device {
    /// Wraps an acquired device.
    pub fn new(net: NetDevice) -> Self {
        let frame = net.mtu() as usize + ETHERNET_HEADER;
        Solo5Device {
            net,
            rx: vec![0; frame],
            tx: vec![0; frame],
        }
    }
}

/// A received frame.
pub struct RxToken<'a>(&'a [u8]);

/// Permission to send one frame.
pub struct TxToken<'a> {
    net: &'a NetDevice,
    buf: &'a mut [u8],
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(self.buf.len());
        let frame = &mut self.buf[..len];
        let result = f(frame);
        // A frame the tender could not send is lost, as on a wire; TCP
        // retransmits, UDP callers accept loss.
        let _ = self.net.write(frame);
        result
    }
}

impl phy::Device for Solo5Device {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: smoltcp::time::Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        match self.net.read(&mut self.rx) {
            Ok(Some(len)) => Some((
                RxToken(&self.rx[..len]),
                TxToken {
                    net: &self.net,
                    buf: &mut self.tx,
                },
            )),
            _ => None,
        }
    }

    fn transmit(&mut self, _now: smoltcp::time::Instant) -> Option<TxToken<'_>> {
        Some(TxToken {
            net: &self.net,
            buf: &mut self.tx,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.net.mtu() as usize + ETHERNET_HEADER;
        caps
    }
}

/// The manifest name of every unikernel's network device.
pub const SERVICE_DEVICE: &str = "service";

fn monotonic() -> Instant {
    Instant(solo5::time::monotonic_ns())
}

/// Brings up the `service` net device with `ip` and runs `service` until it
/// exits; returns its exit status. Sleeps in `solo5_yield` until the next
/// frame or deadline, never spins.
pub fn run(
    ip: &IpConfig,
    config: StackConfig,
    service: &mut dyn Service,
) -> Result<i32, DeviceError> {
    let net = NetDevice::acquire(SERVICE_DEVICE)?;
    let mac = net.mac();
    let mut seed = [0u8; 8];
    solo5::entropy::fill(&mut seed);
    let mut stack = SmolStack::new(
        Solo5Device::new(net),
        mac,
        ip,
        config,
        u64::from_le_bytes(seed),
        monotonic(),
    );
    loop {
        stack.set_unix_time(solo5::time::wall_ns() / 1_000_000_000);
        let mut changed = stack.poll_network(monotonic());
        let wanted = match service.poll(&mut stack) {
            Poll::Exit(status) => {
                // Flush what the service queued last.
                stack.poll_network(monotonic());
                return Ok(status);
            }
            Poll::Until(deadline) => deadline,
        };
        changed |= stack.poll_network(monotonic());
        if changed {
            continue;
        }
        let deadline = match (stack.next_deadline(), wanted) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(Instant(u64::MAX)),
        };
        // The ready set does not matter: the next poll reads every frame.
        let _ready = solo5::yield_until(deadline.0);
    }
}
