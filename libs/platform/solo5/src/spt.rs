//! The spt tender interface: the guest runs as a Linux process under a
//! seccomp filter that allows exactly these raw system calls: `write(1)` for
//! the console, `read`/`write` on each net device's tap descriptor,
//! `pread64`/`pwrite64` of one block at a time on each block device,
//! `clock_gettime(MONOTONIC|REALTIME)`, `epoll_pwait` on the tender's epoll
//! set, `timerfd_settime` on its timer, `arch_prctl(ARCH_SET_FS)` and
//! `exit_group`. Anything else kills the guest.

use crate::abi::{SptBootInfo, SPT_ABI_TARGET, SPT_INTERNAL_TIMERFD};
use crate::platform::BootData;
use core::arch::asm;
use core::sync::atomic::{AtomicI32, Ordering};

/// ABI target this build declares in its ABI note.
pub const ABI_TARGET: u32 = SPT_ABI_TARGET;

const SYS_READ: u64 = 0;
const SYS_WRITE: u64 = 1;
const SYS_PREAD64: u64 = 17;
const SYS_PWRITE64: u64 = 18;
const SYS_CLOCK_GETTIME: u64 = 228;
const SYS_EXIT_GROUP: u64 = 231;
const SYS_EPOLL_PWAIT: u64 = 281;
const SYS_TIMERFD_SETTIME: u64 = 286;

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
const TFD_TIMER_ABSTIME: u64 = 1;
const EINTR: i64 = -4;
const EAGAIN: i64 = -11;
const STDOUT: u64 = 1;
/// Net devices are limited by the 64-bit handle set; plus the timer.
const MAX_EPOLL_EVENTS: usize = 65;

static EPOLL_FD: AtomicI32 = AtomicI32::new(-1);
static TIMER_FD: AtomicI32 = AtomicI32::new(-1);

