//! RFC 3007 (secure dynamic update) with TSIG (RFC 8945): the server flow
//! of `dns_update::handle` against our client (`UpdateBuilder`,
//! `check_response`), with the OCaml-DNS key layout; and nsupdate scripts.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use dns_keys::KeyStore;
use dns_update::{
    check_response, handle, parse_script, HandleError, Handled, Prerequisite, Rebased, Refusal,
    ResponseFailure, Update, UpdateBuilder,
};
use dns_wire::{rcode, Header, RecordType as T};
use dns_zone::{Name, Rdata, Zone};
use tsig::{Algorithm, Key, ResponseError, Tsig};

const NOW: u64 = 1_700_000_000;

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
}

fn zone() -> Zone {
    let text = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.10\n";
    Zone::parse(text.as_bytes(), n("example.com.")).unwrap().0
}

fn update_key() -> Key {
    Key::new(
        n("admin._update.example.com."),
        Algorithm::HmacSha256,
        vec![1; 32],
    )
}

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(update_key());
    k.insert(Key::new(
        n("admin._update.example.org."),
        Algorithm::HmacSha256,
        vec![2; 32],
    ));
    k.insert(Key::new(
        n("10.0.0.1.10.0.0.2._transfer.example.com."),
        Algorithm::HmacSha256,
        vec![3; 32],
    ));
    k
}

fn add_www2() -> UpdateBuilder {
    let mut b = UpdateBuilder::new(n("example.com."));
    b.update(Update::Add(
        n("www2.example.com."),
        60,
        T::A,
        Rdata::from_wire(T::A, &[192, 0, 2, 2]).unwrap(),
    ));
    b
}

/// Sends `msg` to the server with one zone; returns what it did.
fn serve(msg: &[u8], now: u64) -> Handled {
    let z = zone();
    handle(msg, now, &keys(), |name| (name == z.origin()).then_some(&z))
}

fn response_of(h: &Handled) -> Vec<u8> {
    match h {
        Handled::Respond { response, .. } => response.clone(),
        Handled::Changed(c) => c.response(NOW),
        Handled::Drop => panic!("dropped"),
        _ => panic!("unexpected"),
    }
}

#[test]
fn signed_update_is_applied_and_the_answer_is_signed() {
    let (msg, mut verifier) = add_www2().build_signed(7, &update_key(), NOW).unwrap();
    let h = serve(&msg, NOW + 2);
    let Handled::Changed(change) = &h else {
        panic!("{h:?}")
    };
    assert_eq!(change.key, n("admin._update.example.com."));
    assert_eq!(change.zone, n("example.com."));
    assert_eq!(change.new.serial().0, 2);
    assert_eq!(change.diff.added.len(), 1);
    // The primary makes it durable, then answers.
    let resp = change.response(NOW + 3);
    assert_eq!(
        Header::parse(&resp).unwrap().counts,
        [1, 0, 0, 1],
        "zone echoed, TSIG"
    );
    check_response(&resp, 7, Some(&mut verifier), NOW + 3).unwrap();
    // Or reports that it could not.
    let fail = change.failure_response(NOW + 3);
    let mac = Tsig::locate(&msg).unwrap().unwrap().tsig.mac;
    let mut verifier = tsig::ResponseVerifier::new(update_key(), &mac);
    assert_eq!(
        check_response(&fail, 7, Some(&mut verifier), NOW + 3),
        Err(ResponseFailure::Rcode(rcode::SERVFAIL))
    );
}

