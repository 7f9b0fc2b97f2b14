//! `ZoneEdit` (record-by-record changes, checked like the loader checks)
//! and `ZoneDiff` (old SOA, deleted, new SOA, added: RFC 1995 §4's unit).

#![allow(clippy::type_complexity, clippy::result_large_err)]

use core::fmt::Write;

use dns_zone::{EditError, Name, RRset, Rdata, RecordType as T, Zone};

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(
        s.as_bytes(),
        &Name::parse("example.com.", None).unwrap(),
        &mut w,
    )
    .unwrap()
}

fn zone(body: &str, serial: u32) -> Zone {
    let t = format!("$TTL 300\n@ SOA ns hostmaster {serial} 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n{body}");
    Zone::parse(t.as_bytes(), n("example.com.")).unwrap().0
}

fn a(last: u8) -> Rdata {
    Rdata::from_wire(T::A, &[192, 0, 2, last]).unwrap()
}

fn target(s: &str) -> Rdata {
    let mut v = Vec::new();
    dns_zone::name::name_to_wire(&n(s), &mut v);
    Rdata::from_wire(T::NS, &v).unwrap()
}

#[test]
fn edits_keep_counts_and_order() {
    let z = zone("www A 192.0.2.10\n", 1);
    let mut e = z.edit();
    assert!(e.add(&n("www"), 300, T::A, a(9)));
    assert!(!e.add(&n("www"), 300, T::A, a(9)), "duplicate");
    assert!(e.add(&n("www"), 60, T::A, a(9)), "TTL change");
    assert!(e.add(
        &n("new"),
        60,
        T::TXT,
        Rdata::from_wire(T::TXT, b"\x02hi").unwrap()
    ));
    let z2 = {
        let mut e = z.edit();
        e.add(&n("www"), 60, T::A, a(9));
        e.finish().unwrap()
    };
    let set = z2.node(&n("www")).unwrap().rrset(T::A).unwrap();
    assert_eq!(set.ttl(), 60);
    assert_eq!(
        set.rdatas().map(|r| r.to_owned()).collect::<Vec<_>>(),
        [a(9), a(10)],
        "canonical order"
    );
    assert_eq!(z2.record_count(), z.record_count() + 1);
    // Removing the last record of a name removes the node.
    let mut e = z2.edit();
    assert!(e.remove_record(&n("www"), T::A, &a(9)));
    assert!(e.remove_record(&n("www"), T::A, &a(10)));
    assert!(!e.remove_record(&n("www"), T::A, &a(10)));
    let z3 = e.finish().unwrap();
    assert!(z3.node(&n("www")).is_none());
    assert_eq!(z3.record_count(), z.record_count() - 1);
}

