//! Selects the tender interface the image is built for.

#[cfg(feature = "hvt")]
pub use crate::hvt::*;
#[cfg(feature = "spt")]
pub use crate::spt::*;

/// What `_start` learns from the tender's boot info.
pub struct BootData {
    /// Guest memory size in bytes; the stack starts at its top.
    pub mem_size: u64,
    /// The command line, a C string of at most 8192 bytes.
    pub cmdline: *const u8,
    /// The manifest with attached devices.
    pub mft: *const u8,
}
