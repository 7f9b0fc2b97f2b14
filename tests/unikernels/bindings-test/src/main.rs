//! Test unikernel (not a product): exercises every part of the Solo5
//! bindings and prints what it saw, one `key: value` line per check, for
//! `tests/e2e` to assert on. Runs as an image only; on the host it just
//! says so.
#![deny(unsafe_code)]
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod image {
    extern crate alloc;
    use alloc::vec::Vec;
    use bootargs::{ArgKind, ArgSpec};
    use solo5::devices::BlockDevice;
    use solo5::{println, StartInfo};

    solo5::manifest! { block "storage" }
    solo5::entry!(main);

    const SPECS: &[ArgSpec] = &[
        ArgSpec {
            name: "exit",
            kind: ArgKind::Value {
                metavar: "STATUS",
                default: Some("0"),
            },
            help: "exit status to end with",
        },
        ArgSpec {
            name: "panic",
            kind: ArgKind::Flag,
            help: "panic after the checks",
        },
        ArgSpec {
            name: "trap",
            kind: ArgKind::Flag,
            help: "read unmapped memory after the checks (a CPU fault)",
        },
        ArgSpec {
            name: "allocations",
            kind: ArgKind::Value {
                metavar: "N",
                default: Some("10000"),
            },
            help: "number of heap allocations to make and free",
        },
        ArgSpec {
            name: "block-seed",
            kind: ArgKind::Value {
                metavar: "BYTE",
                default: Some("7"),
            },
            help: "seed of the pattern written to the block device",
        },
        ArgSpec {
            name: "block-count",
            kind: ArgKind::Value {
                metavar: "N",
                default: Some("8"),
            },
            help: "number of blocks to write and read back",
        },
        ArgSpec {
            name: "sleep-ms",
            kind: ArgKind::Value {
                metavar: "MS",
                default: Some("20"),
            },
            help: "milliseconds to yield with no device ready",
        },
        ArgSpec {
            name: "big-alloc-mib",
            kind: ArgKind::Value {
                metavar: "MIB",
                default: Some("16"),
            },
            help: "size of one large allocation, filled and checked",
        },
        ArgSpec {
            name: "tag",
            kind: ArgKind::Repeated { metavar: "WORD" },
            help: "words echoed back (repeatable)",
        },
    ];

    #[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
    fn main(start: &StartInfo) -> i32 {
        let main_wall_ns = solo5::time::wall_ns();
        println!("main-wall-ns: {main_wall_ns}");
        println!("cmdline: {}", start.cmdline);
        let args = solo5::boot_args("bindings-test", SPECS, start);
        match run(&args, start) {
            Ok(()) => {}
            Err(message) => {
                println!("error: {message}");
                return 1;
            }
        }
        if args.flag("panic").unwrap_or(false) {
            panic!("panic requested by --panic");
        }
        if args.flag("trap").unwrap_or(false) {
            // Below the image, never mapped by either tender: hvt takes a #PF
            // into our IDT, spt's process gets SIGSEGV.
            const UNMAPPED: usize = 0x1000;
            // SAFETY: deliberately faults; execution does not continue.
            let value = unsafe { core::ptr::read_volatile(UNMAPPED as *const u64) };
            println!("trap: read {value:#x} without a fault");
        }
        args.parse_value::<i32>("exit").ok().flatten().unwrap_or(1)
    }

    fn run(args: &bootargs::Args<'_>, start: &StartInfo) -> Result<(), alloc::string::String> {
        use alloc::format;
        let number = |name: &str| -> Result<u64, alloc::string::String> {
            args.parse_required::<u64>(name).map_err(|e| format!("{e}"))
        };
        for tag in args.values("tag").map_err(|e| format!("{e}"))? {
            println!("tag: {tag}");
        }
        println!("exit-requested: {}", number("exit")?);

        // Clocks: monotonic never goes back; a yield lasts at least its deadline.
        let t0 = solo5::time::monotonic_ns();
        let mut previous = t0;
        for _ in 0..1000 {
            let now = solo5::time::monotonic_ns();
            if now < previous {
                return Err(format!("monotonic clock went back: {previous} -> {now}"));
            }
            previous = now;
        }
        let sleep_ns = number("sleep-ms")? * 1_000_000;
        let ready = solo5::yield_until(previous + sleep_ns);
        let slept = solo5::time::monotonic_ns() - previous;
        println!(
            "clock: monotonic ok, yield slept {slept} ns for {sleep_ns} ns, ready set {:#x}",
            ready.0
        );
        if slept < sleep_ns {
            return Err(format!(
                "yield returned after {slept} ns, before its deadline"
            ));
        }
        println!("wall-clock-ns: {}", solo5::time::wall_ns());

        // Heap: many allocations of varied sizes, checked, freed, repeated.
        let rounds = number("allocations")?;
        let mut live: Vec<Vec<u8>> = Vec::new();
        let mut total = 0usize;
        for i in 0..rounds as usize {
            let size = 1 + (i * 7919) % 4096;
            live.push(alloc::vec![(i % 251) as u8; size]);
            total += size;
            if live.len() == 64 {
                for (j, block) in live.iter().enumerate() {
                    let expect = ((i + 1 - 64 + j) % 251) as u8;
                    if block.iter().any(|&b| b != expect) {
                        return Err(format!("heap block {j} corrupted"));
                    }
                }
                live.clear();
            }
        }
        let big_mib = number("big-alloc-mib")? as usize;
        let big: Vec<u8> = alloc::vec![0xa5; big_mib << 20];
        if big.iter().any(|&b| b != 0xa5) {
            return Err(format!("{big_mib} MiB allocation corrupted"));
        }
        drop(big);
        println!(
            "alloc: {rounds} allocations, {total} bytes, ok; heap {} MiB",
            start.heap_size >> 20
        );

        // Randomness.
        let mut random = [0u8; 16];
        solo5::entropy::fill(&mut random);
        print_hex("random", &random);

        // Block device: write a pattern, read it back.
        let disk = BlockDevice::acquire("storage").map_err(|e| format!("block device: {e}"))?;
        let block_size = disk.block_size() as usize;
        let count = number("block-count")? as usize;
        let seed = number("block-seed")? as u8;
        let pattern: Vec<u8> = (0..block_size * count)
            .map(|i| seed.wrapping_add((i / block_size) as u8).wrapping_mul(31) ^ (i as u8))
            .collect();
        disk.write(0, &pattern)
            .map_err(|e| format!("block write: {e}"))?;
        let mut back = alloc::vec![0u8; pattern.len()];
        disk.read(0, &mut back)
            .map_err(|e| format!("block read: {e}"))?;
        if back != pattern {
            return Err("block contents read back differ".into());
        }
        let misaligned = disk.write(1, &pattern[..block_size]).is_err();
        let beyond = disk.read(disk.capacity(), &mut back[..block_size]).is_err();
        println!(
            "block: capacity {} block-size {block_size}, wrote {count} blocks, read back equal, misaligned rejected {misaligned}, beyond end rejected {beyond}",
            disk.capacity()
        );
        Ok(())
    }

    fn print_hex(label: &str, bytes: &[u8]) {
        solo5::print!("{label}: ");
        for b in bytes {
            solo5::print!("{b:02x}");
        }
        println!();
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bindings-test is a Solo5 image: build it with scripts/build-images");
    std::process::exit(2);
}
