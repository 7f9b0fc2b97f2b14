//! git-server: the e2e tests' git server (OpenSSH + the git-shell account,
//! `e2e::gitserver`) as a program, for the benchmarks that boot
//! primary-git's image (`scripts/bench-dns`). Run it inside a test
//! namespace:
//!
//! ```text
//! ip netns exec NAME git-server --listen IP:PORT --dir DIR
//! ```
//!
//! A bare repository holding the files of DIR (a flat directory: zone files
//! and `_keys`) is served on IP:PORT to the holder of a fixed
//! benchmark-only client key. It prints primary-git's boot arguments for it
//! (`--remote`, `--ssh-key`, `--ssh-authenticator`), one a line, then
//! serves until killed. The repository lives under `$TMPDIR` (which the
//! git-shell account must be able to reach), so a caller that sets TMPDIR
//! to a directory it removes leaves nothing behind even when this program
//! is killed; its sshd shares its process group.

use e2e::gitserver::GitServer;
use ssh::ClientKey;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: git-server --listen IP:PORT --dir DIR";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut listen: Option<SocketAddr> = None;
    let mut dir: Option<PathBuf> = None;
    let mut args = argv.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let value = inline.or_else(|| args.next().cloned());
        match (name, value) {
            ("--listen", Some(value)) => match value.parse() {
                Ok(address) => listen = Some(address),
                Err(e) => {
                    eprintln!("git-server: --listen {value}: {e}");
                    return ExitCode::from(2);
                }
            },
            ("--dir", Some(value)) => dir = Some(value.into()),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(listen), Some(dir)) = (listen, dir) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // The seed primary_git_bench.rs uses: a benchmark-only key.
    let key = ClientKey::from_seed([5u8; 32]);
    let server =
        GitServer::start_with(None, listen, &key.authorized_keys_line("primary-git"), &dir);
    let mut out = std::io::stdout().lock();
    for arg in server.primary_git_args(&key) {
        writeln!(out, "{arg}").expect("stdout");
    }
    out.flush().expect("stdout");
    drop(out);
    // Serves until killed (the caller bounds that, e.g. with `timeout`).
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
