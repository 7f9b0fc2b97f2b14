//! The boot arguments, as OCaml-DNS's `dns-letsencrypt-secondary` names
//! them (`--dns-key`, `--dns-server`, `--port`, `--production`,
//! `--account-key-seed`, `--account-key-type`, `--account-bits`,
//! `--email`), and ours (`--acme-server`, `--tls-authenticator`,
//! `--resolver`), read into a [`Config`].
//!
//! The key follows OCaml-DNS: `--dns-key=NAME:ALG:SECRET` whose name has
//! an `_update` label; the zone is what follows it
//! (`letsencrypt._update.example.com` updates `example.com`), and the same
//! key signs the transfers of that zone. Where OCaml-DNS defaults differ,
//! ours: the account key is ECDSA P-256 (JWS ES256) unless
//! `--account-key-type=rsa`, and an RSA key has 2048 bits unless
//! `--account-bits` says otherwise (OCaml-DNS: RSA 4096; generating 4096
//! bits from the seed takes much longer at every boot).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};

use acme::{AccountKey, ClientConfig, KeyError, KeyType, MAX_RSA_BITS, MIN_RSA_BITS};
use bootargs::{ArgKind, ArgSpec, Args};
use dns_keys::{KeyRole, Operation};
use dns_zone::Name;

use crate::manager::ManagerConfig;

/// Let's Encrypt's production directory (`--production`).
pub const LETSENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (the default).
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// The letsencrypt unikernel's boot arguments (besides the network ones).
pub const LETSENCRYPT_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "dns-key",
        kind: ArgKind::Value {
            metavar: "NAME:ALG:SECRET",
            default: None,
        },
        help: "the TSIG key that transfers the zone and signs the UPDATEs; its name has an `_update` label and the zone follows it (`letsencrypt._update.example.com:SHA256:BASE64` for example.com)",
    },
    ArgSpec {
        name: "dns-server",
        kind: ArgKind::Value {
            metavar: "IP",
            default: None,
        },
        help: "the primary: transfers come from it, UPDATEs go to it (default: the primary address in the key's name, `<primary-ip>.<our-ip>._update.<zone>`)",
    },
    ArgSpec {
        name: "port",
        kind: ArgKind::Value {
            metavar: "PORT",
            default: Some("53"),
        },
        help: "the primary's DNS port",
    },
    ArgSpec {
        name: "production",
        kind: ArgKind::Flag,
        help: "use Let's Encrypt's production service (default: its staging service, for tests)",
    },
    ArgSpec {
        name: "acme-server",
        kind: ArgKind::Value {
            metavar: "URL",
            default: None,
        },
        help: "the ACME directory URL of another CA (`https://…`); excludes --production",
    },
    ArgSpec {
        name: "account-key-seed",
        kind: ArgKind::Value {
            metavar: "SEED",
            default: None,
        },
        help: "the seed the ACME account key is derived from: the same seed is the same account",
    },
    ArgSpec {
        name: "account-key-type",
        kind: ArgKind::Value {
            metavar: "ecdsa|rsa",
            default: Some("ecdsa"),
        },
        help: "the account key: ecdsa (P-256, ES256) or rsa (RS256)",
    },
    ArgSpec {
        name: "account-bits",
        kind: ArgKind::Value {
            metavar: "BITS",
            default: Some("2048"),
        },
        help: "the size of an RSA account key (2048 to 4096)",
    },
    ArgSpec {
        name: "email",
        kind: ArgKind::Value {
            metavar: "ADDR",
            default: None,
        },
        help: "contact e-mail address of the ACME account",
    },
    ArgSpec {
        name: "tls-authenticator",
        kind: ArgKind::Value {
            metavar: "AUTHENTICATOR",
            default: None,
        },
        help: "how the ACME server's TLS certificate is checked (default: the built-in trust anchors)",
    },
    ArgSpec {
        name: "resolver",
        kind: ArgKind::Value {
            metavar: "IP",
            default: None,
        },
        help: "the recursive resolver that finds the ACME server's address (default: the primary)",
    },
];

/// What the boot arguments say.
#[derive(Clone, Debug)]
pub struct Config {
    /// The update key.
    pub key: tsig::Key,
    /// The zone it updates (the name after its `_update` label).
    pub zone: Name,
    /// The primary's DNS address.
    pub dns_server: SocketAddr,
    /// The ACME directory URL.
    pub directory_url: String,
    /// Whether that is Let's Encrypt's production service.
    pub production: bool,
    /// The account key seed (a secret: never logged).
    pub account_key_seed: Vec<u8>,
    /// The account key type.
    pub account_key_type: KeyType,
    /// The contact e-mail address.
    pub email: Option<String>,
    /// `--tls-authenticator`, as given (the HTTPS client reads it).
    pub tls_authenticator: Option<String>,
    /// `--resolver`.
    pub resolver: Option<IpAddr>,
}

