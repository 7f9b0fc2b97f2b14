//! The seed's flow with both of our images (spt, in a namespace of the
//! test's own): primary-git serves a git repository whose `_keys` name our
//! secondary in a transfer key; an operator pushes a change and sends
//! `solodns notify` to the primary; the primary fetches, reloads and
//! notifies the secondary, which transfers the change by IXFR and answers
//! it within seconds, with nothing done on the secondary.

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::{run_in, short, wait_for_serial, with_serial, zone_text_serial, TsigKey};
use e2e::{image, repo_root, Tender};
use ssh::ClientKey;
use std::time::{Duration, Instant};

const PRIMARY: &str = "10.53.0.3";
const SECONDARY: &str = "10.53.0.2";
const TRANSFER_KEY: &str = "10.53.0.3.10.53.0.2._transfer.example.com";
const READY: Duration = Duration::from_secs(30);

#[test]
fn a_git_push_and_notify_reach_the_secondary_within_seconds() {
    // The operator's working copy pushes into a bare repository owned by
    // the git-shell account: git wants that directory declared safe in
    // the global configuration (`-c safe.directory` does not reach the
    // receiving side). This test's own global configuration says so.
    let git_config = e2e::TempDir::new("secondary-gitconfig");
    let global = git_config.path().join("gitconfig");
    std::fs::write(&global, "[safe]\n\tdirectory = *\n").expect("write gitconfig");
    std::env::set_var("GIT_CONFIG_GLOBAL", &global);
    let net = TestNet::up(2);
    let client_key = ClientKey::from_seed([7u8; 32]);
    let server = GitServer::in_testnet(&net, &client_key);
    // The repository's transfer keys name our secondary at 10.53.0.2 (the
    // zone's ns2) with the primary at 10.53.0.3: primary-git serves
    // transfers to the key's holder and notifies 10.53.0.2, signed with
    // it, after every change. (zones-example's own transfer keys name
    // another primary; they go, or the NOTIFY to 10.53.0.2 would be
    // signed with a key our secondary does not hold.)
    let secret = e2e::example_key_secret("10.53.0.1.10.53.0.2._transfer.example.com.");
    let transfer = TsigKey {
        name: TRANSFER_KEY.into(),
        secret: secret.clone(),
    };
    let keys: String = std::fs::read_to_string(repo_root().join("zones-example/_keys"))
        .expect("_keys")
        .lines()
        .filter(|line| !line.contains("._transfer."))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        + &format!("{TRANSFER_KEY}. DNSKEY 0 3 163 {secret}\n");
    server.push_file(
        "_keys",
        &keys,
        "the transfer key of the secondary at 10.53.0.2",
    );

    // zones-example as it is: with the IPv6 glue of ns1 and ns2, which an
    // image without IPv6 must not try to notify (it would hold up the
    // NOTIFY to us).
    let zone = std::fs::read_to_string(repo_root().join("zones-example/example.com"))
        .expect("example.com");

    let mut primary_args = server.primary_git_args(&client_key);
    primary_args.push(format!("--ipv4={PRIMARY}/24"));
    let primary_args: Vec<&str> = primary_args.iter().map(String::as_str).collect();
    let mut primary = net.boot(
        Tender::Spt,
        &image("primary-git", Tender::Spt),
        "tap0",
        &primary_args,
    );
    primary.wait_for("serving 2 zones from commit", READY);

    let keys_arg = format!("--keys={}", transfer.solodns_arg());
    let mut secondary = net.boot(
        Tender::Spt,
        &image("secondary", Tender::Spt),
        "tap1",
        &[
            &format!("--ipv4={SECONDARY}/24"),
            &keys_arg,
            "--log-level=debug",
        ],
    );
    secondary.wait_for("loaded serial", READY);

    let serial = zone_text_serial(&zone) + 1;
    let changed = with_serial(&zone, serial) + "fresh A 192.0.2.77\n";
    server.push_file("example.com", &changed, "fresh.example.com");
    let update_key = TsigKey::example("admin._update.example.com");
    let pushed = Instant::now();
    let solodns = e2e::host_binary("solodns");
    run_in(
        &net,
        solodns.to_str().expect("UTF-8 path"),
        &[
            "notify",
            PRIMARY,
            "example.com",
            "--key",
            &update_key.solodns_arg(),
        ],
        None,
    );
    let context = |primary: &mut Guest, secondary: &mut Guest| {
        format!(
            "primary-git:\n{}\nsecondary:\n{}",
            primary.output(),
            secondary.output()
        )
    };
    wait_for_serial(
        &net,
        SECONDARY,
        "example.com",
        serial,
        Duration::from_secs(10),
        || context(&mut primary, &mut secondary),
    );
    let took = pushed.elapsed();
    assert_eq!(
        short(&net, SECONDARY, "fresh.example.com", "A"),
        ["192.0.2.77"]
    );
    let line = secondary.wait_for("by IXFR", Duration::from_secs(1));
    println!("{line}");
    println!("notify to answered by the secondary: {took:?}");
}