/// A change that could not be pushed because git moved is applied again on
/// the newer zone: prerequisites checked again, serial from the new SOA.
#[test]
fn rebase_applies_the_request_again_on_a_newer_zone() {
    let mut b = add_www2();
    b.require(Prerequisite::NameNotInUse(n("www2.example.com.")));
    let (msg, mut verifier) = b.build_signed(9, &update_key(), NOW).unwrap();
    let Handled::Changed(mut change) = serve(&msg, NOW) else {
        panic!("applies")
    };
    // Someone else pushed serial 5 with a new name: the change moves on top.
    let newer = |extra: &str| {
        let text = format!("$TTL 300\n@ SOA ns hostmaster 5 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n{extra}\n");
        Zone::parse(text.as_bytes(), n("example.com.")).unwrap().0
    };
    assert_eq!(change.rebase(&newer("mail A 192.0.2.25")), Rebased::Changed);
    assert_eq!(change.new.serial().0, 6);
    assert!(
        change.new.node(&n("mail.example.com.")).is_some(),
        "theirs kept"
    );
    assert!(
        change.new.node(&n("www2.example.com.")).is_some(),
        "ours added"
    );
    assert_eq!(change.diff.added.len(), 1);
    // They added www2 themselves: the prerequisite fails now, answered
    // YXDOMAIN and signed.
    let Rebased::Refused(why) = change.rebase(&newer("www2 A 192.0.2.2")) else {
        panic!("the prerequisite fails")
    };
    assert_eq!(why, Refusal::YxDomain(n("www2.example.com.")));
    let resp = change.refusal_response(&why, NOW + 1);
    assert_eq!(
        check_response(&resp, 9, Some(&mut verifier), NOW + 1),
        Err(ResponseFailure::Rcode(rcode::YXDOMAIN))
    );
    // Without the prerequisite, adding what is already there changes nothing.
    let (msg, _) = add_www2().build_signed(10, &update_key(), NOW).unwrap();
    let Handled::Changed(mut change) = serve(&msg, NOW) else {
        panic!("applies")
    };
    assert_eq!(
        change.rebase(&newer("www2 60 A 192.0.2.2")),
        Rebased::Unchanged
    );
}

/// RFC 3007 §4: "a server SHOULD ... refuse unsigned updates" — we do.
#[test]
fn unsigned_update_is_refused() {
    let msg = add_www2().build(9).unwrap();
    let h = serve(&msg, NOW);
    let Handled::Respond { response, reason } = &h else {
        panic!("{h:?}")
    };
    assert!(matches!(
        reason,
        Some(HandleError::Update(Refusal::Unsigned))
    ));
    assert_eq!(
        check_response(response, 9, None, NOW),
        Err(ResponseFailure::Rcode(rcode::REFUSED))
    );
    assert_eq!(Tsig::locate(response), Ok(None));
}

/// Each way a request can fail, with the RCODE (and TSIG error) the
/// client sees, and the zone unchanged.
#[test]
fn refusals() {
    let org_key = Key::new(
        n("admin._update.example.org."),
        Algorithm::HmacSha256,
        vec![2; 32],
    );
    let xfr_key = Key::new(
        n("10.0.0.1.10.0.0.2._transfer.example.com."),
        Algorithm::HmacSha256,
        vec![3; 32],
    );
    let stranger = Key::new(
        n("stranger._update.example.com."),
        Algorithm::HmacSha256,
        vec![4; 32],
    );
    let wrong_secret = Key::new(
        n("admin._update.example.com."),
        Algorithm::HmacSha256,
        vec![9; 32],
    );

    let mut failing_prereq = add_www2();
    failing_prereq.require(Prerequisite::NameInUse(n("nothing.example.com.")));
    let mut other_zone = UpdateBuilder::new(n("example.net."));
    other_zone.update(Update::DeleteName(n("www.example.net.")));

    let cases: Vec<(&str, UpdateBuilder, Key, u64, Result<(), ResponseFailure>)> = vec![
        (
            "key of another zone",
            add_www2(),
            org_key,
            NOW,
            Err(ResponseFailure::Rcode(rcode::REFUSED)),
        ),
        (
            "transfer key",
            add_www2(),
            xfr_key,
            NOW,
            Err(ResponseFailure::Rcode(rcode::REFUSED)),
        ),
        (
            "unknown key",
            add_www2(),
            stranger,
            NOW,
            Err(ResponseFailure::Tsig(ResponseError::Server {
                error: rcode::BADKEY,
                server_time: None,
            })),
        ),
        (
            "wrong secret",
            add_www2(),
            wrong_secret,
            NOW,
            Err(ResponseFailure::Tsig(ResponseError::Server {
                error: rcode::BADSIG,
                server_time: None,
            })),
        ),
        (
            "stale",
            add_www2(),
            update_key(),
            NOW - 3600,
            Err(ResponseFailure::Tsig(ResponseError::Server {
                error: rcode::BADTIME,
                server_time: Some(NOW),
            })),
        ),
        (
            "prerequisite",
            failing_prereq,
            update_key(),
            NOW,
            Err(ResponseFailure::Rcode(rcode::NXDOMAIN)),
        ),
        (
            "zone not served",
            other_zone,
            update_key(),
            NOW,
            Err(ResponseFailure::Rcode(rcode::NOTAUTH)),
        ),
    ];
    for (what, b, key, signed_at, want) in cases {
        let (msg, mut verifier) = b.build_signed(3, &key, signed_at).unwrap();
        let h = serve(&msg, NOW);
        assert!(matches!(h, Handled::Respond { .. }), "{what}: {h:?}");
        let resp = response_of(&h);
        // The client verifies the answer at its own clock (signed_at).
        assert_eq!(
            check_response(&resp, 3, Some(&mut verifier), signed_at),
            want,
            "{what}"
        );
    }
}

