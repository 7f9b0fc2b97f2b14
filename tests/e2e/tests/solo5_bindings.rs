//! The test unikernel on both tenders: boot arguments, clocks, heap,
//! randomness, block device, exit status, panics and bad arguments.

use e2e::{image, run_guest, GuestRun, TempDir, Tender};
use std::path::Path;
use std::time::Duration;

const IMAGE: &str = "bindings-test";
const BLOCK_SIZE: usize = 512;
const DISK_BLOCKS: usize = 64;
/// spt runs natively: seconds are plenty.
const SPT_LIMIT: Duration = Duration::from_secs(60);
/// hvt is emulated here (~1 µs per guest instruction): keep its runs small.
const HVT_LIMIT: Duration = Duration::from_secs(300);

/// Boots the test image with a fresh zeroed disk; returns the run and the
/// disk's contents afterwards.
fn boot(tender: Tender, guest_args: &[&str]) -> (GuestRun, Vec<u8>) {
    let dir = TempDir::new("bindings");
    let disk = dir.path().join("disk.img");
    std::fs::write(&disk, vec![0u8; BLOCK_SIZE * DISK_BLOCKS]).expect("create disk image");
    let limit = if tender == Tender::Hvt {
        HVT_LIMIT
    } else {
        SPT_LIMIT
    };
    let tender_args = vec![
        format!("--block:storage={}", disk.display()),
        "--mem=64".to_string(),
    ];
    let run = run_guest(
        tender,
        &image(IMAGE, tender),
        &tender_args,
        guest_args,
        limit,
    );
    let contents = std::fs::read(&disk).expect("read disk image back");
    (run, contents)
}

/// The pattern the guest writes: block `b`, byte `i` of the write.
fn expected_pattern(seed: u8, blocks: usize) -> Vec<u8> {
    (0..BLOCK_SIZE * blocks)
        .map(|i| seed.wrapping_add((i / BLOCK_SIZE) as u8).wrapping_mul(31) ^ (i as u8))
        .collect()
}

fn assert_full_run(
    tender: Tender,
    run: &GuestRun,
    disk: &[u8],
    args: &[&str],
    seed: u8,
    blocks: usize,
) {
    assert_eq!(
        run.expect_value("cmdline"),
        args.join(" "),
        "boot arguments echoed\n{run}"
    );
    let clock = run.expect_value("clock");
    assert!(clock.starts_with("monotonic ok"), "{tender:?}: {clock}");
    let alloc = run.expect_value("alloc");
    assert!(alloc.contains("ok"), "{tender:?}: {alloc}");
    let block = run.expect_value("block");
    assert!(block.contains("read back equal"), "{block}");
    assert!(
        block.contains("misaligned rejected true") && block.contains("beyond end rejected true"),
        "{block}"
    );
    let written = &disk[..BLOCK_SIZE * blocks];
    assert!(
        written == expected_pattern(seed, blocks),
        "disk holds what the guest wrote"
    );
    assert!(
        disk[BLOCK_SIZE * blocks..].iter().all(|&b| b == 0),
        "nothing written past the blocks"
    );
    let random = run.expect_value("random");
    assert_eq!(random.len(), 32, "16 random bytes in hex: {random}");
    // The guest's wall clock agrees with the host's to within the run time.
    let main_wall: u64 = run.expect_value("main-wall-ns").parse().expect("a number");
    assert!(
        main_wall >= run.started_wall_ns - 1_000_000_000,
        "guest wall clock far behind the host's"
    );
    eprintln!(
        "{tender:?} boot-to-main: {} ms",
        (main_wall.saturating_sub(run.started_wall_ns)) / 1_000_000
    );
}

#[test]
fn spt_runs_every_check_and_exits_as_asked() {
    let args = [
        "--tag=alpha",
        "--tag=beta",
        "--block-seed=9",
        "--block-count=16",
        "--exit=42",
    ];
    let (run, disk) = boot(Tender::Spt, &args);
    assert_eq!(run.code(), 42, "exit status as requested\n{run}");
    assert_full_run(Tender::Spt, &run, &disk, &args, 9, 16);
    let tags: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("tag: "))
        .collect();
    assert_eq!(tags, ["alpha", "beta"]);
}

#[test]
fn spt_exit_status_zero() {
    let (run, _) = boot(Tender::Spt, &["--allocations=10"]);
    assert_eq!(run.code(), 0, "{run}");
}

#[test]
fn spt_random_bytes_differ_between_boots() {
    let (first, _) = boot(Tender::Spt, &["--allocations=10"]);
    let (second, _) = boot(Tender::Spt, &["--allocations=10"]);
    assert_ne!(first.expect_value("random"), second.expect_value("random"));
}

#[test]
fn spt_unknown_argument_is_one_line_and_nonzero() {
    let (run, _) = boot(Tender::Spt, &["--exit=0", "--bogus=1"]);
    assert_eq!(run.code(), 2, "{run}");
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("bindings-test:"))
        .collect();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(
        errors[0].contains("--bogus"),
        "names the argument: {}",
        errors[0]
    );
}

