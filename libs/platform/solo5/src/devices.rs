//! Net and block devices, found by their manifest name. A handle is the
//! device's index in the manifest, as in Solo5's C bindings.

use crate::abi::{MftEntry, MftHeader, MftType, MFT_MAX_ENTRIES};
use core::fmt;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

static MANIFEST: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static ACQUIRED: AtomicU64 = AtomicU64::new(0);

/// Errors of device calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceError {
    /// No device of that name and type in the manifest.
    NotInManifest,
    /// The manifest declares it but the tender did not attach it
    /// (e.g. `--net:service=tap0` missing on the tender command line).
    NotAttached,
    /// Each device may be acquired once.
    AlreadyAcquired,
    /// Block I/O must be whole blocks inside the device.
    OutOfRange,
    /// The tender reported a failure (raw `solo5_result_t`).
    Tender(i32),
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::NotInManifest => f.write_str("no such device in the image manifest"),
            DeviceError::NotAttached => f.write_str("device not attached by the tender"),
            DeviceError::AlreadyAcquired => f.write_str("device already acquired"),
            DeviceError::OutOfRange => {
                f.write_str("block I/O must be whole, aligned blocks inside the device")
            }
            DeviceError::Tender(code) => write!(f, "tender reported error {code}"),
        }
    }
}

/// Called by `_start` with the tender's manifest copy.
pub(crate) fn init(mft: *const u8) {
    MANIFEST.store(mft as *mut u8, Ordering::Relaxed);
}

fn entries() -> &'static [MftEntry] {
    let mft = MANIFEST.load(Ordering::Relaxed);
    if mft.is_null() {
        return &[];
    }
    // SAFETY: the tender validated the manifest and keeps it mapped for the
    // guest's lifetime; entries follow the 8-byte header.
    unsafe {
        let header = &*(mft as *const MftHeader);
        let count = (header.entries as usize).min(MFT_MAX_ENTRIES);
        core::slice::from_raw_parts(
            mft.add(core::mem::size_of::<MftHeader>()) as *const MftEntry,
            count,
        )
    }
}

fn acquire(name: &str, kind: MftType) -> Result<(u64, &'static MftEntry), DeviceError> {
    let (index, entry) = entries()
        .iter()
        .enumerate()
        .find(|(_, e)| e.kind == kind as u32 && e.name_bytes() == name.as_bytes())
        .ok_or(DeviceError::NotInManifest)?;
    if entry.attached == 0 {
        return Err(DeviceError::NotAttached);
    }
    let bit = 1u64 << index;
    if ACQUIRED.fetch_or(bit, Ordering::Relaxed) & bit != 0 {
        return Err(DeviceError::AlreadyAcquired);
    }
    Ok((index as u64, entry))
}

/// A set of device handles, as `yield_until` returns it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandleSet(pub u64);

impl HandleSet {
    /// Whether `handle` is in the set.
    pub fn contains(&self, handle: u64) -> bool {
        handle < 64 && self.0 & (1 << handle) != 0
    }
}

/// A network device (ethernet frames).
#[derive(Debug)]
pub struct NetDevice {
    handle: u64,
    backing: u64,
    mac: [u8; 6],
    mtu: u16,
}

impl NetDevice {
    /// Acquires the net device declared as `name` in the manifest.
    pub fn acquire(name: &str) -> Result<NetDevice, DeviceError> {
        let (handle, entry) = acquire(name, MftType::Net)?;
        let (mac, mtu) = entry.net_properties();
        Ok(NetDevice {
            handle,
            backing: entry.backing,
            mac,
            mtu,
        })
    }

    /// The handle that `yield_until` reports when a frame is waiting.
    pub fn handle(&self) -> u64 {
        self.handle
    }

    /// MAC address the tender assigned.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// MTU (payload bytes, the ethernet header excluded).
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// Reads one frame into `buf` (at least MTU + 14 bytes); `Ok(None)` when
    /// no frame is waiting.
    pub fn read(&self, buf: &mut [u8]) -> Result<Option<usize>, DeviceError> {
        crate::platform::net_read(self.handle, self.backing, buf).map_err(DeviceError::Tender)
    }

    /// Sends one frame.
    pub fn write(&self, frame: &[u8]) -> Result<(), DeviceError> {
        crate::platform::net_write(self.handle, self.backing, frame).map_err(DeviceError::Tender)
    }
}

/// A block device: I/O in whole blocks at block-aligned offsets.
#[derive(Debug)]
pub struct BlockDevice {
    handle: u64,
    backing: u64,
    capacity: u64,
    block_size: u16,
}

impl BlockDevice {
    /// Acquires the block device declared as `name` in the manifest.
    pub fn acquire(name: &str) -> Result<BlockDevice, DeviceError> {
        let (handle, entry) = acquire(name, MftType::Block)?;
        let (capacity, block_size) = entry.block_properties();
        Ok(BlockDevice {
            handle,
            backing: entry.backing,
            capacity,
            block_size,
        })
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Block size in bytes.
    pub fn block_size(&self) -> u16 {
        self.block_size
    }

    fn check(&self, offset: u64, len: usize) -> Result<u64, DeviceError> {
        let block = self.block_size as u64;
        let len = len as u64;
        let aligned = block != 0 && offset.is_multiple_of(block) && len.is_multiple_of(block);
        match offset.checked_add(len) {
            Some(end) if aligned && end <= self.capacity => Ok(block),
            _ => Err(DeviceError::OutOfRange),
        }
    }

    /// Reads whole blocks starting at `offset` into `buf`.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let block = self.check(offset, buf.len())? as usize;
        for (i, chunk) in buf.chunks_mut(block).enumerate() {
            let at = offset + (i * block) as u64;
            crate::platform::block_read(self.handle, self.backing, at, chunk)
                .map_err(DeviceError::Tender)?;
        }
        Ok(())
    }

    /// Writes whole blocks starting at `offset`.
    pub fn write(&self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        let block = self.check(offset, data.len())? as usize;
        for (i, chunk) in data.chunks(block).enumerate() {
            let at = offset + (i * block) as u64;
            crate::platform::block_write(self.handle, self.backing, at, chunk)
                .map_err(DeviceError::Tender)?;
        }
        Ok(())
    }
}
