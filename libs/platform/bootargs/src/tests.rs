use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use crate::{parse, ApiMisuse, ArgKind, ArgSpec, Args, Error, Parsed};

const SPECS: &[ArgSpec] = &[
    ArgSpec {
        name: "ipv4",
        kind: ArgKind::Value {
            metavar: "ADDR/LEN",
            default: Some("10.0.0.2/24"),
        },
        help: "address and prefix length of the service interface",
    },
    ArgSpec {
        name: "gateway",
        kind: ArgKind::Value {
            metavar: "IP",
            default: None,
        },
        help: "default gateway",
    },
    ArgSpec {
        name: "port",
        kind: ArgKind::Value {
            metavar: "PORT",
            default: Some("53"),
        },
        help: "UDP and TCP port to serve",
    },
    ArgSpec {
        name: "secondary",
        kind: ArgKind::Repeated { metavar: "IP" },
        help: "a secondary server to notify",
    },
    ArgSpec {
        name: "verbose",
        kind: ArgKind::Flag,
        help: "log every query",
    },
];

fn parsed(cmdline: &str) -> Args<'static> {
    match parse("primary", SPECS, cmdline) {
        Ok(Parsed::Args(args)) => args,
        other => panic!("{cmdline:?}: expected arguments, got {other:?}"),
    }
}

fn token(s: &str) -> String {
    s.to_string()
}

/// What [`accepted_command_lines`] expects to read back.
struct Expect {
    ipv4: &'static str,
    gateway: Option<&'static str>,
    secondaries: &'static [&'static str],
    verbose: bool,
}

const DEFAULTS: Expect = Expect {
    ipv4: "10.0.0.2/24",
    gateway: None,
    secondaries: &[],
    verbose: false,
};

#[test]
fn accepted_command_lines() {
    let table: &[(&str, Expect)] = &[
        ("", DEFAULTS),
        ("   \t ", DEFAULTS),
        (
            "--verbose",
            Expect {
                verbose: true,
                ..DEFAULTS
            },
        ),
        (
            "--ipv4=192.0.2.1/28",
            Expect {
                ipv4: "192.0.2.1/28",
                ..DEFAULTS
            },
        ),
        (
            "\t--gateway=192.0.2.254  --ipv4=192.0.2.1/28\t--verbose ",
            Expect {
                ipv4: "192.0.2.1/28",
                gateway: Some("192.0.2.254"),
                verbose: true,
                ..DEFAULTS
            },
        ),
        (
            "--secondary=192.0.2.7",
            Expect {
                secondaries: &["192.0.2.7"],
                ..DEFAULTS
            },
        ),
        (
            "--secondary=192.0.2.7 --verbose --secondary=192.0.2.8 --secondary=192.0.2.7",
            Expect {
                secondaries: &["192.0.2.7", "192.0.2.8", "192.0.2.7"],
                verbose: true,
                ..DEFAULTS
            },
        ),
        // The empty value is a value; a value may contain `=`.
        (
            "--gateway= --ipv4=a=b",
            Expect {
                ipv4: "a=b",
                gateway: Some(""),
                ..DEFAULTS
            },
        ),
    ];
    for (cmdline, expect) in table {
        let args = parsed(cmdline);
        assert_eq!(args.value("ipv4"), Ok(Some(expect.ipv4)), "{cmdline:?}");
        assert_eq!(args.value("gateway"), Ok(expect.gateway), "{cmdline:?}");
        let secondaries: Vec<String> = expect.secondaries.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            args.values("secondary"),
            Ok(&secondaries[..]),
            "{cmdline:?}"
        );
        assert_eq!(args.flag("verbose"), Ok(expect.verbose), "{cmdline:?}");
    }
}

