//! The OCaml-DNS key layout (DESIGN.md §1): `_keys` and `<zone>._keys`
//! files, the `name:alg:secret` syntax, and authorisation by key name.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use core::net::IpAddr;
use std::path::Path;

use dns_keys::{
    format_cli_key, format_keys_line, parse_cli_key, CliKeyError, Denied, KeyStore, Operation,
};
use dns_zone::Name;
use tsig::{Algorithm, Key};

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn example_store() -> KeyStore {
    let text =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../zones-example/_keys"))
            .unwrap();
    let mut store = KeyStore::new();
    let warnings = store.load_keys_file("_keys", &text).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    store
}

#[test]
fn zones_example_keys() {
    let store = example_store();
    assert_eq!(store.len(), 5);
    let k = store.get(&n("admin._update.example.com.")).unwrap();
    assert_eq!(k.algorithm(), Algorithm::HmacSha256);
    assert_eq!(k.secret().len(), 32);

    let mut secondaries: Vec<IpAddr> = store
        .secondaries(&n("example.com."))
        .into_iter()
        .map(|(_, ip)| ip)
        .collect();
    secondaries.sort();
    assert_eq!(secondaries, [ip("10.53.0.2"), ip("10.53.0.3")]);
    let (key, addr) = store.secondaries(&n("example.org."))[0];
    assert_eq!(addr, ip("10.53.0.2"));
    assert_eq!(key.name(), &n("10.53.0.1.10.53.0.2._transfer.example.org."));
    assert!(store.secondaries(&n("example.net.")).is_empty());
    assert!(
        store.secondaries(&n("sub.example.com.")).is_empty(),
        "exact zone only"
    );
    let primaries = store.primaries(&n("example.com."));
    assert!(primaries.iter().all(|(_, a)| *a == ip("10.53.0.1")));
    assert_eq!(primaries.len(), 2);
}

/// Who may do what (OCaml-DNS `Authentication.access`).
#[test]
fn authorisation_table() {
    let store = example_store();
    let update = n("admin._update.example.com.");
    let transfer = n("10.53.0.1.10.53.0.2._transfer.example.com.");
    let com = n("example.com.");
    let sub = n("sub.example.com.");
    let org = n("example.org.");
    let cases: &[(&Name, Operation, &Name, bool)] = &[
        (&update, Operation::Update, &com, true),
        (&update, Operation::Update, &sub, true),
        (&update, Operation::Transfer, &com, true),
        (&update, Operation::Notify, &com, true),
        (&update, Operation::Update, &org, false),
        (&update, Operation::Notify, &org, false),
        (&transfer, Operation::Transfer, &com, true),
        (&transfer, Operation::Notify, &com, true),
        (&transfer, Operation::Update, &com, false),
        (&transfer, Operation::Transfer, &org, false),
    ];
    for &(key, op, zone, ok) in cases {
        let r = store.authorise(key, op, zone);
        assert_eq!(r.is_ok(), ok, "{key} {op} {zone}: {r:?}");
    }
    assert!(matches!(
        store.authorise(&update, Operation::Update, &org),
        Err(Denied::WrongZone { .. })
    ));
    assert!(matches!(
        store.authorise(&transfer, Operation::Update, &com),
        Err(Denied::WrongOperation { .. })
    ));
    assert!(matches!(
        store.authorise(&n("nobody._update.example.com."), Operation::Update, &com),
        Err(Denied::UnknownKey(_))
    ));
    let mut store = store;
    store.insert(Key::new(
        n("plain.example.com."),
        Algorithm::HmacSha256,
        vec![1; 32],
    ));
    let denied = store
        .authorise(&n("plain.example.com."), Operation::Update, &com)
        .unwrap_err();
    assert!(matches!(denied, Denied::NoRole(_)));
    assert_eq!(denied.rcode(), 5);
    // A root key covers every zone.
    store.insert(Key::new(
        n("ops._update."),
        Algorithm::HmacSha256,
        vec![1; 32],
    ));
    assert!(store
        .authorise(&n("ops._update."), Operation::Update, &org)
        .is_ok());
}

#[test]
fn zone_keys_file_only_holds_its_zone() {
    let text = b"; keys of example.com\n\
        admin._update DNSKEY 0 3 163 AAECAwQFBgcICQoLDA0ODw==\n\
        old._update.example.com. DNSKEY 0 3 161 AAECAwQFBgcICQoLDA0ODw==\n\
        big._update.example.com. DNSKEY 0 3 165 AAECAwQFBgcICQoLDA0ODw==\n\
        other._update.example.org. DNSKEY 0 3 163 AAECAwQFBgcICQoLDA0ODw==\n\
        md5._update.example.com. DNSKEY 0 3 157 AAECAwQFBgcICQoLDA0ODw==\n\
        www.example.com. A 192.0.2.1\n";
    let mut store = KeyStore::new();
    let warnings = store.load_keys_file("example.com._keys", text).unwrap();
    let w: Vec<String> = warnings.iter().map(|d| d.to_string()).collect();
    assert_eq!(store.len(), 3, "{w:?}");
    assert_eq!(
        store
            .get(&n("admin._update.example.com."))
            .unwrap()
            .algorithm(),
        Algorithm::HmacSha256,
        "relative names are relative to the file's zone"
    );
    assert_eq!(
        store
            .get(&n("old._update.example.com."))
            .unwrap()
            .algorithm(),
        Algorithm::HmacSha1
    );
    assert_eq!(
        store
            .get(&n("big._update.example.com."))
            .unwrap()
            .algorithm(),
        Algorithm::HmacSha512
    );
    assert!(
        w.iter()
            .any(|m| m.starts_with("5:") && m.contains("not in zone example.com.")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.starts_with("6:") && m.contains("algorithm 157")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.starts_with("7:") && m.contains("not a DNSKEY")),
        "{w:?}"
    );
}

