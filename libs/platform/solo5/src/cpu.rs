//! x86_64 CPU setup for hvt guests: our own GDT (the tender's sits in a page
//! the guest cannot read, and the CPU reads the GDT on every trap) and an IDT
//! whose exception handlers print the trap and halt with status 255.
//! Interrupts stay disabled: Solo5 guests poll, they take no IRQs.
//! spt guests are Linux processes; faults there end the tender process.

use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;

const CODE_SELECTOR: u16 = 0x08;
const DATA_SELECTOR: u16 = 0x10;
/// 64-bit code and flat data descriptors (as Solo5's `cpu_x86_64.h`).
const GDT: [u64; 3] = [0, 0x00af_9b00_0000_ffff, 0x00cf_9300_0000_ffff];
const EXCEPTIONS: usize = 32;

#[repr(C, align(16))]
struct Tables {
    gdt: [u64; 3],
    idt: [[u64; 2]; EXCEPTIONS],
}

struct Shared(UnsafeCell<Tables>);
// SAFETY: written once by `init` on the only CPU before anything else runs.
unsafe impl Sync for Shared {}
static TABLES: Shared = Shared(UnsafeCell::new(Tables {
    gdt: GDT,
    idt: [[0; 2]; EXCEPTIONS],
}));

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

// One stub per exception vector: push a zero error code where the CPU pushes
// none, push the vector, then call the common Rust handler with a pointer to
// [vector, error code, rip, cs, rflags, rsp, ss].
global_asm!(
    r#"
    .macro SOLO5_TRAP vector, has_error_code
    .global solo5_trap_\vector
    solo5_trap_\vector:
    .if \has_error_code == 0
        push 0
    .endif
        push \vector
        jmp solo5_trap_common
    .endm

    .section .text.solo5_traps, "ax"
    solo5_trap_common:
        cld
        mov rdi, rsp
        and rsp, -16
        call {handler}
        ud2

    SOLO5_TRAP 0, 0
    SOLO5_TRAP 1, 0
    SOLO5_TRAP 2, 0
    SOLO5_TRAP 3, 0
    SOLO5_TRAP 4, 0
    SOLO5_TRAP 5, 0
    SOLO5_TRAP 6, 0
    SOLO5_TRAP 7, 0
    SOLO5_TRAP 8, 1
    SOLO5_TRAP 9, 0
    SOLO5_TRAP 10, 1
    SOLO5_TRAP 11, 1
    SOLO5_TRAP 12, 1
    SOLO5_TRAP 13, 1
    SOLO5_TRAP 14, 1
    SOLO5_TRAP 15, 0
    SOLO5_TRAP 16, 0
    SOLO5_TRAP 17, 1
    SOLO5_TRAP 18, 0
    SOLO5_TRAP 19, 0
    SOLO5_TRAP 20, 0
    SOLO5_TRAP 21, 1
    SOLO5_TRAP 22, 0
    SOLO5_TRAP 23, 0
    SOLO5_TRAP 24, 0
    SOLO5_TRAP 25, 0
    SOLO5_TRAP 26, 0
    SOLO5_TRAP 27, 0
    SOLO5_TRAP 28, 0
    SOLO5_TRAP 29, 1
    SOLO5_TRAP 30, 1
    SOLO5_TRAP 31, 0

    .section .rodata.solo5_traps, "a"
    .balign 8
    .global solo5_trap_table
    solo5_trap_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad solo5_trap_\v
    .endr
    .text
    "#,
    handler = sym trap_handler,
);

extern "C" {
    static solo5_trap_table: [u64; EXCEPTIONS];
}

const NAMES: [&str; EXCEPTIONS] = [
    "#DE", "#DB", "#NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP", "#SS",
    "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25",
    "#26", "#27", "#28", "#HV", "#VC", "#SX",
];

extern "C" fn trap_handler(frame: *const u64) -> ! {
    // SAFETY: the stub passes its stack pointer; the CPU pushed at least the
    // five interrupt-frame words above vector and error code.
    let f = unsafe { core::slice::from_raw_parts(frame, 7) };
    let vector = f[0] as usize % EXCEPTIONS;
    let cr2: u64;
    // SAFETY: reading cr2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack, preserves_flags)) };
    crate::console::write_fmt(format_args!(
        "Solo5: trap: type={} ec={:#x} rip={:#x} rsp={:#x} rflags={:#x} cr2={:#x}\n",
        NAMES[vector], f[1], f[2], f[5], f[4], cr2
    ));
    crate::platform::halt(crate::EXIT_ABORT)
}

/// Loads our GDT and IDT. Must run first in `_start`, before anything can trap.
pub fn init() {
    // SAFETY: runs once, single CPU, before any other access to TABLES.
    let tables = unsafe { &mut *TABLES.0.get() };
    for (vector, gate) in tables.idt.iter_mut().enumerate() {
        // SAFETY: the table is a static of EXCEPTIONS addresses.
        let handler = unsafe { solo5_trap_table[vector] };
        // 64-bit interrupt gate, present, DPL 0, no IST.
        gate[0] = (handler & 0xffff)
            | ((CODE_SELECTOR as u64) << 16)
            | (0x8e << 40)
            | ((handler >> 16) & 0xffff) << 48;
        gate[1] = handler >> 32;
    }
    let gdt = DescriptorPointer {
        limit: (core::mem::size_of_val(&tables.gdt) - 1) as u16,
        base: tables.gdt.as_ptr() as u64,
    };
    let idt = DescriptorPointer {
        limit: (core::mem::size_of_val(&tables.idt) - 1) as u16,
        base: tables.idt.as_ptr() as u64,
    };
    // SAFETY: the descriptors describe valid static tables; the far return
    // reloads CS from the new GDT, then the data segments.
    unsafe {
        asm!(
            "lgdt [{gdt}]",
            "push {code}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ss, {data:x}",
            "mov ds, {data:x}",
            "mov es, {data:x}",
            "lidt [{idt}]",
            gdt = in(reg) &gdt,
            idt = in(reg) &idt,
            code = const CODE_SELECTOR as u64,
            data = in(reg) DATA_SELECTOR as u64,
            tmp = out(reg) _,
        );
    }
}
