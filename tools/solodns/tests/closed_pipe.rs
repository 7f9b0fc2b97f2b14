//! Output into a closed pipe (`solodns keygen … | head -1`) ends the
//! program quietly, as Unix tools end, with status 141 (128 + SIGPIPE)
//! and no panic message; tested with a real pipe whose reading end is
//! closed before the program writes.

use std::process::{Command, Stdio};

fn run_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    // The reading end is closed before the program starts, so that every
    // write to stdout fails with EPIPE (closing it after the spawn races
    // the program's first write into the pipe's buffer).
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_solodns"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run solodns");
    let output = child.wait_with_output().expect("solodns ends");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_command_exits_quietly_into_a_closed_pipe() {
    let zone = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../zones-example/example.com"
    );
    for args in [
        &["keygen", "x._update.example.com"][..],
        &["keygen", "--algorithm", "sha512", "x._update.example.com"],
        &["keygen", "ssh"],
        &["zone", "check", zone],
        &["--help"],
    ] {
        let (status, stderr) = run_into_closed_pipe(args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        // `--help` goes through clap, which ignores the failed write.
        if args != ["--help"] {
            assert_eq!(status, Some(141), "{args:?}: {stderr}");
        }
    }
}
