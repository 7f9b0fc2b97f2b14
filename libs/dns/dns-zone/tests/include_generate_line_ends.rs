//! `$INCLUDE` (RFC 1035 §5.1) through an in-memory tree, BIND's
//! `$GENERATE`, CR LF line ends and the byte-order mark.

#![allow(clippy::std_instead_of_alloc)] // a std test

use std::collections::BTreeMap;

use dns_zone::parser::include::{MAX_INCLUDES, MAX_INCLUDE_DEPTH};
use dns_zone::{IncludeError, IncludeFiles, Name, ParseError, RecordType, Zone, ZoneParser};

/// A tree of files in memory; `dir/` entries stand for directories.
#[derive(Default)]
struct Tree(BTreeMap<String, Vec<u8>>);

impl Tree {
    fn with(mut self, path: &str, text: &str) -> Self {
        self.0.insert(path.into(), text.as_bytes().to_vec());
        self
    }
}

impl IncludeFiles for Tree {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, IncludeError> {
        if self.0.keys().any(|k| k.starts_with(&format!("{path}/"))) {
            return Err(IncludeError::Refused("a directory".into()));
        }
        self.0.get(path).cloned().ok_or(IncludeError::NotFound)
    }
}

fn origin() -> Name {
    "example.com.".parse().expect("a name")
}

/// (owner, TTL, type, file) of every record, or the error lines as
/// `file:line:column: message`.
fn parse(tree: &mut Tree, own: &str, text: &str) -> (Vec<String>, Vec<String>) {
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for item in ZoneParser::new(text.as_bytes(), origin()).with_includes(tree, own) {
        match item {
            Ok(e) => records.push(format!(
                "{} {} {} {}",
                e.owner,
                e.ttl,
                e.rtype,
                e.file.as_deref().unwrap_or("-")
            )),
            Err(e) => errors.push(e.display_in(own).to_string()),
        }
    }
    (records, errors)
}

/// RFC 1035 §5.1: "$INCLUDE entries never change the relative origin of
/// the parent file, regardless of changes to the relative origin made
/// within the included file"; the optional origin is the included file's.
/// TTL and owner continuity as BIND (checked with named-checkzone 9.18).
#[test]
fn include_origin_reverts_ttl_stays_owner_is_the_parents_again() {
    let mut tree = Tree::default()
        .with("inc", "  TXT \"continues the parent's owner\"\n$TTL 7200\n$ORIGIN sub.example.com.\nin A 192.0.2.2\n")
        .with("keys/k", "@ A 192.0.2.9\n");
    let (records, errors) = parse(
        &mut tree,
        "example.com",
        "$TTL 60\nns A 192.0.2.1\n$INCLUDE inc\n  TXT \"after\"\nafter A 192.0.2.3\n\
         $INCLUDE keys/k other.example.\n@ A 192.0.2.4\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        records,
        [
            "ns.example.com. 60 A -",
            "ns.example.com. 60 TXT inc",
            "in.sub.example.com. 7200 A inc",
            "ns.example.com. 7200 TXT -",
            "after.example.com. 7200 A -",
            "other.example. 7200 A keys/k",
            "example.com. 7200 A -",
        ]
    );
}

#[test]
fn paths_from_the_root_first_then_from_the_including_file() {
    let mut tree = Tree::default()
        .with("sub/zone", "$INCLUDE part\n$INCLUDE ../top\n")
        .with("sub/part", "a A 192.0.2.1\n")
        .with("top", "b A 192.0.2.2\n")
        .with("part", "c A 192.0.2.3\n");
    let (records, errors) = parse(&mut tree, "example.com", "$TTL 1\n$INCLUDE sub/zone\n");
    assert!(errors.is_empty(), "{errors:?}");
    // `part` exists at the root: that reading wins over sub/part.
    assert_eq!(
        records,
        ["c.example.com. 1 A part", "b.example.com. 1 A top"]
    );
    tree.0.remove("part");
    let (records, _) = parse(&mut tree, "example.com", "$TTL 1\n$INCLUDE sub/zone\n");
    assert_eq!(records[0], "a.example.com. 1 A sub/part");
}