#[test]
fn answers_to_others_are_not_ours() {
    let (msg, mut verifier) = add_www2().build_signed(7, &update_key(), NOW).unwrap();
    let Handled::Changed(c) = serve(&msg, NOW) else {
        panic!()
    };
    let resp = c.response(NOW);
    assert_eq!(
        check_response(&resp, 8, Some(&mut verifier), NOW),
        Err(ResponseFailure::NotOurs)
    );
    assert_eq!(
        check_response(&msg, 7, Some(&mut verifier), NOW),
        Err(ResponseFailure::NotOurs)
    );
    // Responses and garbage are dropped by the server.
    assert!(matches!(serve(&resp, NOW), Handled::Drop));
    assert!(matches!(serve(&[1, 2, 3], NOW), Handled::Drop));
}

/// nsupdate scripts: the commands of BIND's nsupdate(1) that matter.
#[test]
fn nsupdate_scripts() {
    let script = "\
; a comment
server 10.53.0.1
key hmac-sha256:admin._update.example.com AAAA
zone example.com
prereq nxdomain new.example.com.
prereq yxrrset www.example.com. A
prereq yxrrset www.example.com. IN A 192.0.2.10
prereq yxrrset www.example.com. A 192.0.2.11
prereq nxrrset www.example.com. MX
prereq yxdomain www.example.com
update add new.example.com. 3600 IN A 192.0.2.99
add new.example.com. 3600 TXT \"two words\" \"and more\"
update delete www.example.com. A 192.0.2.11
update delete old.example.com. AAAA
del gone.example.com.
send
ttl 120
origin example.org.
update add host MX 10 mail
send
";
    let updates = parse_script(script).unwrap();
    assert_eq!(updates.len(), 2);
    let u = &updates[0];
    assert_eq!(u.zone, n("example.com."));
    assert_eq!(u.prerequisites.len(), 5, "{:?}", u.prerequisites);
    assert_eq!(
        u.prerequisites[0],
        Prerequisite::NameNotInUse(n("new.example.com."))
    );
    let Prerequisite::RrsetEquals(_, T::A, rds) = &u.prerequisites[2] else {
        panic!()
    };
    assert_eq!(
        rds.len(),
        2,
        "consecutive value-dependent lines form one RRset"
    );
    assert_eq!(u.updates.len(), 5);
    let Update::Add(_, 3600, T::TXT, rd) = &u.updates[1] else {
        panic!("{:?}", u.updates[1])
    };
    assert_eq!(rd.as_bytes(), b"\x09two words\x08and more");
    assert!(matches!(&u.updates[2], Update::DeleteRecord(_, T::A, _)));
    assert!(matches!(&u.updates[3], Update::DeleteRrset(_, T::AAAA)));
    assert_eq!(u.updates[4], Update::DeleteName(n("gone.example.com.")));

    let v = &updates[1];
    assert_eq!(v.zone, n("example.com."), "the zone command holds");
    let Update::Add(owner, 120, T::MX, rd) = &v.updates[0] else {
        panic!()
    };
    assert_eq!(owner, &n("host.example.org."));
    assert_eq!(rd.as_bytes(), b"\x00\x0a\x04mail\x07example\x03org\x00");

    // Without a zone command the zone is the first name (the server's
    // NOTAUTH tells the user otherwise).
    let u = parse_script("update add a.example.com. 60 A 192.0.2.1\n").unwrap();
    assert_eq!(u[0].zone, n("a.example.com."));

    for (bad, line) in [
        ("update add a.example.com. A 192.0.2.1\n", 1),
        ("frobnicate\n", 1),
        ("zone example.com\nupdate add a 60 A 300.1.1.1\n", 2),
        ("update add a 60 BOGUS 1\n", 1),
        ("prereq maybe a\n", 1),
        ("prereq nxrrset a\n", 1),
        ("ttl forever\n", 1),
        ("update add a 60 A 192.0.2.1\nzone example.com\n", 2),
    ] {
        let e = parse_script(bad).unwrap_err();
        assert_eq!(e.line, line, "{bad:?}: {e}");
    }
}
