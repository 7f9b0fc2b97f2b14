//! The image entry point and the pieces every image carries: ELF notes,
//! heap, panic handler.

use crate::abi::{Abi1Note, Interp, OpenBsdNote};
use crate::platform;
use core::panic::PanicInfo;
use talc::{ErrOnOom, Span, Talc, Talck};

#[used]
#[link_section = ".interp"]
static INTERP: Interp = Interp::VALUE;

#[used]
#[link_section = ".note.solo5.abi"]
static ABI_NOTE: Abi1Note = Abi1Note::new(platform::ABI_TARGET);

#[used]
#[link_section = ".note.solo5.not_openbsd"]
static OPENBSD_NOTE: OpenBsdNote = OpenBsdNote::VALUE;

/// Stack reserved at the top of guest memory (the tender points the stack
/// pointer at the very top); the heap ends below it.
pub const STACK_SIZE: u64 = 1 << 20;
/// Longest command line the tenders pass, terminator included.
const CMDLINE_SIZE: usize = 8192;

#[global_allocator]
static ALLOCATOR: Talck<spin::Mutex<()>, ErrOnOom> = Talc::new(ErrOnOom).lock();

extern "C" {
    /// End of the image, from the linker script (page aligned).
    static _end: u8;
}

extern "Rust" {
    /// The application's main, defined by `solo5::entry!`.
    fn __solo5_app_main(start: &crate::StartInfo) -> i32;
}

/// Where the tenders jump: they pass the boot info pointer and set the stack
/// pointer to the top of guest memory (aligned as after a `call`).
///
/// # Safety
/// Only the tender calls this, once.
#[no_mangle]
#[link_section = ".text.start"]
pub unsafe extern "C" fn _start(boot_info: *const u8) -> ! {
    #[cfg(feature = "hvt")]
    crate::cpu::init();
    // SAFETY: the tender's pointer, once.
    let boot = unsafe { platform::init(boot_info) };
    // Keep the notes referenced so no linker drops them from the image.
    // SAFETY: reading our own statics.
    unsafe {
        core::ptr::read_volatile(&ABI_NOTE.version);
        core::ptr::read_volatile(&OPENBSD_NOTE.data);
        core::ptr::read_volatile(&INTERP.0[0]);
    }

    // SAFETY: `_end` is a linker symbol; only its address is used.
    let heap_start = unsafe { &_end as *const u8 as u64 };
    let heap_end = boot.mem_size.saturating_sub(STACK_SIZE);
    if heap_end <= heap_start {
        crate::abort_early("Solo5: not enough memory for heap and stack (raise --mem)");
    }
    let heap = Span::new(heap_start as *mut u8, heap_end as *mut u8);
    // SAFETY: the span is guest memory nobody else uses: above the image,
    // below the stack.
    if unsafe { ALLOCATOR.lock().claim(heap) }.is_err() {
        crate::abort_early("Solo5: the heap could not be set up");
    }

    crate::devices::init(boot.mft);
    crate::entropy::init();

    // SAFETY: the tender wrote a NUL-terminated string of at most
    // CMDLINE_SIZE bytes and keeps it mapped.
    let raw = unsafe { core::slice::from_raw_parts(boot.cmdline, CMDLINE_SIZE) };
    let len = raw.iter().position(|&b| b == 0).unwrap_or(0);
    let cmdline = match core::str::from_utf8(&raw[..len]) {
        Ok(text) => text,
        Err(_) => crate::abort_early("Solo5: the command line is not UTF-8"),
    };
    let info = crate::StartInfo {
        cmdline,
        heap_start: heap_start as usize,
        heap_size: (heap_end - heap_start) as usize,
    };
    // SAFETY: `solo5::entry!` defines this symbol in the image.
    let status = unsafe { __solo5_app_main(&info) };
    platform::halt(status)
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => crate::console::write_fmt(format_args!(
            "Solo5: panic at {}:{}:{}: {}\n",
            at.file(),
            at.line(),
            at.column(),
            info.message()
        )),
        None => crate::console::write_fmt(format_args!("Solo5: panic: {}\n", info.message())),
    }
    platform::halt(crate::EXIT_ABORT)
}