#[test]
fn syntax_errors_reject_the_file() {
    let mut store = example_store();
    let before = store.len();
    let err = store
        .load_keys_file("_keys", b"a._update.example. DNSKEY 0 3 163 !!notbase64\nb._update.example. DNSKEY 0 3 163 AAAA\n")
        .unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].line, 1);
    assert_eq!(store.len(), before);
    assert!(store.load_keys_file("keys.txt", b"").is_err());
}

#[test]
fn cli_keys() {
    let k = parse_cli_key("admin._update.example.com:SHA256:AAECAwQFBgcICQoLDA0ODw==").unwrap();
    assert_eq!(k.name(), &n("admin._update.example.com."));
    assert_eq!(k.algorithm(), Algorithm::HmacSha256);
    assert_eq!(k.secret(), (0u8..16).collect::<Vec<_>>());
    assert_eq!(
        format_cli_key(&k),
        "admin._update.example.com:SHA256:AAECAwQFBgcICQoLDA0ODw=="
    );
    assert_eq!(
        format_keys_line(&k),
        "admin._update.example.com. DNSKEY 0 3 163 AAECAwQFBgcICQoLDA0ODw=="
    );
    // The _keys line reads back to the same key.
    let mut store = KeyStore::new();
    store
        .load_keys_file("_keys", format_keys_line(&k).as_bytes())
        .unwrap();
    assert_eq!(store.get(k.name()), Some(&k));

    for (s, alg) in [
        ("x._update.example.:hmac-sha512:AAAA", Algorithm::HmacSha512),
        ("x._update.example.:sha1:AAAA", Algorithm::HmacSha1),
        ("hmac-sha384:x._update.example:AAAA", Algorithm::HmacSha384),
        ("x._update.example:SHA224:AAA", Algorithm::HmacSha224),
    ] {
        let k = parse_cli_key(s).unwrap();
        assert_eq!(
            (k.name(), k.algorithm()),
            (&n("x._update.example."), alg),
            "{s}"
        );
    }
    let v6 = parse_cli_key("2001:db8::1.2001:db8::2._transfer.example.:SHA256:AAAA").unwrap();
    assert_eq!(v6.name(), &n("2001:db8::1.2001:db8::2._transfer.example."));

    assert_eq!(parse_cli_key("just-a-name"), Err(CliKeyError::Syntax));
    assert_eq!(parse_cli_key("name:AAAA"), Err(CliKeyError::Syntax));
    assert!(matches!(
        parse_cli_key("n:MD5:AAAA"),
        Err(CliKeyError::UnknownAlgorithm(_))
    ));
    assert_eq!(parse_cli_key("n:SHA256:***"), Err(CliKeyError::BadSecret));
    assert_eq!(parse_cli_key("n:SHA256:"), Err(CliKeyError::BadSecret));
    assert_eq!(parse_cli_key(":SHA256:AAAA"), Err(CliKeyError::Syntax));
    assert_eq!(parse_cli_key("a..b:SHA256:AAAA"), Err(CliKeyError::BadName));
}

/// OCaml-DNS: an update key covers transfer, so a key
/// `<primary>.<secondary>._update.<zone>` names a primary and a secondary
/// like a transfer key (the deployment tutorial's secondary uses one); a
/// root transfer key names them for every zone, after the zone's own.
#[test]
fn update_keys_with_addresses_and_root_keys_name_peers() {
    let mut store = KeyStore::new();
    let secret = vec![1u8; 32];
    for name in [
        "10.0.42.2.10.0.42.3._update.mirage.",
        "10.0.42.2.10.0.42.4._transfer.",
        "10.0.42.2.10.0.42.5._transfer.mirage.",
        "10.0.42.9.10.0.42.3._notify.mirage.",
    ] {
        store.insert(Key::new(n(name), Algorithm::HmacSha256, secret.clone()));
    }
    let secondaries: Vec<(String, IpAddr)> = store
        .secondaries(&n("mirage."))
        .into_iter()
        .map(|(k, a)| (k.name().to_ascii(), a))
        .collect();
    assert_eq!(
        secondaries,
        [
            (
                "10.0.42.2.10.0.42.5._transfer.mirage.".into(),
                ip("10.0.42.5")
            ),
            (
                "10.0.42.2.10.0.42.3._update.mirage.".into(),
                ip("10.0.42.3")
            ),
            ("10.0.42.2.10.0.42.4._transfer.".into(), ip("10.0.42.4")),
        ],
        "the zone's own keys first, the root key last, no notify key"
    );
    let primaries = store.primaries(&n("other.example."));
    assert_eq!(primaries.len(), 1);
    assert_eq!(primaries[0].0.name(), &n("10.0.42.2.10.0.42.4._transfer."));
    assert!(store
        .authorise(
            &n("10.0.42.2.10.0.42.3._update.mirage."),
            Operation::Transfer,
            &n("mirage.")
        )
        .is_ok());
}
