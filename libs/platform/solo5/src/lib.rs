//! Solo5 guest bindings in Rust, for the `hvt` and `spt` tenders of Solo5
//! 0.8 and later (ABI version 2), with no C in the guest.
//!
//! An image is an ordinary `#![no_std] #![no_main]` binary crate built for
//! `x86_64-unknown-none` with exactly one of the features `hvt` or `spt`:
//!
//! ```text
//! #![no_std]
//! #![no_main]
//! solo5::manifest! { net "service", block "storage" }
//! solo5::entry!(main);
//! fn main(start: &solo5::StartInfo) -> i32 {
//!     solo5::println!("hello, {}", start.cmdline);
//!     0
//! }
//! ```
//!
//! # What this crate provides
//! - `_start`: CPU setup (hvt: own GDT and an IDT whose handlers print the
//!   trap and halt), boot info, heap (a `talc` allocator over guest memory
//!   from the end of the image to [`STACK_SIZE`] below the top), DRBG
//!   seeding, then the application's main; its return value is the exit
//!   status. Panics print `Solo5: panic at file:line:column: message` and
//!   exit with status 255 ([`EXIT_ABORT`]).
//! - ELF notes: the ABI note (target hvt = 1 or spt = 2, version 2), the
//!   manifest note declared with [`manifest!`], the OpenBSD note and
//!   `.interp`; the linker script `solo5.ld` (placed on the link path by the
//!   build script and passed by `.cargo/config.toml`).
//! - [`console`], [`time`], [`devices`] (net and block by manifest name),
//!   [`yield_until`], [`exit`], [`abort`], [`entropy`].
//!
//! # The tender interface
//! **hvt** (a KVM guest): the tender enters `_start(struct hvt_boot_info *)`
//! in 64-bit mode with identity-mapped memory, stack at the top of memory.
//! A hypercall is `out dx, eax` with `dx = 0x500 + n` and `eax` the guest
//! address of an argument struct: 1 WALLTIME `{out nsecs}`, 2 PUTS
//! `{data, len}`, 3 POLL `{timeout_nsecs; out ready_set, ret}`,
//! 4 BLOCK_WRITE / 5 BLOCK_READ `{handle, offset, data, len; out ret}`,
//! 6 NET_WRITE / 7 NET_READ `{handle, data, len; out len, ret}`, 8 HALT
//! `{cookie, exit_status}`. Monotonic time is the TSC scaled by the
//! frequency in the boot info; wall time is the WALLTIME at boot plus it.
//!
//! **spt** (a seccomp-confined Linux process): `_start(struct spt_boot_info *)`;
//! the "hypercalls" are raw Linux system calls that the tender's seccomp
//! filter allows: `write(1)` (console), `read`/`write` on each net device's
//! tap descriptor from the manifest, `pread64`/`pwrite64` of exactly one
//! block on each block device, `clock_gettime(CLOCK_MONOTONIC | CLOCK_REALTIME)`,
//! `timerfd_settime` on the tender's timer and `epoll_pwait` on its epoll
//! set (yield; epoll data is the device handle, `~1u` the timer),
//! `exit_group`. Any other system call kills the guest.
//!
//! Handles are manifest indices; the ready set of a yield has bit `h` set
//! when device `h` has input.
//!
//! On the host (any target but `x86_64-unknown-none`) only the pure parts
//! ([`abi`], [`tscclock`]) and the macros exist, so they can be unit-tested
//! and so unikernel crates also build as host programs.
#![no_std]
#![warn(missing_docs)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(all(target_os = "none", feature = "hvt", feature = "spt"))]
compile_error!("solo5: enable exactly one of the features `hvt` and `spt`, not both");
#[cfg(all(target_os = "none", not(any(feature = "hvt", feature = "spt"))))]
compile_error!("solo5: an image needs `--features solo5/hvt` or `--features solo5/spt`");

pub mod abi;
pub mod tscclock;

#[cfg(target_os = "none")]
pub mod console;
#[cfg(all(target_os = "none", feature = "hvt"))]
mod cpu;
#[cfg(target_os = "none")]
pub mod devices;
#[cfg(target_os = "none")]
pub mod entropy;
#[cfg(all(target_os = "none", feature = "hvt"))]
mod hvt;
#[cfg(target_os = "none")]
mod platform;
#[cfg(all(target_os = "none", feature = "spt"))]
mod spt;
#[cfg(target_os = "none")]
mod start;