#[test]
fn bad_includes_are_refused_with_the_path() {
    let mut tree = Tree::default()
        .with("a", "$INCLUDE b\n")
        .with("b", "x A 192.0.2.1\n$INCLUDE a\n")
        .with("dir/f", "");
    let cases = [
        ("$INCLUDE /etc/passwd", "example.com:2:10: $INCLUDE /etc/passwd: absolute paths are refused: name a file of the zone tree, relative to its root"),
        ("$INCLUDE ../../etc/passwd", "example.com:2:10: $INCLUDE ../../etc/passwd: the path leaves the zone tree"),
        ("$INCLUDE missing", "example.com:2:10: $INCLUDE missing: no such file in the zone tree (looked for missing)"),
        ("$INCLUDE dir", "example.com:2:10: $INCLUDE dir: dir: a directory"),
        ("$INCLUDE a", "b:2:10: $INCLUDE a: include loop: example.com -> a -> b -> a"),
        ("$INCLUDE example.com", "example.com:2:10: $INCLUDE example.com: include loop: example.com -> example.com"),
        ("$INCLUDE", "example.com:2:9: expected a file name after $INCLUDE, found end of line"),
        ("$INCLUDE a bad..origin", "example.com:2:12: empty label in domain name, found \"bad..origin\""),
    ];
    for (line, want) in cases {
        let (_, errors) = parse(&mut tree, "example.com", &format!("$TTL 1\n{line}\n"));
        assert_eq!(errors, [want], "{line}");
    }
    // Relative to a file in a subdirectory: both readings are tried.
    let mut tree = Tree::default().with("sub/zone", "$INCLUDE nothing\n");
    let (_, errors) = parse(&mut tree, "example.com", "$INCLUDE sub/zone\n");
    assert_eq!(
        errors,
        ["sub/zone:1:10: $INCLUDE nothing: no such file in the zone tree (looked for nothing and sub/nothing)"]
    );
}

#[test]
fn errors_inside_an_included_file_name_it_and_parsing_goes_on() {
    let mut tree = Tree::default().with(
        "inc",
        "a A 192.0.2.1\nb A 192.0.2.300\n  A 192.0.2.4 )\nc A 192.0.2.5\n",
    );
    let (records, errors) = parse(
        &mut tree,
        "example.com",
        "$TTL 1\n$INCLUDE inc\nd A 192.0.2.6\n",
    );
    assert_eq!(
        errors,
        [
            "inc:2:5: expected an IPv4 address, found \"192.0.2.300\"".to_string(),
            "inc:3:15: unbalanced parenthesis".to_string()
        ]
    );
    // An unbalanced parenthesis ends the included file, not the zone.
    assert_eq!(records, ["a.example.com. 1 A inc", "d.example.com. 1 A -"]);
}

#[test]
fn validation_names_the_included_file() {
    let mut tree = Tree::default()
        .with("inc", "www A 192.0.2.1\n")
        .with("bad", "\n\nwww CNAME other\n");
    let text =
        b"$TTL 1\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.9\n$INCLUDE inc\n$INCLUDE bad\n";
    let errors = Zone::parse_with_includes(text, origin(), &mut tree, "example.com")
        .expect_err("CNAME and other data");
    let lines: Vec<String> = errors
        .errors
        .iter()
        .map(|d| d.display_in("example.com").to_string())
        .collect();
    assert_eq!(
        lines,
        ["inc:1:1: CNAME and other data (A) at www.example.com."]
    );
    tree.0.remove("bad");
    let (zone, _) =
        Zone::parse_with_includes(&text[..text.len() - 13], origin(), &mut tree, "example.com")
            .expect("loads");
    assert_eq!(zone.record_count(), 4);
}

