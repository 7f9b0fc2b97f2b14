//! `solodns zone check` with `$INCLUDE`: files of the zone's directory (or
//! `--root`), nothing outside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn solodns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solodns"))
        .args(args)
        .output()
        .expect("solodns runs")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("solodns-include-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("keys")).expect("temp dir");
    d
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let p = dir.join(file);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf-8").to_owned()
}

const ZONE: &str = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\n";

#[test]
fn included_files_load_and_bad_includes_are_refused_with_the_path() {
    let d = tmpdir("check");
    write(&d, "keys/ns", "ns A 192.0.2.1\n");
    let f = write(&d, "example.com", &format!("{ZONE}$INCLUDE keys/ns\n"));
    let out = solodns(&["zone", "check", &f]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "example.com: serial 1, 3 records, OK\n"
    );

    // An error in the included file names it, with line and column.
    write(&d, "keys/ns", "ns A 192.0.2.300\n");
    let out = solodns(&["zone", "check", &f]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let shown = d.join("keys/ns");
    assert!(
        err.starts_with(&format!("{}:1:6: ", shown.display())),
        "{err}"
    );

    std::os::unix::fs::symlink("/etc/passwd", d.join("keys/link")).expect("symlink");
    for (line, message) in [
        ("$INCLUDE /etc/passwd", "absolute paths are refused"),
        (
            "$INCLUDE ../../../../etc/passwd",
            "the path leaves the zone tree",
        ),
        (
            "$INCLUDE keys/missing",
            "no such file in the zone tree (looked for keys/missing)",
        ),
        (
            "$INCLUDE keys/link",
            "keys/link: a symbolic link (not followed",
        ),
        (
            "$INCLUDE example.com",
            "include loop: example.com -> example.com",
        ),
    ] {
        let f = write(&d, "example.com", &format!("{ZONE}{line}\n"));
        let out = solodns(&["zone", "check", &f]);
        assert!(!out.status.success(), "{line}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("example.com:4:10: $INCLUDE "), "{line}: {err}");
        assert!(err.contains(message), "{line}: {err}");
    }
}

#[test]
fn root_sets_the_tree() {
    let d = tmpdir("root");
    std::fs::create_dir_all(d.join("zones")).expect("dir");
    write(&d, "keys/ns", "ns A 192.0.2.1\n");
    let f = write(
        &d,
        "zones/example.com",
        &format!("{ZONE}$INCLUDE keys/ns\n"),
    );
    // From the file's directory, keys/ns is zones/keys/ns: not there.
    let out = solodns(&["zone", "check", &f]);
    assert!(!out.status.success());
    let root = d.to_str().expect("utf-8");
    let out = solodns(&["zone", "check", "--root", root, &f]);
    assert!(out.status.success(), "{out:?}");
    let out = solodns(&["zone", "check", "--root", &format!("{root}/keys"), &f]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not inside --root"));
}
