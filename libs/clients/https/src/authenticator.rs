//! How the server is authenticated, in the syntax of OCaml-DNS's
//! `--tls-authenticator` (ocaml-x509 `Authenticator.of_string`):
//!
//! - `key-fp:[HASH:]BASE64`: the leaf certificate's public key
//!   (SubjectPublicKeyInfo DER) hashes to this fingerprint;
//! - `cert-fp:[HASH:]BASE64`: the leaf certificate (DER) hashes to it;
//! - `trust-anchor:BASE64[:BASE64…]`: the chain leads to one of these DER
//!   certificates (webpki path building, RFC 5280).
//!
//! `HASH` is `SHA256` (the default), `SHA384` or `SHA512`, in any case;
//! base64 is the standard alphabet, padding optional.
//!
//! In every mode the leaf must be valid now (notBefore ≤ now ≤ notAfter)
//! and be issued for the host of the URL (a DNS name SAN, or an IP address
//! SAN for an IP URL), and the server must prove it holds the leaf's key
//! (the handshake signature). With a fingerprint the chain is **not**
//! verified: the pin replaces it, as in OCaml's X509 authenticators.
//!
//! `none` (accept anyone) is refused: nothing here should talk to an
//! unauthenticated CA.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use once_cell::race::OnceBox;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::Digest;

use crate::url::Host;
use crate::x509::{format_time, CertificateInfo};

/// ISRG Root X1 (RSA 4096, until 2035-06-04), from Debian's
/// ca-certificates (`mozilla/ISRG_Root_X1.crt`), as DER.
pub const ISRG_ROOT_X1: &[u8] = include_bytes!("../roots/isrg-root-x1.der");
/// ISRG Root X2 (ECDSA P-384, until 2040-09-17), from the same place.
pub const ISRG_ROOT_X2: &[u8] = include_bytes!("../roots/isrg-root-x2.der");

/// The hash of a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerprintHash {
    /// SHA-256 (32 bytes), the default.
    Sha256,
    /// SHA-384 (48 bytes).
    Sha384,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl FingerprintHash {
    fn name(self) -> &'static str {
        match self {
            FingerprintHash::Sha256 => "SHA256",
            FingerprintHash::Sha384 => "SHA384",
            FingerprintHash::Sha512 => "SHA512",
        }
    }

    fn len(self) -> usize {
        match self {
            FingerprintHash::Sha256 => 32,
            FingerprintHash::Sha384 => 48,
            FingerprintHash::Sha512 => 64,
        }
    }

    /// The hash of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            FingerprintHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            FingerprintHash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            FingerprintHash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Base64 as OCaml's `Base64.decode ~pad:false` reads it: padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How the server's certificate is checked.
#[derive(Clone)]
pub struct Authenticator {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    KeyFingerprint(FingerprintHash, Vec<u8>),
    CertFingerprint(FingerprintHash, Vec<u8>),
    TrustAnchors {
        /// The DER certificates as given (for display).
        certificates: Vec<Vec<u8>>,
        roots: Arc<RootCertStore>,
    },
}

/// Why an authenticator string was refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthenticatorError {
    /// Not `key-fp:`, `cert-fp:` or `trust-anchor:` (what it starts with).
    UnknownKind(String),
    /// `none` is not supported.
    NoneRefused,
    /// The hash is not SHA256, SHA384 or SHA512.
    UnknownHash(String),
    /// The fingerprint is not base64.
    BadBase64(String),
    /// The fingerprint has the wrong length for its hash.
    FingerprintLength {
        /// The hash named.
        hash: &'static str,
        /// Its output length.
        expected: usize,
        /// The decoded length.
        got: usize,
    },
    /// More `:`-separated parts than `key-fp:HASH:FP`.
    TooManyParts,
    /// `trust-anchor:` without a certificate.
    NoAnchor,
    /// Anchor number `index` (from 1) is not a certificate webpki accepts
    /// as a trust anchor.
    BadAnchor {
        /// Position in the list, from 1.
        index: usize,
        /// Why: rustls' error for webpki's refusal.
        error: rustls::Error,
    },
}

