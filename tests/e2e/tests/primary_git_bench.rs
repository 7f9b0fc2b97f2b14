//! Measurements of primary-git (spt image), not a test: ignored by the
//! suite, run by `scripts/bench-primary`. Prints the smallest `--mem` that
//! serves zones-example and a repository with an extra 100 000-record zone,
//! the time from starting the tender to serving, the time from NOTIFY to
//! the new answer and from nsupdate to its acknowledgement (pushed).

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::{short, with_serial, zone_text_serial, TsigKey};
use e2e::{host_binary, image, repo_root, Tender};
use ssh::ClientKey;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVE_LIMIT: Duration = Duration::from_secs(120);

fn records() -> usize {
    std::env::var("BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn boot(net: &TestNet, server: &GitServer, key: &ClientKey, mem: u32) -> Guest {
    let mut command = net.command(Tender::Spt.program());
    command
        .arg(format!("--mem={mem}"))
        .args(["--net:service=tap0", "--"])
        .arg(image("primary-git", Tender::Spt))
        .arg("--ipv4=10.53.0.2/24")
        .args(server.primary_git_args(key));
    Guest::spawn(command)
}

/// Whether the image serves `zones` zones with `mem` MiB; the time to it.
fn serves(
    net: &TestNet,
    server: &GitServer,
    key: &ClientKey,
    mem: u32,
    zones: usize,
) -> Option<Duration> {
    let started = Instant::now();
    let mut guest = boot(net, server, key, mem);
    let needle = format!("serving {zones} zones from commit");
    guest
        .try_wait_for(&needle, SERVE_LIMIT)
        .map(|_| started.elapsed())
}

/// The smallest `--mem` (MiB) with which the image serves `zones` zones.
fn smallest_mem(net: &TestNet, server: &GitServer, key: &ClientKey, zones: usize) -> u32 {
    let (mut low, mut high) = (2u32, 1024u32);
    assert!(
        serves(net, server, key, high, zones).is_some(),
        "does not serve even with {high} MiB"
    );
    while high - low > 1 {
        let mid = (low + high) / 2;
        if serves(net, server, key, mid, zones).is_some() {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn dig(net: &TestNet, name: &str) -> String {
    short(net, "10.53.0.2", name, "A").join("\n")
}

#[test]
#[ignore = "a measurement: scripts/bench-primary runs it"]
fn measure_primary_git() {
    let key = ClientKey::from_seed([5u8; 32]);
    let net = TestNet::up(1);
    let server = GitServer::in_testnet(&net, &key);
    let image_bytes = std::fs::metadata(image("primary-git", Tender::Spt))
        .expect("image")
        .len();
    println!("image primary-git.spt: {image_bytes} bytes");

    let mem = smallest_mem(&net, &server, &key, 2);
    println!("zones-example: smallest --mem {mem} MiB");
    let boots: Vec<Duration> = (0..3)
        .map(|_| serves(&net, &server, &key, 64, 2).expect("serves"))
        .collect();
    println!(
        "zones-example: tender start to serving, median of 3: {:?}",
        median(boots)
    );

    // NOTIFY to new answer, and UPDATE to acknowledgement.
    let mut guest = boot(&net, &server, &key, 64);
    guest.wait_for("serving 2 zones from commit", SERVE_LIMIT);
    let update_key = TsigKey::example("admin._update.example.com");
    let notify_key = update_key.solodns_arg();
    let mut notify_latency = Vec::new();
    let mut update_latency = Vec::new();
    for round in 0..5u32 {
        let name = format!("bench{round}.example.com");
        server.edit_file(
            "example.com",
            // A changed zone needs a greater serial, or it is not served.
            |zone| {
                let serial = zone_text_serial(zone) + 1;
                format!(
                    "{}\n{name}. A 192.0.2.{round}\n",
                    with_serial(zone, serial).trim_end()
                )
            },
            "bench",
        );
        let asked = Instant::now();
        let status = net
            .command(host_binary("solodns"))
            .args(["notify", "10.53.0.2", "example.com", "--key", &notify_key])
            .stdout(Stdio::null())
            .status()
            .expect("solodns notify");
        assert!(status.success());
        while dig(&net, &name) != format!("192.0.2.{round}") {
            assert!(asked.elapsed() < SERVE_LIMIT, "no new answer");
            std::thread::sleep(Duration::from_millis(5));
        }
        notify_latency.push(asked.elapsed());

        let asked = Instant::now();
        let mut nsupdate = net
            .command("nsupdate")
            .args(["-y", &update_key.bind_arg()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("nsupdate");
        nsupdate
            .stdin
            .take()
            .expect("stdin")
            .write_all(
                format!(
                    "server 10.53.0.2\nupdate add dyn{round}.example.com. 60 A 192.0.2.1\nsend\n"
                )
                .as_bytes(),
            )
            .expect("script");
        assert!(nsupdate.wait().expect("nsupdate").success());
        update_latency.push(asked.elapsed());
    }
    println!(
        "NOTIFY to new answer (git fetch over SSH): median of 5 {:?}",
        median(notify_latency)
    );
    println!(
        "nsupdate to NOERROR (commit and push over SSH): median of 5 {:?}",
        median(update_latency)
    );
    drop(guest);

    // A large zone: scripts/gen-zone big.
    let records = records();
    let file = std::env::temp_dir().join(format!("solodns-bench-big-{}", std::process::id()));
    let status = Command::new(repo_root().join("scripts/gen-zone"))
        .args([
            "big",
            &file.display().to_string(),
            "--records",
            &records.to_string(),
        ])
        .status()
        .expect("scripts/gen-zone");
    assert!(status.success());
    let text = std::fs::read_to_string(&file).expect("zone");
    std::fs::remove_file(&file).ok();
    server.push_file("big.example", &text, "a big zone");
    let mem = smallest_mem(&net, &server, &key, 3);
    println!("zones-example + {records}-record zone: smallest --mem {mem} MiB");
    let boots: Vec<Duration> = (0..3)
        .map(|_| serves(&net, &server, &key, 1024, 3).expect("serves"))
        .collect();
    println!(
        "zones-example + {records}-record zone: tender start to serving, median of 3: {:?}",
        median(boots)
    );
}