#[test]
fn include_depth_and_count_are_bounded() {
    let mut tree = Tree::default();
    for i in 0..=MAX_INCLUDE_DEPTH {
        tree = tree.with(&format!("f{i}"), &format!("$INCLUDE f{}\n", i + 1));
    }
    tree = tree.with(&format!("f{}", MAX_INCLUDE_DEPTH + 1), "");
    let (_, errors) = parse(&mut tree, "example.com", "$INCLUDE f0\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("more than 16 files included in each other"),
        "{}",
        errors[0]
    );

    // Ten includes of a file that includes another ten times, and so on.
    let mut tree = Tree::default().with("l3", "x TXT y\n");
    for level in (0..3).rev() {
        tree = tree.with(
            &format!("l{level}"),
            &format!("$INCLUDE l{}\n", level + 1).repeat(11),
        );
    }
    let (records, errors) = parse(&mut tree, "example.com", "$TTL 1\n$INCLUDE l0\n");
    assert!(records.len() < MAX_INCLUDES, "{}", records.len());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("more than 1024 $INCLUDEs in one zone")),
        "{errors:?}"
    );
}

// ---------------------------------------------------------------------------
// $GENERATE

fn entries(text: &str) -> (Vec<String>, Vec<String>) {
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for item in ZoneParser::new(
        text.as_bytes(),
        "2.0.192.in-addr.arpa.".parse().expect("name"),
    ) {
        match item {
            Ok(e) => records.push(format!(
                "{} {} {} {}",
                e.owner,
                e.ttl,
                e.rtype,
                e.rdata.to_text(e.rtype)
            )),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (records, errors)
}

/// The output of `named-checkzone -D` 9.18 for the same lines.
#[test]
fn generate_as_bind_expands_it() {
    let (records, errors) = entries(
        "$TTL 300\n$GENERATE 1-3 $ PTR host-${0,3,d}.example.com.\n\
         $GENERATE 10-14/2 ${-10,2,x} 600 IN CNAME $.0/26\n\
         $GENERATE 0-1 a$ IN 60 MX \"10 mx$$.example.com.\"\n\
         $GENERATE 26-26 ${0,5,n}.ip6 TXT \"\\$ ${0,0,X}\"\n\
         after A 192.0.2.1\n$GENERATE 1-1 ${0,4,n}w TXT x\n$GENERATE 1-1 ${-5,4}.neg TXT x\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        records,
        [
            "1.2.0.192.in-addr.arpa. 300 PTR host-001.example.com.",
            "2.2.0.192.in-addr.arpa. 300 PTR host-002.example.com.",
            "3.2.0.192.in-addr.arpa. 300 PTR host-003.example.com.",
            "00.2.0.192.in-addr.arpa. 600 CNAME 10.0/26.2.0.192.in-addr.arpa.",
            "02.2.0.192.in-addr.arpa. 600 CNAME 12.0/26.2.0.192.in-addr.arpa.",
            "04.2.0.192.in-addr.arpa. 600 CNAME 14.0/26.2.0.192.in-addr.arpa.",
            "a0.2.0.192.in-addr.arpa. 60 MX 10 mx\\$.example.com.",
            "a1.2.0.192.in-addr.arpa. 60 MX 10 mx\\$.example.com.",
            "a.1.0.ip6.2.0.192.in-addr.arpa. 300 TXT \"$\" \"1A\"",
            "after.2.0.192.in-addr.arpa. 300 A 192.0.2.1",
            "1.0.w.2.0.192.in-addr.arpa. 300 TXT \"x\"",
            "\\-004.neg.2.0.192.in-addr.arpa. 300 TXT \"x\"",
        ]
    );
}

#[test]
fn malformed_generate_gives_line_and_column() {
    let cases = [
        ("$GENERATE 5-1 $ PTR x.", "2:11: expected a range whose stop is not below its start, found \"5-1\""),
        ("$GENERATE 1-x $ PTR x.", "2:11: expected a range start-stop or start-stop/step (decimal numbers), found \"1-x\""),
        ("$GENERATE 1-2/0 $ PTR x.", "2:11: expected a step of at least 1, found \"1-2/0\""),
        ("$GENERATE 1-2", "2:14: expected an owner name template after the $GENERATE range, found end of line"),
        ("$GENERATE 1-2 $ BOGUS x.", "2:17: expected a type, found \"BOGUS\""),
        ("$GENERATE 1-2 $ PTR", "2:20: expected an RDATA template after the $GENERATE type, found end of line"),
        ("$GENERATE 1-2 $ PTR x. extra", "2:24: expected end of line, found \"extra\""),
        ("$GENERATE 1-2 $ CH PTR x.", "2:17: expected the zone's class IN, found \"CH\""),
        ("$GENERATE 1-2 ${1,2,q} PTR x.", "2:1: $GENERATE: a modifier ${offset}, ${offset,width} or ${offset,width,base} (base one of d, o, x, X, n, N)"),
        ("$GENERATE 1-2 $ A 192.0.2.3$00", "2:19: $GENERATE: for 1, the RDATA \"192.0.2.3100\" gives: expected an IPv4 address, found \"192.0.2.3100\""),
        ("$GENERATE 0-65536 $ PTR x.", "2:11: $GENERATE: the range makes 65537 records, more than the 65536 allowed"),
        ("$GENERATE 0-2147483648 $ PTR x.", "2:11: expected a range within 0-2147483647, found \"0-2147483648\""),
    ];
    for (line, want) in cases {
        let (_, errors) = entries(&format!("$TTL 1\n{line}\nok A 192.0.2.1\n"));
        assert_eq!(errors, [want], "{line}");
    }
    // A bad value is reported once, not once per iteration.
    let (records, errors) = entries("$TTL 1\n$GENERATE 250-260 x A 192.0.2.$\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(records.len(), 6, "250..=255 made before 256 failed");
}

#[test]
fn generated_records_per_zone_are_bounded() {
    let text = "$TTL 1\n$GENERATE 0-65535 a$ TXT x\n".repeat(5);
    let mut parser = ZoneParser::new(text.as_bytes(), origin());
    let mut count = 0;
    let mut errors: Vec<ParseError> = Vec::new();
    for item in parser.by_ref() {
        match item {
            Ok(_) => count += 1,
            Err(e) => errors.push(e),
        }
    }
    assert_eq!(count, 262_144);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "10:11: $GENERATE: the range makes 65536 records, more than the 0 allowed"
    );
}

// ---------------------------------------------------------------------------
// Line ends

#[test]
fn crlf_files_read_as_lf_files() {
    let lf = "$TTL 300\n@ SOA ns hostmaster ( 1 7200 3600\n 1209600 300 ) ; c\n  NS ns\nns A 192.0.2.1\n  TXT \"a b\" c\n\n";
    let crlf = lf.replace('\n', "\r\n");
    let (a, _) = Zone::parse(lf.as_bytes(), origin()).expect("LF loads");
    let (b, _) = Zone::parse(crlf.as_bytes(), origin()).expect("CR LF loads");
    assert_eq!(a, b);
    // Positions are the same too.
    let bad = "$TTL 300\r\nx A 192.0.2.300\r\n";
    let e = ZoneParser::new(bad.as_bytes(), origin())
        .find_map(Result::err)
        .expect("an error");
    assert_eq!((e.line, e.column), (2, 5));
}

#[test]
fn a_byte_order_mark_is_refused_at_the_start() {
    let text =
        "\u{feff}$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";
    let items: Vec<_> = ZoneParser::new(text.as_bytes(), origin()).collect();
    assert_eq!(items.len(), 1);
    let e = items[0].clone().expect_err("refused");
    assert_eq!(
        e.display_in("example.com").to_string(),
        "example.com:1:1: the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which \
         BIND and NSD do not accept either: save it without one"
    );
    assert!(Zone::parse(&text.as_bytes()[3..], origin()).is_ok());
    // In an included file too.
    let mut tree = Tree::default().with("inc", "\u{feff}x A 192.0.2.1\n");
    let (_, errors) = parse(&mut tree, "example.com", "$INCLUDE inc\n");
    assert_eq!(
        errors,
        [
            "example.com:1:10: $INCLUDE inc: inc: the file starts with a UTF-8 byte-order mark \
          (bytes EF BB BF), which BIND and NSD do not accept either: save it without one"
        ]
    );
    let _ = RecordType::A;
}