impl fmt::Display for AuthenticatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORMS: &str = "expected key-fp:[SHA256:]<base64>, cert-fp:[SHA256:]<base64> or \
                             trust-anchor:<base64 DER certificate>[:<base64>…]";
        match self {
            AuthenticatorError::UnknownKind(kind) => {
                write!(f, "TLS authenticator {kind:?} is unknown: {FORMS}")
            }
            AuthenticatorError::NoneRefused => write!(
                f,
                "TLS authenticator none (accept any server) is not supported: {FORMS}"
            ),
            AuthenticatorError::UnknownHash(hash) => write!(
                f,
                "TLS authenticator hash {hash:?} is not supported: use SHA256, SHA384 or SHA512"
            ),
            AuthenticatorError::BadBase64(text) => {
                write!(f, "TLS authenticator value {text:?} is not base64")
            }
            AuthenticatorError::FingerprintLength {
                hash,
                expected,
                got,
            } => write!(
                f,
                "TLS authenticator fingerprint is {got} bytes: a {hash} fingerprint is {expected}"
            ),
            AuthenticatorError::TooManyParts => write!(
                f,
                "TLS authenticator has too many ':'-separated parts: {FORMS}"
            ),
            AuthenticatorError::NoAnchor => {
                write!(f, "TLS authenticator trust-anchor: names no certificate")
            }
            AuthenticatorError::BadAnchor { index, error } => write!(
                f,
                "TLS authenticator trust anchor {index} is not a usable certificate: {error}"
            ),
        }
    }
}

/// Why the server's certificate was refused: for which host, and what did
/// not match. Displayed, it is the sentence for the log, e.g.
/// `certificate of 10.0.0.1 does not match key-fp:SHA256:…: its key is
/// SHA256:…`.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRefusal {
    /// The server, as in the URL.
    pub host: Host,
    /// What did not match.
    pub reason: RefusalReason,
}

/// What was wrong with the server's certificate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RefusalReason {
    /// The leaf certificate cannot be parsed (rustls' error).
    Unparsable(rustls::Error),
    /// The leaf's validity period cannot be read.
    UnreadableValidity,
    /// The leaf is not valid yet (seconds since 1970).
    NotValidYet {
        /// Its `notBefore`.
        not_before: i64,
        /// The time of the check.
        now: i64,
    },
    /// The leaf has expired (seconds since 1970).
    Expired {
        /// Its `notAfter`.
        not_after: i64,
        /// The time of the check.
        now: i64,
    },
    /// The leaf's public key does not hash to the `key-fp` pin.
    KeyFingerprint {
        /// The hash of the pin.
        hash: FingerprintHash,
        /// The pinned fingerprint.
        expected: Vec<u8>,
        /// The fingerprint of the key the server presented.
        actual: Vec<u8>,
    },
    /// The leaf does not hash to the `cert-fp` pin.
    CertFingerprint {
        /// The hash of the pin.
        hash: FingerprintHash,
        /// The pinned fingerprint.
        expected: Vec<u8>,
        /// The fingerprint of the certificate the server presented.
        actual: Vec<u8>,
    },
    /// The leaf is not issued for the host.
    WrongName {
        /// The names it is for, as OpenSSL prints subjectAltName entries
        /// (`DNS:a.example`, `IP:192.0.2.1`); empty if none.
        names: Vec<String>,
    },
    /// The chain does not lead to a trust anchor.
    UnknownIssuer {
        /// The leaf's issuer (`CN=…, O=…`), if the leaf can be read.
        issuer: Option<String>,
        /// The subjects of the trust anchors (`?` for one that cannot be
        /// read); empty with a fingerprint authenticator.
        anchors: Vec<String>,
    },
    /// The leaf or a certificate of its chain has expired (seconds since
    /// 1970).
    ChainExpired {
        /// The `notAfter` that has passed.
        not_after: i64,
        /// The time of the check.
        now: i64,
    },
    /// The leaf or a certificate of its chain is not valid yet (seconds
    /// since 1970).
    ChainNotValidYet {
        /// The `notBefore` still to come.
        not_before: i64,
        /// The time of the check.
        now: i64,
    },
    /// webpki refused the certificate for another reason (rustls' error).
    Other(rustls::Error),
}

