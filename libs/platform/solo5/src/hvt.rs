//! The hvt tender interface: hypercalls are a 32-bit `out` to I/O port
//! `0x500 + n` carrying the guest-physical address of an argument struct
//! (guest memory is identity-mapped, so a pointer is its address). The
//! tender fills in the OUT fields before the guest resumes.

use crate::abi::{HvtBootInfo, HVT_ABI_TARGET};
use crate::platform::BootData;
use crate::tscclock::{MonotonicClock, TscScale};
use core::arch::asm;
use core::cell::UnsafeCell;

/// ABI target this build declares in its ABI note.
pub const ABI_TARGET: u32 = HVT_ABI_TARGET;

const HYPERCALL_PIO_BASE: u16 = 0x500;
const HC_WALLTIME: u16 = 1;
const HC_PUTS: u16 = 2;
const HC_POLL: u16 = 3;
const HC_BLOCK_WRITE: u16 = 4;
const HC_BLOCK_READ: u16 = 5;
const HC_NET_WRITE: u16 = 6;
const HC_NET_READ: u16 = 7;
const HC_HALT: u16 = 8;

#[repr(C)]
struct Walltime {
    nsecs: u64,
}

#[repr(C)]
struct Puts {
    data: u64,
    len: u64,
}

#[repr(C)]
struct Poll {
    timeout_nsecs: u64,
    ready_set: u64,
    ret: i32,
}

#[repr(C)]
struct BlockIo {
    handle: u64,
    offset: u64,
    data: u64,
    len: u64,
    ret: i32,
}

#[repr(C)]
struct NetIo {
    handle: u64,
    data: u64,
    len: u64,
    ret: i32,
}

#[repr(C)]
struct Halt {
    cookie: u64,
    exit_status: i32,
}

/// Issues hypercall `number` with `arg`. The asm block is not `nomem`, so the
/// compiler treats it as reading and writing `*arg`.
fn hypercall<T>(number: u16, arg: &mut T) {
    let address = arg as *mut T as u64;
    // hvt guests live below 1 GiB, so every address fits the 32-bit port write.
    debug_assert!(address <= u32::MAX as u64);
    // SAFETY: the port write traps to the tender, which only accesses the
    // argument struct (bounds-checked against guest memory on its side).
    unsafe {
        asm!("out dx, eax", in("dx") HYPERCALL_PIO_BASE + number, in("eax") address as u32,
             options(nostack, preserves_flags));
    }
}

struct Clock(UnsafeCell<Option<(MonotonicClock, u64)>>);
// SAFETY: the guest runs one CPU and never enables interrupts.
unsafe impl Sync for Clock {}
static CLOCK: Clock = Clock(UnsafeCell::new(None));

fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Reads the boot info and calibrates the TSC clock.
///
/// # Safety
/// `arg` must be the pointer the tender passed to `_start`, called once.
pub unsafe fn init(arg: *const u8) -> BootData {
    // SAFETY: per the caller's contract the tender placed the struct there.
    let info = unsafe { *(arg as *const HvtBootInfo) };
    let scale = match TscScale::new(info.cpu_cycle_freq) {
        Some(scale) => scale,
        None => crate::abort_early("hvt tender reported a TSC frequency of 0"),
    };
    let clock = MonotonicClock::new(scale, rdtsc());
    let mut wall = Walltime { nsecs: 0 };
    hypercall(HC_WALLTIME, &mut wall);
    let mut now = clock;
    let epoch_offset = wall.nsecs.wrapping_sub(now.advance(rdtsc()));
    // SAFETY: single-threaded, no reference to CLOCK outlives these calls.
    unsafe { *CLOCK.0.get() = Some((now, epoch_offset)) };
    BootData {
        mem_size: info.mem_size,
        cmdline: info.cmdline as *const u8,
        mft: info.mft as *const u8,
    }
}

/// Writes bytes to the console.
pub fn puts(bytes: &[u8]) {
    let mut args = Puts {
        data: bytes.as_ptr() as u64,
        len: bytes.len() as u64,
    };
    hypercall(HC_PUTS, &mut args);
}

/// Monotonic nanoseconds since the TSC started (Solo5 semantics).
pub fn monotonic_ns() -> u64 {
    // SAFETY: single-threaded; init ran before any caller.
    match unsafe { &mut *CLOCK.0.get() } {
        Some((clock, _)) => clock.advance(rdtsc()),
        None => 0,
    }
}

/// Wall-clock nanoseconds since the Unix epoch (host time at boot plus the
/// monotonic time elapsed since).
pub fn wall_ns() -> u64 {
    // SAFETY: single-threaded; init ran before any caller, and no mutable
    // reference to CLOCK is alive (only init and monotonic_ns take one).
    let offset = match unsafe { &*CLOCK.0.get() } {
        Some((_, offset)) => *offset,
        None => 0,
    };
    monotonic_ns().wrapping_add(offset)
}

/// Waits until `deadline_ns` (monotonic) or until a device is ready;
/// returns the set of ready handles.
pub fn poll(deadline_ns: u64) -> u64 {
    let now = monotonic_ns();
    let mut args = Poll {
        timeout_nsecs: deadline_ns.saturating_sub(now),
        ready_set: 0,
        ret: 0,
    };
    hypercall(HC_POLL, &mut args);
    args.ready_set
}

/// Reads one frame; `Ok(None)` when none is waiting.
pub fn net_read(handle: u64, _backing: u64, buf: &mut [u8]) -> Result<Option<usize>, i32> {
    let mut args = NetIo {
        handle,
        data: buf.as_mut_ptr() as u64,
        len: buf.len() as u64,
        ret: 0,
    };
    hypercall(HC_NET_READ, &mut args);
    match args.ret {
        0 => Ok(Some(args.len as usize)),
        1 => Ok(None),
        other => Err(other),
    }
}

/// Sends one frame.
pub fn net_write(handle: u64, _backing: u64, frame: &[u8]) -> Result<(), i32> {
    let mut args = NetIo {
        handle,
        data: frame.as_ptr() as u64,
        len: frame.len() as u64,
        ret: 0,
    };
    hypercall(HC_NET_WRITE, &mut args);
    if args.ret == 0 {
        Ok(())
    } else {
        Err(args.ret)
    }
}

/// Reads one block at `offset`.
pub fn block_read(handle: u64, _backing: u64, offset: u64, buf: &mut [u8]) -> Result<(), i32> {
    let mut args = BlockIo {
        handle,
        offset,
        data: buf.as_mut_ptr() as u64,
        len: buf.len() as u64,
        ret: 0,
    };
    hypercall(HC_BLOCK_READ, &mut args);
    if args.ret == 0 {
        Ok(())
    } else {
        Err(args.ret)
    }
}

/// Writes one block at `offset`.
pub fn block_write(handle: u64, _backing: u64, offset: u64, data: &[u8]) -> Result<(), i32> {
    let mut args = BlockIo {
        handle,
        offset,
        data: data.as_ptr() as u64,
        len: data.len() as u64,
        ret: 0,
    };
    hypercall(HC_BLOCK_WRITE, &mut args);
    if args.ret == 0 {
        Ok(())
    } else {
        Err(args.ret)
    }
}

/// Ends the guest with `status`; the tender exits with it.
pub fn halt(status: i32) -> ! {
    let mut args = Halt {
        cookie: 0,
        exit_status: status,
    };
    hypercall(HC_HALT, &mut args);
    loop {
        // SAFETY: unreachable after HALT; hlt with interrupts off parks the CPU.
        unsafe { asm!("cli; hlt", options(nomem, nostack)) };
    }
}
