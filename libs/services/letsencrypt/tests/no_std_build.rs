//! The crate builds for the unikernel target, `x86_64-unknown-none`, with
//! the soft-float configuration of the workspace's `.cargo/config.toml`
//! (DESIGN.md §5). It builds (not checks): the SIMD paths that the
//! soft-float target cannot take fail in code generation.

use std::path::Path;
use std::process::Command;

#[test]
fn builds_for_x86_64_unknown_none() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    // Not the test runner's target directory (it may be locked while tests
    // run): one shared by every crate's no_std build test, which take turns
    // on its lock and build their common dependencies once (disk: CI's ran out).
    let target_dir = root.join("target/no-std-check");
    let output = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "build",
            "--locked",
            "--target",
            "x86_64-unknown-none",
            "-p",
            "letsencrypt",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo build --target x86_64-unknown-none -p letsencrypt failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