/// A raw system call with up to four arguments.
///
/// # Safety
/// The arguments must be valid for `number` (pointers to live memory of the
/// right size).
unsafe fn syscall4(number: u64, a0: u64, a1: u64, a2: u64, a3: u64) -> i64 {
    let ret: i64;
    // SAFETY: per the caller; `syscall` clobbers rcx and r11.
    unsafe {
        asm!("syscall", inlateout("rax") number as i64 => ret, in("rdi") a0, in("rsi") a1,
             in("rdx") a2, in("r10") a3, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

/// `epoll_pwait` needs six arguments.
unsafe fn syscall6(number: u64, a: [u64; 6]) -> i64 {
    let ret: i64;
    // SAFETY: per the caller; `syscall` clobbers rcx and r11.
    unsafe {
        asm!("syscall", inlateout("rax") number as i64 => ret, in("rdi") a[0], in("rsi") a[1],
             in("rdx") a[2], in("r10") a[3], in("r8") a[4], in("r9") a[5],
             lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

#[repr(C)]
struct Timespec {
    sec: u64,
    nsec: i64,
}

#[repr(C)]
struct Itimerspec {
    interval: Timespec,
    value: Timespec,
}

/// `struct epoll_event` is packed on x86_64.
#[repr(C, packed)]
#[derive(Clone, Copy)]
struct EpollEvent {
    events: u32,
    data: u64,
}

/// Reads the boot info.
///
/// # Safety
/// `arg` must be the pointer the tender passed to `_start`, called once.
pub unsafe fn init(arg: *const u8) -> BootData {
    // SAFETY: per the caller's contract the tender placed the struct there.
    let info = unsafe { *(arg as *const SptBootInfo) };
    EPOLL_FD.store(info.epollfd, Ordering::Relaxed);
    TIMER_FD.store(info.timerfd, Ordering::Relaxed);
    BootData {
        mem_size: info.mem_size,
        cmdline: info.cmdline as *const u8,
        mft: info.mft as *const u8,
    }
}

/// Writes bytes to the console (the tender's stdout).
pub fn puts(bytes: &[u8]) {
    // SAFETY: the buffer is live for the call.
    unsafe {
        syscall4(
            SYS_WRITE,
            STDOUT,
            bytes.as_ptr() as u64,
            bytes.len() as u64,
            0,
        )
    };
}

fn clock(which: u64) -> u64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: ts is a live timespec.
    let ret = unsafe {
        syscall4(
            SYS_CLOCK_GETTIME,
            which,
            &mut ts as *mut Timespec as u64,
            0,
            0,
        )
    };
    if ret != 0 {
        return 0;
    }
    ts.sec
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.nsec as u64)
}

/// Monotonic nanoseconds (the host's CLOCK_MONOTONIC).
pub fn monotonic_ns() -> u64 {
    clock(CLOCK_MONOTONIC)
}

/// Wall-clock nanoseconds since the Unix epoch.
pub fn wall_ns() -> u64 {
    clock(CLOCK_REALTIME)
}

/// Waits until `deadline_ns` (monotonic) or until a device is ready;
/// returns the set of ready handles. Solo5 monotonic time is the host's
/// CLOCK_MONOTONIC, so the deadline goes to the timerfd as an absolute time.
pub fn poll(deadline_ns: u64) -> u64 {
    // A zero it_value would disarm the timer; 1 ns (long past) fires at once.
    let deadline_ns = deadline_ns.max(1);
    let timer = Itimerspec {
        interval: Timespec { sec: 0, nsec: 0 },
        value: Timespec {
            sec: deadline_ns / 1_000_000_000,
            nsec: (deadline_ns % 1_000_000_000) as i64,
        },
    };
    let timer_fd = TIMER_FD.load(Ordering::Relaxed) as u64;
    // SAFETY: timer is a live itimerspec; no old value is requested.
    unsafe {
        syscall4(
            SYS_TIMERFD_SETTIME,
            timer_fd,
            TFD_TIMER_ABSTIME,
            &timer as *const Itimerspec as u64,
            0,
        )
    };
    let mut events = [EpollEvent { events: 0, data: 0 }; MAX_EPOLL_EVENTS];
    let epoll_fd = EPOLL_FD.load(Ordering::Relaxed) as u64;
    let count = loop {
        // SAFETY: events is a live array of MAX_EPOLL_EVENTS entries.
        let ret = unsafe {
            syscall6(
                SYS_EPOLL_PWAIT,
                [
                    epoll_fd,
                    events.as_mut_ptr() as u64,
                    MAX_EPOLL_EVENTS as u64,
                    u64::MAX,
                    0,
                    0,
                ],
            )
        };
        if ret != EINTR {
            break ret;
        }
    };
    let mut ready = 0u64;
    for event in events.iter().take(count.max(0) as usize) {
        let data = event.data;
        if data != SPT_INTERNAL_TIMERFD && data < 64 {
            ready |= 1 << data;
        }
    }
    ready
}

/// Reads one frame from the tap descriptor; `Ok(None)` when none is waiting.
pub fn net_read(_handle: u64, hostfd: u64, buf: &mut [u8]) -> Result<Option<usize>, i32> {
    // SAFETY: buf is live and writable for its length.
    let ret = unsafe {
        syscall4(
            SYS_READ,
            hostfd,
            buf.as_mut_ptr() as u64,
            buf.len() as u64,
            0,
        )
    };
    match ret {
        n if n >= 0 => Ok(Some(n as usize)),
        EAGAIN => Ok(None),
        _ => Err(3),
    }
}

/// Sends one frame.
pub fn net_write(_handle: u64, hostfd: u64, frame: &[u8]) -> Result<(), i32> {
    // SAFETY: frame is live for the call.
    let ret = unsafe {
        syscall4(
            SYS_WRITE,
            hostfd,
            frame.as_ptr() as u64,
            frame.len() as u64,
            0,
        )
    };
    if ret == frame.len() as i64 {
        Ok(())
    } else {
        Err(3)
    }
}

/// Reads one block at `offset`.
pub fn block_read(_handle: u64, hostfd: u64, offset: u64, buf: &mut [u8]) -> Result<(), i32> {
    // SAFETY: buf is live and writable for its length.
    let ret = unsafe {
        syscall4(
            SYS_PREAD64,
            hostfd,
            buf.as_mut_ptr() as u64,
            buf.len() as u64,
            offset,
        )
    };
    if ret == buf.len() as i64 {
        Ok(())
    } else {
        Err(3)
    }
}

/// Writes one block at `offset`.
pub fn block_write(_handle: u64, hostfd: u64, offset: u64, data: &[u8]) -> Result<(), i32> {
    // SAFETY: data is live for the call.
    let ret = unsafe {
        syscall4(
            SYS_PWRITE64,
            hostfd,
            data.as_ptr() as u64,
            data.len() as u64,
            offset,
        )
    };
    if ret == data.len() as i64 {
        Ok(())
    } else {
        Err(3)
    }
}

/// Ends the guest with `status`; the tender process exits with it.
pub fn halt(status: i32) -> ! {
    loop {
        // SAFETY: exit_group does not return.
        unsafe { syscall4(SYS_EXIT_GROUP, status as u64, 0, 0, 0) };
    }
}