impl fmt::Display for CertificateRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = &self.host;
        match &self.reason {
            RefusalReason::Unparsable(e) => {
                write!(f, "certificate of {host} cannot be parsed: {e}")
            }
            RefusalReason::UnreadableValidity => {
                write!(
                    f,
                    "certificate of {host} cannot be read (its validity period)"
                )
            }
            RefusalReason::NotValidYet { not_before, now } => write!(
                f,
                "certificate of {host} is not valid before {} (now {})",
                format_time(*not_before),
                format_time(*now)
            ),
            RefusalReason::Expired { not_after, now } => write!(
                f,
                "certificate of {host} expired at {} (now {})",
                format_time(*not_after),
                format_time(*now)
            ),
            RefusalReason::KeyFingerprint {
                hash,
                expected,
                actual,
            } => write!(
                f,
                "certificate of {host} does not match key-fp:{0}:{1}: its key is {0}:{2}",
                hash.name(),
                STANDARD.encode(expected),
                STANDARD.encode(actual)
            ),
            RefusalReason::CertFingerprint {
                hash,
                expected,
                actual,
            } => write!(
                f,
                "certificate of {host} does not match cert-fp:{0}:{1}: it is {0}:{2}",
                hash.name(),
                STANDARD.encode(expected),
                STANDARD.encode(actual)
            ),
            RefusalReason::WrongName { names } if names.is_empty() => {
                write!(
                    f,
                    "certificate of {host} is not for {host}: its names are none"
                )
            }
            RefusalReason::WrongName { names } => write!(
                f,
                "certificate of {host} is not for {host}: its names are {}",
                names.join(", ")
            ),
            RefusalReason::UnknownIssuer { issuer, anchors } => write!(
                f,
                "certificate of {host} (issued by {}) does not chain to the trust anchor {}",
                issuer.as_deref().unwrap_or("?"),
                anchors.join("; ")
            ),
            RefusalReason::ChainExpired { not_after, now } => write!(
                f,
                "certificate of {host} (or its chain) expired at {} (now {})",
                format_time(*not_after),
                format_time(*now)
            ),
            RefusalReason::ChainNotValidYet { not_before, now } => write!(
                f,
                "certificate of {host} (or its chain) is not valid before {} (now {})",
                format_time(*not_before),
                format_time(*now)
            ),
            RefusalReason::Other(e) => write!(f, "certificate of {host} refused: {e}"),
        }
    }
}

fn short(text: &str) -> String {
    if text.len() > 48 {
        let cut = (0..=48)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        alloc::format!("{}…", &text[..cut])
    } else {
        text.to_string()
    }
}

impl Authenticator {
    /// Trust the Let's Encrypt roots ISRG Root X1 and X2 (the default).
    pub fn lets_encrypt() -> Authenticator {
        Authenticator::trust_anchors(&[ISRG_ROOT_X1.to_vec(), ISRG_ROOT_X2.to_vec()])
            .expect("the built-in ISRG roots are valid trust anchors")
    }

    /// Trust chains leading to any of these DER certificates.
    pub fn trust_anchors(certificates: &[Vec<u8>]) -> Result<Authenticator, AuthenticatorError> {
        if certificates.is_empty() {
            return Err(AuthenticatorError::NoAnchor);
        }
        let mut roots = RootCertStore::empty();
        for (i, der) in certificates.iter().enumerate() {
            roots
                .add(CertificateDer::from(der.as_slice()))
                .map_err(|error| AuthenticatorError::BadAnchor {
                    index: i + 1,
                    error,
                })?;
        }
        Ok(Authenticator {
            kind: Kind::TrustAnchors {
                certificates: certificates.to_vec(),
                roots: Arc::new(roots),
            },
        })
    }

    /// Pin the leaf's public key: `hash` of its SubjectPublicKeyInfo DER.
    pub fn key_fingerprint(hash: FingerprintHash, fingerprint: Vec<u8>) -> Self {
        Authenticator {
            kind: Kind::KeyFingerprint(hash, fingerprint),
        }
    }

    /// Pin the leaf certificate: `hash` of its DER.
    pub fn cert_fingerprint(hash: FingerprintHash, fingerprint: Vec<u8>) -> Self {
        Authenticator {
            kind: Kind::CertFingerprint(hash, fingerprint),
        }
    }

