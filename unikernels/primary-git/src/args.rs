//! primary-git's boot arguments, declared in one place: the network and
//! DNS-service tables every unikernel shares (libs/services/unikernel-args), the
//! git arguments, named as the OCaml-DNS primary names them, and in the
//! host-process build `--zones-dir`, `--workers` and `--listen` (it
//! accepts the network arguments but serves on `--listen`). [`BootArgs`]
//! is what they say, in the libraries' types.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bootargs::{ArgKind, ArgSpec, Args};
use dns_service::ServiceConfig;
use git_remote::{RemoteUrl, Sync};
use primary::update::Authors;
use ssh::{Authenticator, ClientKey};
use unikernel_args::service_config;

/// The git arguments, named as the OCaml-DNS primary names them.
const GIT_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "remote",
        kind: ArgKind::Value {
            metavar: "ssh://USER@IP[:PORT]/PATH.git[#BRANCH]",
            default: None,
        },
        help: "git repository holding the zones",
    },
    ArgSpec {
        name: "ssh-key",
        kind: ArgKind::Value {
            metavar: "ed25519:BASE64SEED",
            default: None,
        },
        help: "SSH client key (`solodns keygen ssh` makes one)",
    },
    ArgSpec {
        name: "ssh-authenticator",
        kind: ArgKind::Value {
            metavar: "SHA256:BASE64",
            default: None,
        },
        help: "fingerprint of the git server's SSH host key, as `ssh-keygen -l` prints it",
    },
    ArgSpec {
        name: "git-author",
        kind: ArgKind::Value {
            metavar: "NAME<EMAIL>",
            default: Some(DEFAULT_AUTHOR),
        },
        help: "author of the commits that record dynamic updates; a boot argument cannot hold a space: write it %20",
    },
    ArgSpec {
        name: "git-committer",
        kind: ArgKind::Value {
            metavar: "NAME<EMAIL>",
            default: None,
        },
        help: "committer of those commits (default: the author)",
    },
];

/// The author of update commits unless `--git-author` says otherwise.
const DEFAULT_AUTHOR: &str = "solodns%20primary-git<primary-git@solodns.invalid>";

/// The arguments of the host-process build only.
const HOST_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "zones-dir",
        kind: ArgKind::Value {
            metavar: "DIR",
            default: None,
        },
        help: "host-process build: serve the zone files in DIR (one file per zone, named after it; _keys files are not served; files in subdirectories may be $INCLUDEd) instead of --remote",
    },
    ArgSpec {
        name: "workers",
        kind: ArgKind::Value {
            metavar: "N",
            default: Some("1"),
        },
        help: "host-process build: threads answering UDP queries, on sockets sharing the address (SO_REUSEPORT), each query to one at random; with more than 1, the service's own thread serves TCP, UPDATE, NOTIFY, transfers and signed queries",
    },
];

/// Most `--workers`.
#[cfg(not(target_os = "none"))]
const MAX_WORKERS: usize = 64;

/// Every argument, in the order `--help` lists them (the host-process
/// build adds [`HOST_ARGS`] and `--listen`).
pub fn specs() -> Vec<ArgSpec> {
    unikernel_args::dns_specs(GIT_ARGS, HOST_ARGS)
}

/// What the image's boot arguments say.
#[cfg(target_os = "none")]
pub struct BootArgs {
    /// The service interface's addressing.
    pub ip: netstack::IpConfig,
    /// The DNS service's settings.
    pub service: ServiceConfig,
    /// The git remote and its keys, and who commits the UPDATEs.
    pub git: (Sync, Authors),
}

#[cfg(target_os = "none")]
impl BootArgs {
    /// Reads the arguments of [`specs`]; an error is a usage error naming
    /// the argument.
    pub fn read(args: &Args<'_>) -> Result<BootArgs, String> {
        let ip = unikernel_args::ip_config(args)?;
        let service = service_config(args).map_err(usage)?;
        let git = git(args)?.ok_or("--remote=ssh://USER@IP[:PORT]/PATH.git is required")?;
        Ok(BootArgs { ip, service, git })
    }
}

/// What the host process's arguments say.
#[cfg(not(target_os = "none"))]
pub struct BootArgs {
    /// The DNS service's settings.
    pub service: ServiceConfig,
    /// Where to serve (`None`: the standard port on every address).
    pub listen: Option<core::net::SocketAddr>,
    /// The git remote and its keys, and who commits the UPDATEs.
    pub git: Option<(Sync, Authors)>,
    /// The directory to serve instead of a git remote.
    pub zones_dir: Option<String>,
    /// Threads answering UDP queries (1 to [`MAX_WORKERS`]).
    pub workers: usize,
}

#[cfg(not(target_os = "none"))]
impl BootArgs {
    /// Reads the arguments of [`specs`]; an error is a usage error naming
    /// the argument. Whether `--remote` or `--zones-dir` is given is for
    /// the caller to check.
    pub fn read(args: &Args<'_>) -> Result<BootArgs, String> {
        let service = service_config(args).map_err(usage)?;
        let listen = unikernel_args::listen(args).map_err(usage)?;
        let git = git(args)?;
        let zones_dir = args.value("zones-dir").map_err(usage)?.map(String::from);
        let workers: usize = args.parse_value("workers").map_err(usage)?.unwrap_or(1);
        if !(1..=MAX_WORKERS).contains(&workers) {
            return Err(format!("--workers={workers}: give 1 to {MAX_WORKERS}"));
        }
        Ok(BootArgs {
            service,
            listen,
            git,
            zones_dir,
            workers,
        })
    }
}

fn usage(error: bootargs::Error) -> String {
    error.to_string()
}