impl Config {
    /// Derives the account key from the seed (RSA takes a while).
    pub fn account_key(&self) -> Result<AccountKey, KeyError> {
        AccountKey::from_seed(&self.account_key_seed, self.account_key_type)
    }

    /// The manager's configuration with the account key `key`.
    pub fn manager_config(&self, key: AccountKey) -> ManagerConfig {
        let mut acme = ClientConfig::new(&self.directory_url, key);
        if let Some(email) = &self.email {
            acme = acme.with_email(email);
        }
        ManagerConfig {
            key: self.key.clone(),
            zone: self.zone.clone(),
            acme,
        }
    }
}

fn arg_error(e: bootargs::Error) -> String {
    format!("{e}")
}

/// Reads [`LETSENCRYPT_ARGS`] into a [`Config`]. Errors name the argument
/// (never a secret) and say what was expected.
pub fn config_from_args(args: &Args<'_>) -> Result<Config, String> {
    let key_text = args.value("dns-key").map_err(arg_error)?.ok_or_else(|| {
        String::from("missing --dns-key=NAME:ALG:SECRET (an `_update` key of the zone)")
    })?;
    let key = dns_keys::parse_cli_key(key_text)
        .map_err(|e| format!("--dns-key={}: {e}", dns_keys::without_secret(key_text)))?;
    let role = KeyRole::of(key.name()).filter(|r| r.operation == Operation::Update);
    let Some(role) = role else {
        return Err(format!(
            "--dns-key={}: the key name needs an `_update` label followed by the zone (e.g. letsencrypt._update.example.com)",
            dns_keys::without_secret(key_text)
        ));
    };
    if role.zone.is_root() {
        return Err(format!(
            "--dns-key={}: no zone follows the `_update` label",
            dns_keys::without_secret(key_text)
        ));
    }
    let port: u16 = args.parse_required("port").map_err(arg_error)?;
    let server: Option<IpAddr> = args.parse_value("dns-server").map_err(arg_error)?;
    let server = server.or(role.primary).ok_or_else(|| {
        String::from("missing --dns-server=IP (the primary), and the key's name names none")
    })?;
    let production = args.flag("production").map_err(arg_error)?;
    let acme_server = args.value("acme-server").map_err(arg_error)?;
    let directory_url = match (acme_server, production) {
        (Some(_), true) => {
            return Err(String::from(
                "--acme-server and --production exclude each other",
            ))
        }
        (Some(url), false) => {
            if crate::url_host_port(url).is_none() {
                return Err(format!(
                    "--acme-server={url}: expected an https:// URL (https://HOST[:PORT]/PATH)"
                ));
            }
            String::from(url)
        }
        (None, true) => String::from(LETSENCRYPT_PRODUCTION),
        (None, false) => String::from(LETSENCRYPT_STAGING),
    };
    let seed = args
        .value("account-key-seed")
        .map_err(arg_error)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            String::from("missing --account-key-seed=SEED (the same seed is the same ACME account)")
        })?;
    let bits: usize = args.parse_required("account-bits").map_err(arg_error)?;
    let kind = args
        .value("account-key-type")
        .map_err(arg_error)?
        .unwrap_or("ecdsa");
    let account_key_type = match kind.to_ascii_lowercase().as_str() {
        "ecdsa" | "p256" => KeyType::EcdsaP256,
        "rsa" if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) => KeyType::Rsa { bits },
        "rsa" => {
            return Err(format!(
            "--account-bits={bits}: an RSA account key has {MIN_RSA_BITS} to {MAX_RSA_BITS} bits"
        ))
        }
        other => {
            return Err(format!(
                "--account-key-type={other}: expected ecdsa (P-256, ES256) or rsa (RS256)"
            ))
        }
    };
    let email = args.value("email").map_err(arg_error)?;
    if let Some(email) = email {
        let valid = email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if !valid {
            return Err(format!(
                "--email={email}: expected an address like hostmaster@example.com"
            ));
        }
    }
    Ok(Config {
        key,
        zone: role.zone,
        dns_server: SocketAddr::new(server, port),
        directory_url,
        production,
        account_key_seed: seed.as_bytes().to_vec(),
        account_key_type,
        email: email.map(String::from),
        tls_authenticator: args
            .value("tls-authenticator")
            .map_err(arg_error)?
            .map(String::from),
        resolver: args.parse_value("resolver").map_err(arg_error)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bootargs::Parsed;

    const SECRET: &str = "c2VjcmV0c2VjcmV0";

    fn config(cmdline: &str) -> Result<Config, String> {
        let Parsed::Args(args) = bootargs::parse("letsencrypt", LETSENCRYPT_ARGS, cmdline)
            .map_err(|e| format!("{e}"))?
        else {
            panic!("no --help here")
        };
        config_from_args(&args)
    }

    #[test]
    fn ocaml_dns_arguments() {
        let c = config(&format!(
            "--dns-key=letsencrypt._update.example.com:SHA256:{SECRET} --dns-server=192.0.2.10 --account-key-seed=s33d --email=hostmaster@example.com"
        ))
        .unwrap();
        assert_eq!(c.zone, crate::parse_name("example.com").unwrap());
        assert_eq!(c.dns_server, "192.0.2.10:53".parse().unwrap());
        assert_eq!(c.directory_url, LETSENCRYPT_STAGING);
        assert!(!c.production);
        assert_eq!(c.account_key_type, KeyType::EcdsaP256);
        assert_eq!(c.account_key_seed, b"s33d");
        assert_eq!(c.email.as_deref(), Some("hostmaster@example.com"));
        assert_eq!(c.key.algorithm(), tsig::Algorithm::HmacSha256);
        assert_eq!(c.key.secret(), b"secretsecret");
        assert_eq!(c.resolver, None);

        let c = config(&format!(
            "--dns-key=192.0.2.10.192.0.2.20._update.sub.example.com:SHA256:{SECRET} --port=5353 --production --account-key-seed=x --account-key-type=rsa --account-bits=4096 --resolver=2001:db8::53 --tls-authenticator=cert-fingerprint:sha256:AAAA"
        ))
        .unwrap();
        assert_eq!(c.zone, crate::parse_name("sub.example.com").unwrap());
        // The primary from the key's name.
        assert_eq!(c.dns_server, "192.0.2.10:5353".parse().unwrap());
        assert_eq!(c.directory_url, LETSENCRYPT_PRODUCTION);
        assert_eq!(c.account_key_type, KeyType::Rsa { bits: 4096 });
        assert_eq!(c.resolver, Some("2001:db8::53".parse().unwrap()));
        assert_eq!(
            c.tls_authenticator.as_deref(),
            Some("cert-fingerprint:sha256:AAAA")
        );

        let c = config(&format!(
            "--dns-key=le._update.example.org:SHA256:{SECRET} --dns-server=127.0.0.1 --account-key-seed=x --acme-server=https://127.0.0.1:14000/dir"
        ))
        .unwrap();
        assert_eq!(c.directory_url, "https://127.0.0.1:14000/dir");
    }

    #[test]
    fn clear_errors_without_secrets() {
        let base = "--dns-server=192.0.2.10 --account-key-seed=topsecretseed";
        let cases = [
            (String::from(base), "missing --dns-key"),
            (
                format!("--dns-key=le._transfer.example.com:SHA256:{SECRET} {base}"),
                "needs an `_update` label",
            ),
            (format!("--dns-key=le.example.com:SHA256:{SECRET} {base}"), "needs an `_update` label"),
            (format!("--dns-key=le._update:SHA256:{SECRET} {base}"), "no zone follows"),
            (format!("--dns-key=le._update.example.com:MD5:{SECRET} {base}"), "unknown algorithm"),
            (format!("--dns-key={SECRET} {base}"), "should be 'name:algorithm:base64-secret'"),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} --account-key-seed=x"),
                "missing --dns-server",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} --dns-server=192.0.2.10"),
                "missing --account-key-seed",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} {base} --account-key-type=ed25519"),
                "expected ecdsa (P-256, ES256) or rsa",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} {base} --account-key-type=rsa --account-bits=1024"),
                "2048 to 4096 bits",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} {base} --production --acme-server=https://ca.example/dir"),
                "exclude each other",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} {base} --acme-server=http://ca.example/dir"),
                "expected an https:// URL",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} {base} --email=nobody"),
                "expected an address",
            ),
            (
                format!("--dns-key=le._update.example.com:SHA256:{SECRET} --account-key-seed=topsecretseed --dns-server=10.0.0.300"),
                "--dns-server",
            ),
        ];
        for (cmdline, expected) in cases {
            let error = config(&cmdline).expect_err(&cmdline);
            assert!(error.contains(expected), "{cmdline}: {error}");
            assert!(!error.contains(SECRET), "{error}");
            assert!(!error.contains("topsecretseed"), "{error}");
        }
    }
}