    /// Parses the `--tls-authenticator` syntax (see the module docs).
    pub fn parse(text: &str) -> Result<Authenticator, AuthenticatorError> {
        let text = text.trim();
        let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
        match kind {
            "key-fp" => {
                let (hash, fp) = parse_fingerprint(rest)?;
                Ok(Authenticator::key_fingerprint(hash, fp))
            }
            "cert-fp" => {
                let (hash, fp) = parse_fingerprint(rest)?;
                Ok(Authenticator::cert_fingerprint(hash, fp))
            }
            "trust-anchor" => {
                let certificates = rest
                    .split(':')
                    .filter(|part| !part.is_empty())
                    .map(|part| {
                        BASE64
                            .decode(part)
                            .map_err(|_| AuthenticatorError::BadBase64(short(part)))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Authenticator::trust_anchors(&certificates)
            }
            "none" if rest.is_empty() => Err(AuthenticatorError::NoneRefused),
            _ => Err(AuthenticatorError::UnknownKind(short(kind))),
        }
    }

    /// Builds the verifier for one connection to `host`; what it refused
    /// and why goes to `report`.
    pub(crate) fn verifier(
        &self,
        host: Host,
        algorithms: WebPkiSupportedAlgorithms,
        report: Arc<OnceBox<CertificateRefusal>>,
    ) -> Arc<dyn ServerCertVerifier> {
        Arc::new(Verifier {
            kind: self.kind.clone(),
            host,
            algorithms,
            report,
        })
    }
}

fn parse_fingerprint(text: &str) -> Result<(FingerprintHash, Vec<u8>), AuthenticatorError> {
    let mut parts = text.split(':');
    let (hash, fingerprint) = match (parts.next(), parts.next(), parts.next()) {
        (Some(fp), None, _) => (FingerprintHash::Sha256, fp),
        (Some(hash), Some(fp), None) => {
            let hash = match hash.to_ascii_uppercase().as_str() {
                "SHA256" => FingerprintHash::Sha256,
                "SHA384" => FingerprintHash::Sha384,
                "SHA512" => FingerprintHash::Sha512,
                _ => return Err(AuthenticatorError::UnknownHash(short(hash))),
            };
            (hash, fp)
        }
        _ => return Err(AuthenticatorError::TooManyParts),
    };
    let bytes = BASE64
        .decode(fingerprint)
        .map_err(|_| AuthenticatorError::BadBase64(short(fingerprint)))?;
    if bytes.len() != hash.len() {
        return Err(AuthenticatorError::FingerprintLength {
            hash: hash.name(),
            expected: hash.len(),
            got: bytes.len(),
        });
    }
    Ok((hash, bytes))
}

impl FromStr for Authenticator {
    type Err = AuthenticatorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Authenticator::parse(text)
    }
}

impl fmt::Display for Authenticator {
    /// The `--tls-authenticator` form (padded base64, hash named).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::KeyFingerprint(hash, fp) => {
                write!(f, "key-fp:{}:{}", hash.name(), STANDARD.encode(fp))
            }
            Kind::CertFingerprint(hash, fp) => {
                write!(f, "cert-fp:{}:{}", hash.name(), STANDARD.encode(fp))
            }
            Kind::TrustAnchors { certificates, .. } => {
                f.write_str("trust-anchor")?;
                for der in certificates {
                    write!(f, ":{}", STANDARD.encode(der))?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::TrustAnchors { certificates, .. } => {
                let subjects: Vec<String> = certificates.iter().map(|c| subject(c)).collect();
                write!(f, "trust-anchor({})", subjects.join("; "))
            }
            _ => fmt::Display::fmt(self, f),
        }
    }
}

/// webpki's `DnsName("a.example")` / `IpAddress(192.0.2.1)` as OpenSSL
/// prints subjectAltName entries: `DNS:a.example`, `IP:192.0.2.1`.
fn openssl_style_name(name: &str) -> String {
    if let Some(dns) = name
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
    {
        return alloc::format!("DNS:{dns}");
    }
    if let Some(ip) = name
        .strip_prefix("IpAddress(")
        .and_then(|n| n.strip_suffix(')'))
    {
        // webpki writes IPv6 its own way (`0::1`): print it canonically.
        return match ip.parse::<core::net::IpAddr>() {
            Ok(ip) => alloc::format!("IP:{ip}"),
            Err(_) => alloc::format!("IP:{ip}"),
        };
    }
    name.to_string()
}

