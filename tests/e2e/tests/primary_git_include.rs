//! Issue 13: primary-git (spt image) serves a zone that `$INCLUDE`s a file
//! of a subdirectory of its repository, against real OpenSSH + git-shell
//! and git: a push that changes only the included file, announced by
//! NOTIFY, reloads the including zone; a push that makes the include
//! escape the tree is reported with the path, and the last good version
//! keeps serving.

use e2e::gitserver::GitServer;
use e2e::net::TestNet;
use e2e::peers::{short, with_serial, TsigKey};
use e2e::{host_binary, image, Tender};
use ssh::ClientKey;
use std::time::{Duration, Instant};

const READY: Duration = Duration::from_secs(30);
const PRIMARY: &str = "10.53.0.2";
const UPDATE_KEY: &str = "admin._update.example.com";

fn notify(net: &TestNet) {
    let key = TsigKey::example(UPDATE_KEY).solodns_arg();
    let output = net
        .command(host_binary("solodns"))
        .args(["notify", PRIMARY, "example.com", "--key", &key])
        .output()
        .expect("run solodns notify");
    assert!(
        output.status.success(),
        "solodns notify: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn wait_answer(net: &TestNet, name: &str, expected: &str) -> Duration {
    let start = Instant::now();
    loop {
        let answer = short(net, PRIMARY, name, "A").join("\n");
        if answer == expected {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < READY,
            "{name} A is {answer:?}, not {expected:?}, after {READY:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_push_to_an_included_file_reloads_the_zone_that_includes_it() {
    let key = ClientKey::from_seed([9u8; 32]);
    let net = TestNet::up(1);
    let server = GitServer::in_testnet(&net, &key);
    // The operator's working copy: the included file lives in hosts/.
    let work = server.bare().parent().expect("a parent").join("work");
    std::fs::create_dir_all(work.join("hosts")).expect("create hosts/");
    server.push_file(
        "hosts/www",
        "included A 192.0.2.201\n",
        "hosts in a file of their own",
    );
    server.edit_file(
        "example.com",
        |zone| {
            format!(
                "{}\n$INCLUDE hosts/www\n",
                with_serial(zone, 2026112302).trim_end()
            )
        },
        "include hosts/www",
    );

    let mut args = server.primary_git_args(&key);
    args.push(format!("--ipv4={PRIMARY}/24"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut primary = net.boot(
        Tender::Spt,
        &image("primary-git", Tender::Spt),
        "tap0",
        &args,
    );
    primary.wait_for("serving 2 zones from commit", READY);
    assert_eq!(
        short(&net, PRIMARY, "included.example.com", "A").join("\n"),
        "192.0.2.201"
    );

    // Only the included file changes: the zone changed under its old
    // serial, which is refused like any such change; with the serial of
    // the including file bumped, the NOTIFY reloads example.com.
    server.push_file("hosts/www", "included A 192.0.2.202\n", "www moves");
    notify(&net);
    let line = primary.wait_for("changed but serial", READY);
    assert!(line.contains("example.com"), "{line}");
    assert_eq!(
        short(&net, PRIMARY, "included.example.com", "A").join("\n"),
        "192.0.2.201"
    );
    server.edit_file(
        "example.com",
        |zone| with_serial(zone, 2026112303),
        "serial for the www move",
    );
    let asked = Instant::now();
    notify(&net);
    wait_answer(&net, "included.example.com", "192.0.2.202");
    println!(
        "push of the included file to new answer: {:?}",
        asked.elapsed()
    );
    primary.wait_for("loaded example.com serial 2026112303", READY);

    // A broken included file: reported under its path, with line and
    // column; the last good version keeps serving.
    server.push_file("hosts/www", "included A 192.0.2.300\n", "a typo");
    notify(&net);
    let line = primary.wait_for("hosts/www:", READY);
    assert!(
        line.contains("hosts/www:1:12:") && line.contains("192.0.2.300"),
        "{line}"
    );
    primary.wait_for("example.com keeps serving its last good version", READY);

    // An include that leaves the tree is refused, naming the path.
    server.push_file("hosts/www", "included A 192.0.2.203\n", "fixed");
    server.edit_file(
        "example.com",
        |zone| {
            format!(
                "{}\n$INCLUDE ../../etc/passwd\n",
                with_serial(zone, 2026112304).trim_end()
            )
        },
        "escape",
    );
    notify(&net);
    let line = primary.wait_for("$INCLUDE ../../etc/passwd", READY);
    assert!(line.contains("the path leaves the zone tree"), "{line}");
    primary.wait_for("example.com keeps serving its last good version", READY);
    assert_eq!(
        short(&net, PRIMARY, "included.example.com", "A").join("\n"),
        "192.0.2.202"
    );
}