#[test]
fn rejected_command_lines() {
    let table: &[(&str, Error, &str)] = &[
        (
            "--foo",
            Error::UnknownArgument {
                token: token("--foo"),
            },
            "unknown argument `--foo` (see --help)",
        ),
        (
            "--verbose --foo=1",
            Error::UnknownArgument {
                token: token("--foo=1"),
            },
            "unknown argument `--foo=…` (see --help)",
        ),
        (
            "verbose",
            Error::MalformedToken {
                token: token("verbose"),
            },
            "malformed argument of 7 characters not starting with -- (expected --NAME or --NAME=VALUE)",
        ),
        (
            "-v",
            Error::MalformedToken { token: token("-v") },
            "malformed argument `-v` (expected --NAME or --NAME=VALUE)",
        ),
        (
            "--",
            Error::MalformedToken { token: token("--") },
            "malformed argument `--` (expected --NAME or --NAME=VALUE)",
        ),
        (
            "--=x",
            Error::MalformedToken {
                token: token("--=x"),
            },
            "malformed argument `--=…` (expected --NAME or --NAME=VALUE)",
        ),
        (
            "--verbose=1",
            Error::UnexpectedValue {
                name: "verbose",
                token: token("--verbose=1"),
            },
            "unexpected value in `--verbose=…` (--verbose is a flag and takes no value)",
        ),
        (
            "--verbose=",
            Error::UnexpectedValue {
                name: "verbose",
                token: token("--verbose="),
            },
            "unexpected value in `--verbose=…` (--verbose is a flag and takes no value)",
        ),
        (
            "--help=yes",
            Error::UnexpectedValue {
                name: "help",
                token: token("--help=yes"),
            },
            "unexpected value in `--help=…` (--help is a flag and takes no value)",
        ),
        (
            "--ipv4",
            Error::MissingValue {
                name: "ipv4",
                metavar: "ADDR/LEN",
            },
            "missing value for `--ipv4` (expected --ipv4=ADDR/LEN)",
        ),
        (
            "--secondary",
            Error::MissingValue {
                name: "secondary",
                metavar: "IP",
            },
            "missing value for `--secondary` (expected --secondary=IP)",
        ),
        (
            "--ipv4=10.0.0.3/8 --ipv4=10.0.0.4/8",
            Error::Duplicate {
                name: "ipv4",
                token: token("--ipv4=10.0.0.4/8"),
            },
            "`--ipv4=…`: --ipv4 is given more than once (expected at most once)",
        ),
        (
            "--verbose --verbose",
            Error::Duplicate {
                name: "verbose",
                token: token("--verbose"),
            },
            "`--verbose`: --verbose is given more than once (expected at most once)",
        ),
    ];
    for (cmdline, error, message) in table {
        let got = parse("primary", SPECS, cmdline);
        assert_eq!(got.as_ref(), Err(error), "{cmdline:?}");
        assert_eq!(error.to_string(), *message, "{cmdline:?}");
        assert!(!message.contains('\n'), "{cmdline:?}: one line");
    }
}

#[test]
fn help_wins_over_everything_else() {
    for cmdline in [
        "--help",
        "--verbose --help",
        "--foo --help bar",
        "--ipv4 \t--help",
    ] {
        let parsed = parse("primary", SPECS, cmdline);
        assert!(
            matches!(parsed, Ok(Parsed::Help(_))),
            "{cmdline:?}: {parsed:?}"
        );
    }
}

#[test]
fn help_lists_every_argument_with_metavar_default_and_help() {
    let Ok(Parsed::Help(text)) = parse("primary", SPECS, "--help") else {
        panic!("expected help");
    };
    let expected = "\
usage: primary [--NAME[=VALUE] ...]

boot arguments:
  --ipv4=ADDR/LEN  address and prefix length of the service interface (default: 10.0.0.2/24)
  --gateway=IP     default gateway
  --port=PORT      UDP and TCP port to serve (default: 53)
  --secondary=IP   a secondary server to notify (repeatable)
  --verbose        log every query
  --help           print this help and exit
";
    assert_eq!(text, expected);
    for spec in SPECS {
        assert!(text.contains(spec.help), "{}", spec.name);
    }
}

#[test]
fn typed_values() {
    let args = parsed("--gateway=192.0.2.254 --secondary=192.0.2.7 --secondary=192.0.2.8");
    assert_eq!(
        args.parse_value("gateway"),
        Ok(Some(Ipv4Addr::new(192, 0, 2, 254)))
    );
    assert_eq!(
        args.parse_value::<u16>("port"),
        Ok(Some(53)),
        "the default parses"
    );
    assert_eq!(args.parse_required::<u16>("port"), Ok(53));
    assert_eq!(
        args.parse_values::<Ipv4Addr>("secondary"),
        Ok(vec![
            Ipv4Addr::new(192, 0, 2, 7),
            Ipv4Addr::new(192, 0, 2, 8)
        ])
    );

    let args = parsed("--ipv4=300.1.1.1 --port=65536 --secondary=192.0.2.7 --secondary=x");
    let error = args.parse_value::<Ipv4Addr>("ipv4").unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid value for --ipv4: `300.1.1.1` (expected ADDR/LEN)"
    );
    let error = args.parse_required::<u16>("port").unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid value for --port: `65536` (expected PORT)"
    );
    let error = args.parse_values::<Ipv4Addr>("secondary").unwrap_err();
    assert_eq!(
        error,
        Error::InvalidValue {
            name: "secondary",
            value: token("x"),
            metavar: "IP"
        }
    );

    assert_eq!(args.parse_value::<Ipv4Addr>("gateway"), Ok(None));
    let error = args.parse_required::<Ipv4Addr>("gateway").unwrap_err();
    assert_eq!(error.to_string(), "missing required argument --gateway=IP");
}