#[cfg(target_os = "none")]
pub use start::STACK_SIZE;

/// Critical sections for crates that ask for them (hickory-proto's no_std
/// randomness): a guest runs one CPU and never enables interrupts, so there
/// is nothing to exclude.
#[cfg(target_os = "none")]
mod single_core {
    struct SingleCore;
    critical_section::set_impl!(SingleCore);
    // SAFETY: one CPU, interrupts always disabled: no concurrent access.
    unsafe impl critical_section::Impl for SingleCore {
        unsafe fn acquire() -> critical_section::RawRestoreState {}
        unsafe fn release(_: critical_section::RawRestoreState) {}
    }
}

/// Exit status of an aborted guest (`SOLO5_EXIT_ABORT`).
pub const EXIT_ABORT: i32 = 255;

/// What the application's main receives.
#[derive(Debug)]
pub struct StartInfo {
    /// The command line the tender passed after `--` (arguments joined by spaces).
    pub cmdline: &'static str,
    /// Start address of the heap that the global allocator manages.
    pub heap_start: usize,
    /// Size of that heap in bytes.
    pub heap_size: usize,
}

/// Clocks, in nanoseconds.
#[cfg(target_os = "none")]
pub mod time {
    /// Monotonic time: never goes backwards; the epoch is unspecified.
    pub fn monotonic_ns() -> u64 {
        crate::platform::monotonic_ns()
    }

    /// Wall-clock time since the Unix epoch, as the host sees it.
    pub fn wall_ns() -> u64 {
        crate::platform::wall_ns()
    }
}

/// Sleeps until the monotonic time `deadline_ns` or until a device has
/// input, whichever comes first; returns the devices that have input.
#[cfg(target_os = "none")]
pub fn yield_until(deadline_ns: u64) -> devices::HandleSet {
    devices::HandleSet(platform::poll(deadline_ns))
}

/// Ends the guest; the tender exits with `status`.
#[cfg(target_os = "none")]
pub fn exit(status: i32) -> ! {
    platform::halt(status)
}

/// Prints `Solo5: abort: <message>` and ends the guest with [`EXIT_ABORT`].
#[cfg(target_os = "none")]
pub fn abort(message: &str) -> ! {
    console::write_fmt(format_args!("Solo5: abort: {message}\n"));
    platform::halt(EXIT_ABORT)
}

/// Parses the boot arguments against `specs`, the way every solodns
/// program does ([`bootargs::parse_or_exit`]): `--help` prints the help text
/// and exits 0; a bad argument prints `<program>: <error>` on one line and
/// exits with status 2.
#[cfg(target_os = "none")]
pub fn boot_args<'s>(
    program: &str,
    specs: &'s [bootargs::ArgSpec],
    start: &StartInfo,
) -> bootargs::Args<'s> {
    bootargs::parse_or_exit(
        program,
        specs,
        start.cmdline,
        &mut |text| console::write(text.as_bytes()),
        exit,
    )
}

/// Aborts during boot, before anything else is set up.
#[cfg(target_os = "none")]
pub(crate) fn abort_early(message: &str) -> ! {
    console::write(message.as_bytes());
    console::write(b"\n");
    platform::halt(EXIT_ABORT)
}

/// Declares the image's devices in its `.note.solo5.manifest`:
/// `solo5::manifest! { net "service", block "storage" }` (or empty).
/// Names have at most 67 bytes; a longer one fails to compile.
#[macro_export]
macro_rules! manifest {
    ($($kind:ident $name:literal),* $(,)?) => {
        #[used]
        #[link_section = ".note.solo5.manifest"]
        static __SOLO5_MANIFEST: $crate::abi::Mft1Note<{ 1 + <[&str]>::len(&[$($name),*]) }> =
            $crate::abi::Mft1Note::new([
                $crate::abi::MftEntry::RESERVED_FIRST,
                $($crate::abi::MftEntry::new($name, $crate::manifest!(@kind $kind))),*
            ]);
    };
    (@kind net) => { $crate::abi::MftType::Net };
    (@kind block) => { $crate::abi::MftType::Block };
}

/// Names the application's main, `fn(&solo5::StartInfo) -> i32`; its return
/// value is the guest's exit status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[cfg(target_os = "none")]
        #[no_mangle]
        fn __solo5_app_main(start: &$crate::StartInfo) -> i32 {
            let main: fn(&$crate::StartInfo) -> i32 = $main;
            main(start)
        }
    };
}
