//! `solodns zone check`: summary line, file:line:column errors, --old.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn solodns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solodns"))
        .args(args)
        .output()
        .expect("solodns runs")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("solodns-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

const ZONE: &str =
    "$TTL 300\n@ SOA ns hostmaster 2026112301 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";

#[test]
fn success_prints_a_summary() {
    let d = tmpdir("ok");
    let f = write(&d, "example.com", ZONE);
    let out = solodns(&["zone", "check", &f]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "example.com: serial 2026112301, 3 records, OK\n"
    );
    // --origin overrides the file name.
    let f2 = write(&d, "zonefile", ZONE);
    let out = solodns(&["zone", "check", &f2, "--origin", "example.net"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "example.net: serial 2026112301, 3 records, OK\n"
    );
}

#[test]
fn syntax_error_exact_position() {
    let d = tmpdir("syntax");
    let f = write(
        &d,
        "example.com",
        &format!("{ZONE}www 3600 IM A 192.0.2.2\nok A 192.0.2.3\nbad A 192.0.2\n"),
    );
    let out = solodns(&["zone", "check", &f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{f}:5:10: expected a class or a type, found \"IM\"\n{f}:7:7: expected an IPv4 address, found \"192.0.2\"\n"
        )
    );
}

#[test]
fn old_zone_serial_must_increase() {
    let d = tmpdir("old");
    let old = write(&d, "old", ZONE);
    let same = write(&d, "example.com", ZONE);
    // Unchanged content: fine with the same serial.
    assert!(solodns(&["zone", "check", &same, "--old", &old])
        .status
        .success());
    // Changed content, same serial: rejected.
    let changed = write(&d, "example.com", &format!("{ZONE}www A 192.0.2.80\n"));
    let out = solodns(&["zone", "check", &changed, "--old", &old]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("changed but serial 2026112301 not increased from 2026112301"),
        "{err}"
    );
    // Changed content, serial increased: accepted.
    let bumped = write(
        &d,
        "example.com",
        &format!(
            "{}www A 192.0.2.80\n",
            ZONE.replace("2026112301", "2026112302")
        ),
    );
    assert!(solodns(&["zone", "check", &bumped, "--old", &old])
        .status
        .success());
    // Serial wrapped around per RFC 1982: 4294967295 -> 5 is an increase.
    let old_high = write(&d, "old-high", &ZONE.replace("2026112301", "4294967295"));
    let wrapped = write(
        &d,
        "example.com",
        &format!("{}www A 192.0.2.80\n", ZONE.replace("2026112301", "5")),
    );
    assert!(solodns(&["zone", "check", &wrapped, "--old", &old_high])
        .status
        .success());
}

#[test]
fn validation_errors_fail() {
    let d = tmpdir("invalid");
    let f = write(&d, "example.com", "$TTL 300\nns A 192.0.2.1\n");
    let out = solodns(&["zone", "check", &f]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{f}: no SOA record at the zone apex example.com.")),
        "{err}"
    );
}

#[test]
fn zones_example_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../zones-example");
    for zone in ["example.com", "example.org"] {
        let out = solodns(&["zone", "check", dir.join(zone).to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{zone}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