#[test]
fn spt_malformed_argument_is_one_line_and_nonzero() {
    let (run, _) = boot(Tender::Spt, &["exit=3"]);
    assert_eq!(run.code(), 2, "{run}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("bindings-test:"))
        .expect("an error line");
    // The name, never the value: a value may be a secret (issue 12 §8).
    assert!(line.contains("`exit=…`"), "{line}");
    assert!(!line.contains("exit=3"), "{line}");
}

#[test]
fn spt_bad_value_is_one_line_and_nonzero() {
    let (run, _) = boot(Tender::Spt, &["--block-count=many"]);
    assert_eq!(run.code(), 1, "{run}");
    let line = run.expect_value("error");
    assert!(
        line.contains("--block-count") && line.contains("many"),
        "{line}"
    );
}

#[test]
fn spt_help_lists_every_argument() {
    let (run, _) = boot(Tender::Spt, &["--help"]);
    assert_eq!(run.code(), 0, "{run}");
    for name in [
        "--exit=STATUS",
        "--panic",
        "--allocations=N",
        "--block-seed",
        "--block-count",
        "--sleep-ms",
        "--tag",
    ] {
        assert!(run.stdout.contains(name), "help mentions {name}:\n{run}");
    }
    assert!(run.stdout.contains("10000"), "help shows defaults:\n{run}");
}

#[test]
fn spt_panic_prints_location_and_exits_nonzero() {
    let (run, _) = boot(Tender::Spt, &["--allocations=10", "--panic"]);
    assert_eq!(run.code(), 255, "{run}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Solo5: panic at "))
        .expect("a panic line");
    assert!(
        line.contains("src/main.rs:") && line.ends_with("panic requested by --panic"),
        "{line}"
    );
}

#[test]
fn spt_missing_block_device_is_refused_by_the_tender() {
    let run = run_guest(Tender::Spt, &image(IMAGE, Tender::Spt), &[], &[], SPT_LIMIT);
    assert_ne!(run.code(), 0, "{run}");
    assert!(
        run.stderr.contains("storage"),
        "the tender names the missing device:\n{run}"
    );
}

#[test]
fn hvt_runs_a_small_check_and_exits_as_asked() {
    let args = [
        "--allocations=64",
        "--block-count=2",
        "--block-seed=3",
        "--sleep-ms=5",
        "--big-alloc-mib=1",
        "--exit=7",
    ];
    let (run, disk) = boot(Tender::Hvt, &args);
    assert_eq!(run.code(), 7, "exit status as requested\n{run}");
    assert_full_run(Tender::Hvt, &run, &disk, &args, 3, 2);
}

#[test]
fn hvt_panic_prints_location_and_exits_nonzero() {
    let (run, _) = boot(
        Tender::Hvt,
        &[
            "--allocations=1",
            "--block-count=1",
            "--sleep-ms=1",
            "--big-alloc-mib=1",
            "--panic",
        ],
    );
    assert_eq!(run.code(), 255, "{run}");
    assert!(run.stdout.contains("Solo5: panic at "), "{run}");
}

#[test]
fn images_carry_abi_and_manifest_notes() {
    for tender in [Tender::Hvt, Tender::Spt] {
        let path = image(IMAGE, tender);
        let notes = readelf_notes(&path);
        let target = if tender == Tender::Hvt { "01" } else { "02" };
        // The ABI note: target, then version 2, little-endian u32s.
        let abi = format!("description data: {target} 00 00 00 02 00 00 00");
        assert!(
            notes.contains("0x31494241") && notes.contains(&abi),
            "{tender:?} ABI note in:\n{notes}"
        );
        // The manifest note: version 1, 2 entries (the reserved one and "storage").
        assert!(
            notes.contains("0x3154464d"),
            "{tender:?} manifest note in:\n{notes}"
        );
        assert!(
            notes.contains("01 00 00 00 02 00 00 00"),
            "{tender:?} manifest header in:\n{notes}"
        );
    }
}

fn readelf_notes(path: &Path) -> String {
    let output = std::process::Command::new("readelf")
        .arg("-n")
        .arg(path)
        .output()
        .expect("run readelf");
    assert!(
        output.status.success(),
        "readelf -n {} failed",
        path.display()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn hvt_cpu_fault_is_reported_and_exits_nonzero() {
    let (run, _) = boot(
        Tender::Hvt,
        &[
            "--allocations=1",
            "--block-count=1",
            "--sleep-ms=1",
            "--big-alloc-mib=1",
            "--trap",
        ],
    );
    assert_eq!(run.code(), 255, "{run}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Solo5: trap: "))
        .expect("a trap line");
    assert!(
        line.contains("type=#PF") && line.contains("cr2=0x1000"),
        "{line}"
    );
}