fn subject(der: &[u8]) -> String {
    CertificateInfo::parse(der).map_or_else(|| String::from("?"), |info| info.subject)
}

/// The verifier of one connection.
#[derive(Debug)]
struct Verifier {
    kind: Kind,
    /// The host as in the URL, for messages.
    host: Host,
    algorithms: WebPkiSupportedAlgorithms,
    report: Arc<OnceBox<CertificateRefusal>>,
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Authenticator { kind: self.clone() }, f)
    }
}

impl Verifier {
    fn refuse(&self, error: rustls::Error, reason: RefusalReason) -> rustls::Error {
        let _ = self.report.set(Box::new(CertificateRefusal {
            host: self.host.clone(),
            reason,
        }));
        error
    }

    /// Validity, then name (as OCaml's fingerprint authenticators do).
    fn check_leaf(
        &self,
        end_entity: &CertificateDer<'_>,
        parsed: &ParsedCertificate<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let Some(info) = CertificateInfo::parse(end_entity) else {
            return Err(self.refuse(
                CertificateError::BadEncoding.into(),
                RefusalReason::UnreadableValidity,
            ));
        };
        let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now_secs < info.not_before {
            return Err(self.refuse(
                CertificateError::NotValidYet.into(),
                RefusalReason::NotValidYet {
                    not_before: info.not_before,
                    now: now_secs,
                },
            ));
        }
        if now_secs > info.not_after {
            return Err(self.refuse(
                CertificateError::Expired.into(),
                RefusalReason::Expired {
                    not_after: info.not_after,
                    now: now_secs,
                },
            ));
        }
        verify_server_name(parsed, server_name).map_err(|e| self.explain(e, end_entity))
    }

