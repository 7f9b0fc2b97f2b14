//! letsencrypt's boot arguments, declared in one place: the network and
//! DNS-service tables every unikernel shares (libs/services/unikernel-args), its
//! own (OCaml-DNS's `dns-letsencrypt-secondary` names: `--dns-key`,
//! `--dns-server`, `--port`, `--production`, `--account-key-seed`,
//! `--account-key-type`, `--account-bits`, `--email`; and ours:
//! `--acme-server`, `--tls-authenticator`, `--resolver`), and in the
//! host-process build `--listen` (it accepts the network arguments but
//! serves on `--listen`). [`BootArgs`] is what they say, in the libraries'
//! types.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bootargs::{ArgKind, ArgSpec, Args};
use core::net::{IpAddr, SocketAddr};
use dns_service::ServiceConfig;
use letsencrypt::config::{
    account_key_type, is_email_address, update_key_role, AccountKeyTypeError,
    LETSENCRYPT_PRODUCTION, LETSENCRYPT_STAGING,
};
use letsencrypt::Config;
use letsencrypt_service::ConfigError;
use unikernel_args::service_config;

/// letsencrypt's own arguments.
const LETSENCRYPT_ARGS: &[ArgSpec] = &[
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

/// Every argument, in the order `--help` lists them (the host-process
/// build adds its own and `--listen`).
pub fn specs() -> Vec<ArgSpec> {
    unikernel_args::dns_specs(LETSENCRYPT_ARGS, &[])
}

/// What the boot arguments say.
pub struct BootArgs {
    /// The service interface's addressing.
    #[cfg(target_os = "none")]
    pub ip: netstack::IpConfig,
    /// Where to serve (`None`: the standard port on every address).
    #[cfg(not(target_os = "none"))]
    pub listen: Option<SocketAddr>,
    /// Our addresses: the interface's, or `--listen`'s.
    pub ours: Vec<IpAddr>,
    /// The DNS service's settings.
    pub service: ServiceConfig,
    /// The letsencrypt service's configuration.
    pub config: Config,
}

impl BootArgs {
    /// Reads the arguments of [`specs`]; an error is a usage error naming
    /// the argument (never a secret).
    #[cfg(target_os = "none")]
    pub fn read(args: &Args<'_>) -> Result<BootArgs, String> {
        let ip = unikernel_args::ip_config(args)?;
        let service = service_config(args).map_err(usage)?;
        let config = config(args)?;
        Ok(BootArgs {
            ours: ip.addresses().collect(),
            ip,
            service,
            config,
        })
    }

    /// Reads the arguments of [`specs`]; an error is a usage error naming
    /// the argument (never a secret).
    #[cfg(not(target_os = "none"))]
    pub fn read(args: &Args<'_>) -> Result<BootArgs, String> {
        let service = service_config(args).map_err(usage)?;
        let listen = unikernel_args::listen(args).map_err(usage)?;
        let config = config(args)?;
        Ok(BootArgs {
            listen,
            ours: listen.map(|a| a.ip()).into_iter().collect(),
            service,
            config,
        })
    }

    /// What the arguments say, in one line (no secrets).
    pub fn describe(&self) -> String {
        let config = &self.config;
        format!(
            "hidden secondary of {} from {}, ACME directory {}, account key {:?}{}",
            config.zone.to_ascii(),
            config.dns_server,
            config.directory_url,
            config.account_key_type,
            match config.resolver {
                Some(ip) => format!(", resolver {ip}"),
                None => String::new(),
            }
        )
    }
}

/// A configuration the letsencrypt service refused, as a usage error
/// naming the argument.
pub fn refused(config: &Config, error: ConfigError) -> String {
    match (error, &config.tls_authenticator) {
        (ConfigError::TlsAuthenticator(e), Some(text)) => {
            format!("--tls-authenticator={text}: {e}")
        }
        (ConfigError::AccountKey(e), _) => format!("account key from --account-key-seed: {e}"),
        (other, _) => other.to_string(),
    }
}

fn usage(error: bootargs::Error) -> String {
    error.to_string()
}

/// Reads [`LETSENCRYPT_ARGS`] into a [`Config`]. Errors name the argument
/// (never a secret) and say what was expected.
fn config(args: &Args<'_>) -> Result<Config, String> {
    let key_text = args.value("dns-key").map_err(usage)?.ok_or_else(|| {
        String::from("missing --dns-key=NAME:ALG:SECRET (an `_update` key of the zone)")
    })?;
    let shown = dns_keys::without_secret(key_text);
    let key = dns_keys::parse_cli_key(key_text).map_err(|e| format!("--dns-key={shown}: {e}"))?;
    let role = update_key_role(&key).map_err(|e| format!("--dns-key={shown}: {e}"))?;
    let port: u16 = args.parse_required("port").map_err(usage)?;
    let server: Option<IpAddr> = args.parse_value("dns-server").map_err(usage)?;
    let server = server.or(role.primary).ok_or_else(|| {
        String::from("missing --dns-server=IP (the primary), and the key's name names none")
    })?;
    let production = args.flag("production").map_err(usage)?;
    let acme_server = args.value("acme-server").map_err(usage)?;
    let directory_url = match (acme_server, production) {
        (Some(_), true) => {
            return Err(String::from(
                "--acme-server and --production exclude each other",
            ))
        }
        (Some(url), false) => {
            if letsencrypt::url_host_port(url).is_none() {
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
        .map_err(usage)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            String::from("missing --account-key-seed=SEED (the same seed is the same ACME account)")
        })?;
    let bits: usize = args.parse_required("account-bits").map_err(usage)?;
    let kind = args
        .value("account-key-type")
        .map_err(usage)?
        .unwrap_or("ecdsa");
    let account_key_type = account_key_type(kind, bits).map_err(|e| match e {
        AccountKeyTypeError::RsaBits => format!("--account-bits={bits}: {e}"),
        _ => format!("--account-key-type={}: {e}", kind.to_ascii_lowercase()),
    })?;
    let email = args.value("email").map_err(usage)?;
    if let Some(email) = email.filter(|e| !is_email_address(e)) {
        return Err(format!(
            "--email={email}: expected an address like hostmaster@example.com"
        ));
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
            .map_err(usage)?
            .map(String::from),
        resolver: args.parse_value("resolver").map_err(usage)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "c2VjcmV0c2VjcmV0";

    fn config(cmdline: &str) -> Result<Config, String> {
        let specs = specs();
        match bootargs::parse("letsencrypt", &specs, cmdline) {
            Ok(bootargs::Parsed::Args(args)) => BootArgs::read(&args).map(|boot| boot.config),
            Ok(bootargs::Parsed::Help(_)) => panic!("no --help here"),
            Err(error) => Err(error.to_string()),
        }
    }

    #[test]
    fn the_table_is_valid_and_lists_every_argument_once() {
        let specs = specs();
        assert!(bootargs::parse("letsencrypt", &specs, "").is_ok());
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
                "dns-key",
                "dns-server",
                "port",
                "production",
                "acme-server",
                "account-key-seed",
                "account-key-type",
                "account-bits",
                "email",
                "tls-authenticator",
                "resolver",
                "listen",
            ]
        );
    }

    #[test]
    fn ocaml_dns_arguments() {
        let c = config(&format!(
            "--dns-key=letsencrypt._update.example.com:SHA256:{SECRET} --dns-server=192.0.2.10 --account-key-seed=s33d --email=hostmaster@example.com"
        ))
        .unwrap();
        assert_eq!(c.zone, letsencrypt::parse_name("example.com").unwrap());
        assert_eq!(c.dns_server, "192.0.2.10:53".parse().unwrap());
        assert_eq!(c.directory_url, LETSENCRYPT_STAGING);
        assert!(!c.production);
        assert_eq!(format!("{:?}", c.account_key_type), "EcdsaP256");
        assert_eq!(c.account_key_seed, b"s33d");
        assert_eq!(c.email.as_deref(), Some("hostmaster@example.com"));
        assert_eq!(format!("{:?}", c.key.algorithm()), "HmacSha256");
        assert_eq!(c.key.secret(), b"secretsecret");
        assert_eq!(c.resolver, None);

        let c = config(&format!(
            "--dns-key=192.0.2.10.192.0.2.20._update.sub.example.com:SHA256:{SECRET} --port=5353 --production --account-key-seed=x --account-key-type=rsa --account-bits=4096 --resolver=2001:db8::53 --tls-authenticator=cert-fingerprint:sha256:AAAA"
        ))
        .unwrap();
        assert_eq!(c.zone, letsencrypt::parse_name("sub.example.com").unwrap());
        // The primary from the key's name.
        assert_eq!(c.dns_server, "192.0.2.10:5353".parse().unwrap());
        assert_eq!(c.directory_url, LETSENCRYPT_PRODUCTION);
        assert_eq!(format!("{:?}", c.account_key_type), "Rsa { bits: 4096 }");
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
        let key = format!("--dns-key=le._update.example.com:SHA256:{SECRET}");
        let cases = [
            (String::from(base), "missing --dns-key"),
            (
                format!("--dns-key=le._transfer.example.com:SHA256:{SECRET} {base}"),
                "needs an `_update` label",
            ),
            (
                format!("--dns-key=le.example.com:SHA256:{SECRET} {base}"),
                "needs an `_update` label",
            ),
            (
                format!("--dns-key=le._update:SHA256:{SECRET} {base}"),
                "no zone follows",
            ),
            (
                format!("--dns-key=le._update.example.com:MD5:{SECRET} {base}"),
                "unknown algorithm",
            ),
            (
                format!("--dns-key={SECRET} {base}"),
                "should be 'name:algorithm:base64-secret'",
            ),
            (
                format!("{key} --account-key-seed=x"),
                "missing --dns-server",
            ),
            (
                format!("{key} --dns-server=192.0.2.10"),
                "missing --account-key-seed",
            ),
            (
                format!("{key} {base} --account-key-type=ED25519"),
                "--account-key-type=ed25519: expected ecdsa (P-256, ES256) or rsa",
            ),
            (
                format!("{key} {base} --account-key-type=rsa --account-bits=1024"),
                "--account-bits=1024: an RSA account key has 2048 to 4096 bits",
            ),
            (
                format!("{key} {base} --production --acme-server=https://ca.example/dir"),
                "exclude each other",
            ),
            (
                format!("{key} {base} --acme-server=http://ca.example/dir"),
                "expected an https:// URL",
            ),
            (
                format!("{key} {base} --email=nobody"),
                "expected an address",
            ),
            (
                format!("{key} --account-key-seed=topsecretseed --dns-server=10.0.0.300"),
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

    #[test]
    fn a_refused_authenticator_is_named() {
        let config = config(&format!(
            "--dns-key=le._update.example.com:SHA256:{SECRET} --dns-server=192.0.2.10 --account-key-seed=s --tls-authenticator=key-fp:MD5:AAAA"
        ))
        .unwrap();
        let dns = dns_service::DnsService::new(
            dns_server::catalog::Catalog::new(),
            ServiceConfig::default(),
            |_| {},
        );
        let service =
            letsencrypt_service::LetsencryptService::new(&config, dns, Vec::new(), [3; 32]);
        let error = service.err().expect("MD5 is refused");
        assert_eq!(
            refused(&config, error),
            "--tls-authenticator=key-fp:MD5:AAAA: TLS authenticator hash \"MD5\" is not supported: use SHA256, SHA384 or SHA512"
        );
    }
}