/// Reads [`GIT_ARGS`]: `Ok(None)` when `--remote` is absent, an error
/// message naming the argument when something is missing or malformed.
fn git(args: &Args<'_>) -> Result<Option<(Sync, Authors)>, String> {
    let text = |name: &str| args.value(name).map_err(usage);
    let Some(remote) = text("remote")? else {
        return Ok(None);
    };
    let url: RemoteUrl = remote.parse().map_err(|e| format!("--remote: {e}"))?;
    let key = text("ssh-key")?.ok_or("--ssh-key=ed25519:BASE64SEED is required with --remote")?;
    let key = ClientKey::parse(key).map_err(|e| format!("--ssh-key: {e}"))?;
    let pinned = text("ssh-authenticator")?
        .ok_or("--ssh-authenticator=SHA256:BASE64 is required with --remote")?;
    let authenticator =
        Authenticator::parse(pinned).map_err(|e| format!("--ssh-authenticator: {e}"))?;
    let identity = |name: &str, given: &str| {
        primary::decode_identity(given).map_err(|e| format!("--{name}={given}: {e}"))
    };
    let author = identity("git-author", text("git-author")?.unwrap_or(DEFAULT_AUTHOR))?;
    let committer = match text("git-committer")? {
        Some(given) => identity("git-committer", given)?,
        None => author.clone(),
    };
    Ok(Some((
        Sync::new(url, key, authenticator),
        Authors { author, committer },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIT: &str = "--remote=ssh://git@10.0.0.1/zones.git \
        --ssh-key=ed25519:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc= \
        --ssh-authenticator=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    /// What `cmdline` says, or the usage error it gives.
    fn read(cmdline: &str) -> Result<BootArgs, String> {
        let specs = specs();
        match bootargs::parse("primary-git", &specs, cmdline) {
            Ok(bootargs::Parsed::Args(args)) => BootArgs::read(&args),
            Ok(bootargs::Parsed::Help(_)) => panic!("no --help here"),
            Err(error) => Err(error.to_string()),
        }
    }

    /// The authors of the git arguments with `extra`, or the error they give.
    fn authors(extra: &str) -> Result<Authors, String> {
        match read(&format!("{GIT} {extra}"))?.git {
            Some((_, authors)) => Ok(authors),
            None => panic!("--remote was given"),
        }
    }

    #[test]
    fn the_table_is_valid_and_lists_every_argument_once() {
        let specs = specs();
        assert!(bootargs::parse("primary-git", &specs, "").is_ok());
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "ipv4",
                "ipv4-gateway",
                "ipv6",
                "ipv6-gateway",
                "tcp-idle-timeout",
                "tcp-io-timeout",
                "tcp-clients",
                "tcp-clients-per-source",
                "log-level",
                "remote",
                "ssh-key",
                "ssh-authenticator",
                "git-author",
                "git-committer",
                "zones-dir",
                "workers",
                "listen",
            ]
        );
    }

    #[test]
    fn authors_come_from_the_boot_arguments_and_bad_ones_are_named() {
        let default = authors("").expect("the default");
        assert_eq!(default.author.name, "solodns primary-git");
        assert_eq!(default.author.email, "primary-git@solodns.invalid");
        assert_eq!(default.committer, default.author);
        let given = authors("--git-author=Zone%20Robot<robot@example.org>").expect("valid");
        assert_eq!(
            (given.author.name.as_str(), given.author.email.as_str()),
            ("Zone Robot", "robot@example.org")
        );
        assert_eq!(
            given.committer, given.author,
            "the committer defaults to the author"
        );
        let both = authors("--git-author=A<a@x> --git-committer=C<c@x>").expect("valid");
        assert_eq!(both.committer.name, "C");
        assert_eq!(
            authors("--git-committer=nobody").map(|_| ()),
            Err("--git-committer=nobody: expected `Name <email>`".into())
        );
        assert_eq!(
            authors("--git-author=A%2<a@x>").map(|_| ()),
            Err("--git-author=A%2<a@x>: `%` must start a two-digit hex escape such as %20".into())
        );
    }

    #[test]
    fn missing_or_malformed_git_arguments_are_named() {
        let error = |cmdline: &str| read(cmdline).map(|_| ()).expect_err(cmdline);
        assert_eq!(
            error("--remote=http://x"),
            "--remote: expected ssh://user@host[:port]/path.git[#branch]"
        );
        assert_eq!(
            error("--remote=ssh://git@10.0.0.1/zones.git"),
            "--ssh-key=ed25519:BASE64SEED is required with --remote"
        );
        let with_key = "--remote=ssh://git@10.0.0.1/zones.git \
            --ssh-key=ed25519:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
        assert_eq!(
            error(with_key),
            "--ssh-authenticator=SHA256:BASE64 is required with --remote"
        );
        assert!(error(&format!("{with_key} --ssh-authenticator=SHA256:xx"))
            .starts_with("--ssh-authenticator: "));
        assert!(read("").expect("no git").git.is_none());
    }

    #[test]
    fn host_arguments() {
        let boot = read("--zones-dir=zones --listen=127.0.0.1:5353 --workers=4 --log-level=warn")
            .expect("valid");
        assert_eq!(boot.zones_dir.as_deref(), Some("zones"));
        assert_eq!(boot.listen, Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(boot.workers, 4);
        assert_eq!(boot.service.log_level, dns_service::LogLevel::Warn);
        assert_eq!(read("").expect("defaults").workers, 1);
        for bad in ["0", "65"] {
            assert_eq!(
                read(&format!("--workers={bad}")).map(|_| ()),
                Err(format!("--workers={bad}: give 1 to 64"))
            );
        }
        assert_eq!(
            read("--workers=many").map(|_| ()),
            Err("invalid value for --workers: `many` (expected N)".into())
        );
    }
}