#[test]
fn finish_rejects_what_the_loader_rejects() {
    let z = zone("www A 192.0.2.10\nalias CNAME www\n", 1);
    let cases: Vec<(
        &str,
        Box<dyn Fn(&mut dns_zone::ZoneEdit)>,
        fn(&EditError) -> bool,
    )> = vec![
        (
            "no SOA",
            Box::new(|e| {
                e.remove_rrset(&n("example.com."), T::SOA);
            }),
            |r| *r == EditError::ApexSoa,
        ),
        (
            "no apex NS",
            Box::new(|e| {
                e.remove_rrset(&n("example.com."), T::NS);
            }),
            |r| *r == EditError::NoApexNs,
        ),
        (
            "SOA below the apex",
            Box::new(|e| {
                let soa = e
                    .rrset(&n("example.com."), T::SOA)
                    .unwrap()
                    .first()
                    .to_owned();
                e.add(&n("www"), 300, T::SOA, soa);
            }),
            |r| matches!(r, EditError::SoaNotAtApex(_)),
        ),
        (
            "outside",
            Box::new(|e| {
                e.add(&n("www.example.org."), 300, T::A, a(1));
            }),
            |r| matches!(r, EditError::OutsideZone(_)),
        ),
        (
            "CNAME and A",
            Box::new(|e| {
                e.add(&n("alias"), 300, T::A, a(1));
            }),
            |r| matches!(r, EditError::CnameConflict(_)),
        ),
        (
            "two CNAMEs",
            Box::new(|e| {
                e.add(&n("alias"), 300, T::CNAME, target("ns"));
            }),
            |r| matches!(r, EditError::CnameConflict(_)),
        ),
        (
            "delegation without glue",
            Box::new(|e| {
                e.add(&n("sub"), 300, T::NS, target("ns.sub"));
            }),
            |r| matches!(r, EditError::MissingGlue { .. }),
        ),
        (
            "name server loses its address",
            Box::new(|e| {
                e.remove_rrset(&n("ns"), T::A);
            }),
            |r| matches!(r, EditError::MissingGlue { .. }),
        ),
    ];
    for (what, change, check) in cases {
        let mut e = z.edit();
        change(&mut e);
        let err = e.finish().unwrap_err();
        assert!(check(&err), "{what}: {err}");
    }
    // RRSIG may sit beside a CNAME (RFC 4035 §2.5).
    let mut e = z.edit();
    let rrsig = Rdata::from_wire(T::RRSIG, &{
        let mut v = vec![0, 5, 13, 3, 0, 0, 1, 44, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        dns_zone::name::name_to_wire(&n("example.com."), &mut v);
        v.extend_from_slice(&[1, 2, 3]);
        v
    })
    .unwrap();
    e.add(&n("alias"), 300, T::RRSIG, rrsig);
    e.finish().unwrap();
}

/// A deterministic pseudo-random zone version.
fn random_zone(seed: u64, serial: u32) -> Zone {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut body = String::new();
    for i in 0..60 {
        let r = next();
        if r % 3 == 0 {
            continue;
        }
        let ttl = if r % 7 == 0 { 60 } else { 300 };
        writeln!(body, "h{i} {ttl} A 10.0.{}.{}", (r >> 8) % 3, (r >> 16) % 4).unwrap();
        if r % 5 == 0 {
            writeln!(body, "h{i} {ttl} A 10.1.0.{}", (r >> 24) % 5).unwrap();
        }
        if r % 11 == 0 {
            writeln!(body, "h{i} TXT \"t{}\"", (r >> 32) % 3).unwrap();
        }
    }
    zone(&body, serial)
}

#[test]
fn diff_then_apply_gives_the_new_zone() {
    for seed in 1..200u64 {
        let old = random_zone(seed, 10);
        let new = random_zone(seed * 7919 + 1, 11);
        let d = old.diff(&new);
        assert_eq!((d.from_serial().0, d.to_serial().0), (10, 11));
        assert_eq!(old.apply_diff(&d).unwrap(), new, "seed {seed}");
        // The reverse diff undoes it.
        assert_eq!(
            new.apply_diff(&new.diff(&old)).unwrap(),
            old,
            "seed {seed} reverse"
        );
        // Diffing only the names that differ gives the same diff.
        let names: Vec<Name> = d
            .deleted
            .iter()
            .chain(&d.added)
            .map(|r| r.owner.clone())
            .collect();
        assert_eq!(old.diff_names(&new, names.iter()), d, "seed {seed} names");
    }
    let z = random_zone(5, 1);
    assert!(z.diff(&z).is_empty());
}

#[test]
fn apply_diff_is_strict() {
    let old = zone("www A 192.0.2.10\n", 1);
    let new = zone("www A 192.0.2.11\n", 2);
    let d = old.diff(&new);
    assert_eq!(new.apply_diff(&d), Err(EditError::SerialMismatch));
    let mut missing = d.clone();
    missing.deleted[0].rdata = a(99);
    assert!(matches!(
        old.apply_diff(&missing),
        Err(EditError::MissingRecord(_))
    ));
    let mut dup = d.clone();
    dup.added[0].rdata = a(1);
    dup.added[0].owner = n("ns");
    assert!(matches!(
        old.apply_diff(&dup),
        Err(EditError::DuplicateRecord(_))
    ));
    // The SOA of the diff is installed as it is.
    let z = old.apply_diff(&d).unwrap();
    assert_eq!(
        z.soa().to_owned(),
        RRset::new(T::SOA, 300, vec![new.soa().first().to_owned()])
    );
}

#[test]
fn a_successor_is_equal_or_has_a_greater_serial() {
    use dns_zone::{Serial, SerialNotIncreased};
    let old = zone("www A 192.0.2.10\n", 5);
    // Unchanged: any serial is fine, even the same.
    assert_eq!(zone("www A 192.0.2.10\n", 5).check_successor(&old), Ok(()));
    // Changed with a greater serial, also across the wrap (RFC 1982).
    assert_eq!(zone("www A 192.0.2.11\n", 6).check_successor(&old), Ok(()));
    let high = zone("", u32::MAX);
    assert_eq!(zone("x A 192.0.2.1\n", 3).check_successor(&high), Ok(()));
    // Changed, same serial; changed, serial backwards; only the SOA's
    // serial going backwards; 2^31 away (undefined, so not greater).
    for (new, serial) in [
        ("www A 192.0.2.11\n", 5),
        ("www A 192.0.2.11\n", 4),
        ("www A 192.0.2.10\n", 4),
        ("www A 192.0.2.11\n", 5u32.wrapping_add(1 << 31)),
    ] {
        let error = zone(new, serial).check_successor(&old).unwrap_err();
        assert_eq!(
            error,
            SerialNotIncreased {
                old: Serial(5),
                new: Serial(serial)
            }
        );
        assert!(
            error
                .to_string()
                .starts_with(&format!("changed but serial {serial} not increased from 5")),
            "{error}"
        );
    }
}

/// An RRset holds at most 65 535 records: an edit adding one more is
/// refused by `finish`; adding one already there, or to another set, is not.
#[test]
fn an_edit_cannot_grow_an_rrset_past_65535_records() {
    let body: String = (0..65_535u32)
        .map(|i| format!("big A 10.0.{}.{}\n", i >> 8, i & 255))
        .collect();
    let z = zone(&body, 1);
    let full = |e: &mut dns_zone::ZoneEdit, last: u8| {
        e.add(
            &n("big"),
            300,
            T::A,
            Rdata::from_wire(T::A, &[10, 1, 0, last]).unwrap(),
        )
    };
    let mut e = z.edit();
    assert!(!full(&mut e, 1), "no room: not added");
    assert_eq!(
        e.finish().map(|_| ()),
        Err(EditError::RRsetFull {
            owner: n("big"),
            rtype: T::A
        })
    );
    let mut e = z.edit();
    assert!(!e.add(
        &n("big"),
        300,
        T::A,
        Rdata::from_wire(T::A, &[10, 0, 0, 7]).unwrap()
    ));
    assert!(e.add(&n("other"), 300, T::A, a(7)));
    assert!(
        e.finish().is_ok(),
        "a record already there, and another set"
    );
}

/// The store keeps an owner's case as first written (its wire form only
/// when it has capitals): printing shows it, an edit of the node keeps
/// it, a new node takes the case it is added with, and a change of case
/// alone is no change (names compare without case).
#[test]
fn owners_keep_the_case_they_were_written_with() {
    let z = zone("WWW A 192.0.2.1\nmail A 192.0.2.2\n", 1);
    let printed = dns_zone::print_zone(&z);
    assert!(
        printed.contains("\nWWW.example.com. 300 IN A 192.0.2.1\n"),
        "{printed}"
    );
    assert!(
        printed.contains("\nmail.example.com. 300 IN A 192.0.2.2\n"),
        "{printed}"
    );

    let mut e = z.edit();
    assert!(e.add(
        &n("www"),
        300,
        T::TXT,
        Rdata::from_wire(T::TXT, b"\x02hi").unwrap()
    ));
    assert!(e.add(&n("New"), 300, T::A, a(3)));
    let (edited, diff) = e.finish_with_diff(&z).unwrap();
    let owner = |zone: &Zone, name: &str| {
        dns_zone::name::name_to_string(&zone.node(&n(name)).unwrap().owner())
    };
    assert_eq!(owner(&edited, "www"), "WWW.example.com.");
    assert_eq!(owner(&edited, "new"), "New.example.com.");
    assert_eq!(owner(&edited, "MAIL"), "mail.example.com.");
    assert_eq!(diff.added.len(), 2);
    assert_eq!(
        dns_zone::name::name_to_string(&diff.added[0].owner),
        "New.example.com."
    );

    // The same records under another case: equal zones, an empty diff.
    let other = zone("www A 192.0.2.1\nMAIL A 192.0.2.2\n", 1);
    assert_eq!(other, z);
    assert!(z.diff(&other).is_empty());
}