    /// What a webpki refusal means.
    fn explain(&self, error: rustls::Error, end_entity: &CertificateDer<'_>) -> rustls::Error {
        let reason = match &error {
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                presented,
                ..
            }) => RefusalReason::WrongName {
                names: presented.iter().map(|n| openssl_style_name(n)).collect(),
            },
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                let anchors = match &self.kind {
                    Kind::TrustAnchors { certificates, .. } => {
                        certificates.iter().map(|c| subject(c)).collect()
                    }
                    _ => Vec::new(),
                };
                let issuer = CertificateInfo::parse(end_entity).map(|i| i.issuer);
                RefusalReason::UnknownIssuer { issuer, anchors }
            }
            rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
                time,
                not_after,
            }) => RefusalReason::ChainExpired {
                not_after: not_after.as_secs() as i64,
                now: time.as_secs() as i64,
            },
            rustls::Error::InvalidCertificate(CertificateError::NotValidYetContext {
                time,
                not_before,
            }) => RefusalReason::ChainNotValidYet {
                not_before: not_before.as_secs() as i64,
                now: time.as_secs() as i64,
            },
            other => RefusalReason::Other(other.clone()),
        };
        self.refuse(error, reason)
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let parsed = ParsedCertificate::try_from(end_entity)
            .map_err(|e| self.refuse(e.clone(), RefusalReason::Unparsable(e)))?;
        match &self.kind {
            Kind::KeyFingerprint(hash, expected) => {
                let spki = parsed.subject_public_key_info();
                let actual = hash.digest(spki.as_ref());
                if actual != *expected {
                    return Err(self.refuse(
                        CertificateError::ApplicationVerificationFailure.into(),
                        RefusalReason::KeyFingerprint {
                            hash: *hash,
                            expected: expected.clone(),
                            actual,
                        },
                    ));
                }
                self.check_leaf(end_entity, &parsed, server_name, now)?;
            }
            Kind::CertFingerprint(hash, expected) => {
                let actual = hash.digest(end_entity.as_ref());
                if actual != *expected {
                    return Err(self.refuse(
                        CertificateError::ApplicationVerificationFailure.into(),
                        RefusalReason::CertFingerprint {
                            hash: *hash,
                            expected: expected.clone(),
                            actual,
                        },
                    ));
                }
                self.check_leaf(end_entity, &parsed, server_name, now)?;
            }
            Kind::TrustAnchors { roots, .. } => {
                verify_server_cert_signed_by_trust_anchor(
                    &parsed,
                    roots,
                    intermediates,
                    now,
                    self.algorithms.all,
                )
                .map_err(|e| self.explain(e, end_entity))?;
                verify_server_name(&parsed, server_name)
                    .map_err(|e| self.explain(e, end_entity))?;
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        let fp = STANDARD.encode([7u8; 32]);
        let a = Authenticator::parse(&alloc::format!("key-fp:SHA256:{fp}")).unwrap();
        assert_eq!(a.to_string(), alloc::format!("key-fp:SHA256:{fp}"));
        // The hash defaults to SHA256, any case, padding optional.
        let unpadded = fp.trim_end_matches('=');
        let b = Authenticator::parse(&alloc::format!("key-fp:{unpadded}")).unwrap();
        assert_eq!(b.to_string(), a.to_string());
        let c = Authenticator::parse(&alloc::format!("cert-fp:sha256:{fp}")).unwrap();
        assert_eq!(c.to_string(), alloc::format!("cert-fp:SHA256:{fp}"));
        let fp512 = STANDARD.encode([1u8; 64]);
        let d = Authenticator::parse(&alloc::format!("cert-fp:SHA512:{fp512}")).unwrap();
        assert_eq!(d.to_string(), alloc::format!("cert-fp:SHA512:{fp512}"));

        let x1 = STANDARD.encode(ISRG_ROOT_X1);
        let x2 = STANDARD.encode(ISRG_ROOT_X2);
        let anchors = Authenticator::parse(&alloc::format!("trust-anchor:{x1}:{x2}")).unwrap();
        assert_eq!(
            anchors.to_string(),
            alloc::format!("trust-anchor:{x1}:{x2}")
        );
        assert_eq!(
            alloc::format!("{anchors:?}"),
            "trust-anchor(CN=ISRG Root X1, O=Internet Security Research Group, C=US; \
             CN=ISRG Root X2, O=Internet Security Research Group, C=US)"
        );
        assert_eq!(
            Authenticator::lets_encrypt().to_string(),
            anchors.to_string()
        );
        assert!("trust-anchor:".parse::<Authenticator>().is_err());
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let fp = STANDARD.encode([7u8; 32]);
        let cases = [
            ("", AuthenticatorError::UnknownKind("".into())),
            ("tls:abc", AuthenticatorError::UnknownKind("tls".into())),
            ("none", AuthenticatorError::NoneRefused),
            (
                &*alloc::format!("key-fp:MD5:{fp}"),
                AuthenticatorError::UnknownHash("MD5".into()),
            ),
            (
                "key-fp:SHA256:not base64!",
                AuthenticatorError::BadBase64("not base64!".into()),
            ),
            (
                "cert-fp:SHA256:AAAA",
                AuthenticatorError::FingerprintLength {
                    hash: "SHA256",
                    expected: 32,
                    got: 3,
                },
            ),
            (
                &*alloc::format!("key-fp:SHA384:{fp}"),
                AuthenticatorError::FingerprintLength {
                    hash: "SHA384",
                    expected: 48,
                    got: 32,
                },
            ),
            ("key-fp:SHA256:a:b", AuthenticatorError::TooManyParts),
            ("trust-anchor:", AuthenticatorError::NoAnchor),
            (
                "trust-anchor:%%",
                AuthenticatorError::BadBase64("%%".into()),
            ),
        ];
        for (text, expected) in cases {
            let error = Authenticator::parse(text).unwrap_err();
            assert_eq!(error, expected, "{text}");
            assert!(
                error.to_string().starts_with("TLS authenticator"),
                "{error}"
            );
        }
        let not_a_certificate = Authenticator::parse("trust-anchor:AAAA").unwrap_err();
        assert!(
            matches!(
                not_a_certificate,
                AuthenticatorError::BadAnchor { index: 1, .. }
            ),
            "{not_a_certificate:?}"
        );
    }
}