#[test]
fn reading_undeclared_or_mistyped_names_is_api_misuse() {
    let args = parsed("--verbose");
    let table: &[(Result<(), Error>, ApiMisuse)] = &[
        (
            args.flag("verbos").map(drop),
            ApiMisuse::UndeclaredName {
                name: token("verbos"),
            },
        ),
        (
            args.value("nope").map(drop),
            ApiMisuse::UndeclaredName {
                name: token("nope"),
            },
        ),
        (
            args.values("").map(drop),
            ApiMisuse::UndeclaredName { name: token("") },
        ),
        (
            args.value("verbose").map(drop),
            ApiMisuse::WrongKind {
                name: "verbose",
                declared: "a flag",
                requested: "a single value",
            },
        ),
        (
            args.flag("ipv4").map(drop),
            ApiMisuse::WrongKind {
                name: "ipv4",
                declared: "a single value",
                requested: "a flag",
            },
        ),
        (
            args.parse_values::<u8>("ipv4").map(drop),
            ApiMisuse::WrongKind {
                name: "ipv4",
                declared: "a single value",
                requested: "a repeated value",
            },
        ),
        (
            args.parse_value::<u8>("secondary").map(drop),
            ApiMisuse::WrongKind {
                name: "secondary",
                declared: "a repeated value",
                requested: "a single value",
            },
        ),
        (
            args.parse_value::<Ipv4Addr>("ipv4").map(drop),
            ApiMisuse::InvalidDefault {
                name: "ipv4",
                default: "10.0.0.2/24",
                metavar: "ADDR/LEN",
            },
        ),
    ];
    for (got, misuse) in table {
        assert_eq!(got, &Err(Error::ApiMisuse(misuse.clone())));
    }
    let error = args.flag("verbos").unwrap_err();
    assert_eq!(
        error.to_string(),
        "API misuse: `--verbos` is not declared in the argument specs"
    );
}

#[test]
fn malformed_spec_tables_are_api_misuse() {
    const fn flag(name: &'static str) -> ArgSpec {
        ArgSpec {
            name,
            kind: ArgKind::Flag,
            help: "",
        }
    }
    let empty_metavar = ArgSpec {
        name: "x",
        kind: ArgKind::Repeated { metavar: "" },
        help: "",
    };
    let table: &[(&[ArgSpec], &str)] = &[
        (&[flag("")], "a name must not be empty"),
        (&[flag("help")], "`--help` is built in"),
        (
            &[flag("--verbose")],
            "a name is given without the leading `--`",
        ),
        (
            &[flag("a=b")],
            "a name must not contain `=`, spaces or tabs",
        ),
        (
            &[flag("a b")],
            "a name must not contain `=`, spaces or tabs",
        ),
        (&[empty_metavar], "a metavar must not be empty"),
        (
            &[flag("v"), flag("w"), flag("v")],
            "the name is declared twice",
        ),
    ];
    for (specs, reason) in table {
        match parse("p", specs, "") {
            Err(Error::ApiMisuse(ApiMisuse::InvalidSpec { reason: got, .. })) => {
                assert_eq!(got, *reason)
            }
            other => panic!("{specs:?}: expected InvalidSpec, got {other:?}"),
        }
    }
}

/// No error shows an argument's value: a mistyped, repeated or misplaced
/// secret (`--ssh-key=ed25519:SEED`, `--keys=…:SHA256:SECRET`) must not
/// reach the console.
#[test]
fn errors_never_show_a_value() {
    const SECRET: &str = "c2VjcmV0LXNlZWQtYnl0ZXM";
    for cmdline in [
        "--ssh-kye=ed25519:c2VjcmV0LXNlZWQtYnl0ZXM",
        "--ipv4=1 --ipv4=c2VjcmV0LXNlZWQtYnl0ZXM",
        "--verbose=c2VjcmV0LXNlZWQtYnl0ZXM",
        "c2VjcmV0LXNlZWQtYnl0ZXM",
        "-x=c2VjcmV0LXNlZWQtYnl0ZXM",
    ] {
        let error = parse("primary", SPECS, cmdline).expect_err(cmdline);
        let shown = error.to_string();
        assert!(!shown.contains(SECRET), "{cmdline:?}: {shown}");
    }
}
