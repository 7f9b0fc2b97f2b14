//! What we read from a certificate signing request (PKCS #10, RFC 2986)
//! and from a certificate (RFC 5280): the public key, the host names, the
//! validity, and the CSR's self-signature.
//!
//! Names are the subject's common name and the `dNSName`s of the subject
//! alternative name (for a CSR: asked for in the `extensionRequest`
//! attribute, RFC 2985 §5.4.2), lower-cased, without a final dot,
//! de-duplicated, in the order found (the common name first). This is
//! OCaml-DNS's `X509.Signing_request.hostnames` / `Certificate.hostnames`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::Extension;
use x509_cert::request::{CertReq, ExtensionReq};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// The DER library whose types the errors carry ([`der::Error`],
/// [`der::Tag`], [`der::oid::ObjectIdentifier`]).
pub use x509_cert::der;

/// The largest CSR or certificate we read: a DER certificate with a
/// 4096-bit key and a hundred names is about 6 kB; a TLSA record can hold
/// 65 532 octets.
pub const MAX_DER_LEN: usize = 16 * 1024;

/// The most names a CSR may ask for: Let's Encrypt's limit per order.
pub const MAX_NAMES: usize = 100;

const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_EXTENSION_REQUEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// Why a CSR is not one we can order a certificate for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrError {
    /// Larger than [`MAX_DER_LEN`].
    TooLarge(usize),
    /// Not a DER PKCS #10 request.
    Der(DerError),
    /// The key is of a kind Let's Encrypt does not certify (it issues for
    /// RSA, P-256 and P-384 keys).
    UnsupportedKey(UnsupportedKey),
    /// The signature algorithm (this OID) is not one we can check.
    UnsupportedSignature(ObjectIdentifier),
    /// The self-signature does not verify: the request was not made by
    /// the holder of its key (or was damaged).
    BadSignature,
    /// The request names no host.
    NoNames,
    /// More than [`MAX_NAMES`] names.
    TooManyNames(usize),
    /// A name is not a host name (or a `*.` wildcard of one): the name as
    /// the request has it, lower-cased, without a final dot.
    BadName(String),
    /// The request asks for something dns-01 cannot validate (an IP
    /// address, an e-mail address, a URI).
    NotADnsName(NotADnsName),
}

impl fmt::Display for CsrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(len) => write!(f, "the CSR is {len} octets, more than {MAX_DER_LEN}"),
            Self::Der(e) => write!(f, "not a DER certificate signing request: {e}"),
            Self::UnsupportedKey(what) => write!(
                f,
                "the CSR's key is {what}: Let's Encrypt certifies RSA, P-256 and P-384 keys"
            ),
            Self::UnsupportedSignature(oid) => write!(
                f,
                "the CSR is signed with algorithm {oid}: expected ECDSA or RSA PKCS #1 v1.5 with SHA-256, SHA-384 or SHA-512"
            ),
            Self::BadSignature => f.write_str("the CSR's self-signature does not verify"),
            Self::NoNames => {
                f.write_str("the CSR names no host (no common name, no DNS subject alternative name)")
            }
            Self::TooManyNames(n) => {
                write!(f, "the CSR names {n} hosts, more than {MAX_NAMES} per certificate")
            }
            Self::BadName(name) => write!(f, "the CSR names '{name}', which is not a host name"),
            Self::NotADnsName(what) => {
                write!(f, "the CSR asks for {what}: dns-01 validates DNS names only")
            }
        }
    }
}

/// What is wrong with the DER encoding of a CSR (or of the names in a
/// certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DerError {
    /// The DER decoder refused it.
    Decode(der::Error),
    /// The signature BIT STRING has unused bits.
    SignatureUnusedBits,
    /// The public key BIT STRING has unused bits.
    KeyUnusedBits,
    /// A common name is of this type, not a string.
    CommonNameNotString(Tag),
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => e.fmt(f),
            Self::SignatureUnusedBits => f.write_str("the signature has unused bits"),
            Self::KeyUnusedBits => f.write_str("the public key has unused bits"),
            Self::CommonNameNotString(tag) => {
                write!(f, "the common name is a {tag}, not a string")
            }
        }
    }
}

impl From<der::Error> for DerError {
    fn from(e: der::Error) -> Self {
        DerError::Decode(e)
    }
}

/// A key Let's Encrypt does not certify, or that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsupportedKey {
    /// An EC key without a named curve.
    EcWithoutNamedCurve,
    /// An EC key on this curve (neither P-256 nor P-384).
    EcCurve(ObjectIdentifier),
    /// A P-256 key that is not a point on the curve.
    InvalidP256Point,
    /// A P-384 key that is not a point on the curve.
    InvalidP384Point,
    /// An RSA key that is not a PKCS #1 `RSAPublicKey`.
    UnreadableRsa,
    /// A key of this algorithm (neither EC nor RSA).
    Algorithm(ObjectIdentifier),
}

impl fmt::Display for UnsupportedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EcWithoutNamedCurve => f.write_str("EC without a named curve"),
            Self::EcCurve(curve) => write!(f, "EC on curve {curve}"),
            Self::InvalidP256Point => f.write_str("an invalid P-256 point"),
            Self::InvalidP384Point => f.write_str("an invalid P-384 point"),
            Self::UnreadableRsa => f.write_str("an unreadable RSA key"),
            Self::Algorithm(oid) => write!(f, "of algorithm {oid}"),
        }
    }
}

/// A subject alternative name other than a `dNSName`: what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotADnsName {
    /// An IP address (`None`: neither 4 nor 16 octets).
    IpAddress(Option<IpAddr>),
    /// An e-mail address, as the request has it.
    Email(String),
    /// A URI, as the request has it.
    Uri(String),
    /// Another kind of name (directory name, other name, …).
    Other,
}

impl fmt::Display for NotADnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IpAddress(Some(ip)) => write!(f, "the IP address {ip}"),
            Self::IpAddress(None) => f.write_str("the IP address (malformed)"),
            Self::Email(mail) => write!(f, "the e-mail address {mail}"),
            Self::Uri(uri) => write!(f, "the URI {uri}"),
            Self::Other => f.write_str("a subject alternative name that is not a dNSName"),
        }
    }
}

/// Why a certificate cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// Larger than [`MAX_DER_LEN`].
    TooLarge(usize),
    /// Not a DER certificate.
    Der(der::Error),
    /// Its subject public key info cannot be encoded again.
    KeyEncoding(der::Error),
    /// Its names cannot be read (the same checks as a CSR's names).
    Names(CsrError),
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(len) => {
                write!(
                    f,
                    "the certificate is {len} octets, more than {MAX_DER_LEN}"
                )
            }
            Self::Der(e) => write!(f, "not a DER certificate: {e}"),
            Self::KeyEncoding(e) => write!(f, "the certificate's key cannot be encoded: {e}"),
            Self::Names(e) => e.fmt(f),
        }
    }
}

/// A parsed, self-signature-checked certificate signing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningRequest {
    /// The request as published (DER).
    pub der: Vec<u8>,
    /// The subject public key info, DER.
    pub public_key: Vec<u8>,
    /// The host names, as described in the module docs (wildcards as
    /// `*.example.com`).
    pub names: Vec<String>,
}

/// What we read from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject public key info, DER.
    pub public_key: Vec<u8>,
    /// The host names (as for a CSR).
    pub names: Vec<String>,
    /// `notBefore`, seconds since 1970.
    pub not_before: u64,
    /// `notAfter`, seconds since 1970.
    pub not_after: u64,
    /// The serial number, hexadecimal, for the log.
    pub serial: String,
}

impl CertificateInfo {
    /// The moment two thirds of the lifetime have passed: from then on
    /// less than a third is left and the certificate is renewed.
    pub fn renewal_time(&self) -> u64 {
        let lifetime = self.not_after.saturating_sub(self.not_before);
        self.not_before
            .saturating_add(lifetime / 3 * 2 + lifetime % 3 * 2 / 3)
    }

    /// Whether it certifies exactly the key and the names of `csr`.
    pub fn matches(&self, csr: &SigningRequest) -> bool {
        self.public_key == csr.public_key && same_names(&self.names, &csr.names)
    }
}

/// Whether two name lists hold the same names (in any order).
pub fn same_names(a: &[String], b: &[String]) -> bool {
    let mut a: Vec<&String> = a.iter().collect();
    let mut b: Vec<&String> = b.iter().collect();
    a.sort();
    b.sort();
    a.dedup();
    b.dedup();
    a == b
}

fn der_error(e: der::Error) -> CsrError {
    CsrError::Der(DerError::Decode(e))
}

/// Parses `der` as a CSR, checks its self-signature and reads its names.
pub fn parse_csr(der: &[u8]) -> Result<SigningRequest, CsrError> {
    if der.len() > MAX_DER_LEN {
        return Err(CsrError::TooLarge(der.len()));
    }
    let request = CertReq::from_der(der).map_err(der_error)?;
    // The signature covers the CertificationRequestInfo exactly as sent:
    // the first element of the outer SEQUENCE.
    let mut reader = SliceReader::new(der).map_err(der_error)?;
    let signed: &[u8] = reader
        .sequence(|inner| {
            let info = inner.tlv_bytes()?;
            // The rest (algorithm, signature) was checked by `from_der`;
            // `sequence` wants the whole body read.
            let rest = inner.remaining_len();
            inner.read_slice(rest)?;
            Ok(info)
        })
        .map_err(der_error)?;
    let signature = request
        .signature
        .as_bytes()
        .ok_or(CsrError::Der(DerError::SignatureUnusedBits))?;
    verify_signature(
        &request.info.public_key,
        request.algorithm.oid,
        signed,
        signature,
    )?;
    let public_key = request.info.public_key.to_der().map_err(der_error)?;
    let mut names = Vec::new();
    common_names(&request.info.subject, &mut names)?;
    for attribute in request.info.attributes.iter() {
        if attribute.oid != OID_EXTENSION_REQUEST {
            continue;
        }
        for value in attribute.values.iter() {
            let extensions: ExtensionReq = value.decode_as().map_err(der_error)?;
            alt_names(&extensions.0, &mut names)?;
        }
    }
    check_names(&names)?;
    Ok(SigningRequest {
        der: der.to_vec(),
        public_key,
        names,
    })
}

/// Parses a DER certificate (its signature is the CA's business: we only
/// compare it with the CSR and read its validity).
pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, CertificateError> {
    if der.len() > MAX_DER_LEN {
        return Err(CertificateError::TooLarge(der.len()));
    }
    let certificate = x509_cert::Certificate::from_der(der).map_err(CertificateError::Der)?;
    let tbs = &certificate.tbs_certificate;
    let public_key = tbs
        .subject_public_key_info
        .to_der()
        .map_err(CertificateError::KeyEncoding)?;
    let mut names = Vec::new();
    common_names(&tbs.subject, &mut names).map_err(CertificateError::Names)?;
    if let Some(extensions) = &tbs.extensions {
        alt_names(extensions, &mut names).map_err(CertificateError::Names)?;
    }
    let serial = tbs
        .serial_number
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(CertificateInfo {
        public_key,
        names,
        not_before: tbs.validity.not_before.to_unix_duration().as_secs(),
        not_after: tbs.validity.not_after.to_unix_duration().as_secs(),
        serial,
    })
}

/// Checks the signature of `signed` by the key `spki` with algorithm `alg`.
fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: ObjectIdentifier,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), CsrError> {
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or(CsrError::Der(DerError::KeyUnusedBits))?;
    let key_alg = spki.algorithm.oid;
    if key_alg == OID_EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .ok_or(CsrError::UnsupportedKey(
                UnsupportedKey::EcWithoutNamedCurve,
            ))?
            .decode_as()
            .map_err(|_| CsrError::UnsupportedKey(UnsupportedKey::EcWithoutNamedCurve))?;
        // Any of the SHA-2 hashes with either curve (openssl signs a
        // P-384 request with SHA-256 by default); RFC 5758 §3.2.
        use sha2::Digest;
        let digest = match alg {
            OID_ECDSA_SHA256 => sha2::Sha256::digest(signed).to_vec(),
            OID_ECDSA_SHA384 => sha2::Sha384::digest(signed).to_vec(),
            OID_ECDSA_SHA512 => sha2::Sha512::digest(signed).to_vec(),
            other => return Err(CsrError::UnsupportedSignature(other)),
        };
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        return match curve {
            OID_P256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map_err(|_| CsrError::UnsupportedKey(UnsupportedKey::InvalidP256Point))?;
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CsrError::BadSignature)?;
                key.verify_prehash(&digest, &sig)
                    .map_err(|_| CsrError::BadSignature)
            }
            OID_P384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map_err(|_| CsrError::UnsupportedKey(UnsupportedKey::InvalidP384Point))?;
                let sig = p384::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CsrError::BadSignature)?;
                key.verify_prehash(&digest, &sig)
                    .map_err(|_| CsrError::BadSignature)
            }
            curve => Err(CsrError::UnsupportedKey(UnsupportedKey::EcCurve(curve))),
        };
    }
    if key_alg == OID_RSA_ENCRYPTION {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::signature::Verifier;
        let key = rsa::RsaPublicKey::from_pkcs1_der(key_bytes)
            .map_err(|_| CsrError::UnsupportedKey(UnsupportedKey::UnreadableRsa))?;
        let sig =
            rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| CsrError::BadSignature)?;
        let verified = match alg {
            OID_RSA_SHA256 => {
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key).verify(signed, &sig)
            }
            OID_RSA_SHA384 => {
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key).verify(signed, &sig)
            }
            OID_RSA_SHA512 => {
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key).verify(signed, &sig)
            }
            other => return Err(CsrError::UnsupportedSignature(other)),
        };
        return verified.map_err(|_| CsrError::BadSignature);
    }
    Err(CsrError::UnsupportedKey(UnsupportedKey::Algorithm(key_alg)))
}

/// Appends the subject's common names.
fn common_names(subject: &x509_cert::name::Name, names: &mut Vec<String>) -> Result<(), CsrError> {
    for rdn in subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid != OID_COMMON_NAME {
                continue;
            }
            let value = &atv.value;
            let text = match value.tag() {
                Tag::Utf8String => value
                    .decode_as::<Utf8StringRef<'_>>()
                    .map(|s| s.to_string()),
                Tag::PrintableString => value
                    .decode_as::<PrintableStringRef<'_>>()
                    .map(|s| s.to_string()),
                Tag::Ia5String => value.decode_as::<Ia5StringRef<'_>>().map(|s| s.to_string()),
                Tag::TeletexString => value
                    .decode_as::<TeletexStringRef<'_>>()
                    .map(|s| s.to_string()),
                other => return Err(CsrError::Der(DerError::CommonNameNotString(other))),
            }
            .map_err(der_error)?;
            push_name(names, &text);
        }
    }
    Ok(())
}

/// Appends the `dNSName`s of the subject alternative name extensions.
fn alt_names(extensions: &[Extension], names: &mut Vec<String>) -> Result<(), CsrError> {
    for extension in extensions {
        if extension.extn_id != OID_SUBJECT_ALT_NAME {
            continue;
        }
        let san = SubjectAltName::from_der(extension.extn_value.as_bytes()).map_err(der_error)?;
        for name in san.0 {
            match name {
                GeneralName::DnsName(dns) => push_name(names, dns.as_str()),
                GeneralName::IpAddress(ip) => {
                    return Err(CsrError::NotADnsName(NotADnsName::IpAddress(ip_address(
                        ip.as_bytes(),
                    ))))
                }
                GeneralName::Rfc822Name(mail) => {
                    return Err(CsrError::NotADnsName(NotADnsName::Email(
                        mail.as_str().to_string(),
                    )))
                }
                GeneralName::UniformResourceIdentifier(uri) => {
                    return Err(CsrError::NotADnsName(NotADnsName::Uri(
                        uri.as_str().to_string(),
                    )))
                }
                _ => return Err(CsrError::NotADnsName(NotADnsName::Other)),
            }
        }
    }
    Ok(())
}

/// The address in an `iPAddress` name: 4 or 16 octets.
fn ip_address(octets: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        return Some(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    let v6 = <[u8; 16]>::try_from(octets).ok()?;
    Some(IpAddr::V6(Ipv6Addr::from(v6)))
}

/// Adds `name` lower-cased and without a final dot, unless it is there.
fn push_name(names: &mut Vec<String>, name: &str) {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if !names.contains(&name) {
        names.push(name);
    }
}

fn check_names(names: &[String]) -> Result<(), CsrError> {
    if names.is_empty() {
        return Err(CsrError::NoNames);
    }
    if names.len() > MAX_NAMES {
        return Err(CsrError::TooManyNames(names.len()));
    }
    for name in names {
        if !is_host_name(name) {
            return Err(CsrError::BadName(name.clone()));
        }
    }
    Ok(())
}

/// A host name of letters, digits and hyphens (RFC 1123 §2.1), at most
/// 253 characters, at least two labels, optionally `*.` in front: what a
/// CA certifies by dns-01.
pub fn is_host_name(name: &str) -> bool {
    let host = name.strip_prefix("*.").unwrap_or(name);
    if host.is_empty() || host.len() > 253 || !host.contains('.') {
        return false;
    }
    host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        for good in [
            "example.com",
            "*.example.com",
            "a-b.c1.example",
            "xn--bcher-kva.example",
        ] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            "com",
            "*.",
            "a..b",
            "-a.example",
            "a-.example",
            "a_b.example",
            "*.*.example",
            "Upper.example",
            "a.b.c*",
            "ex ample.com",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
        let long = format!("{}.example", "a".repeat(64));
        assert!(!is_host_name(&long));
    }

    #[test]
    fn renewal_after_two_thirds() {
        let info = |not_before, not_after| CertificateInfo {
            public_key: Vec::new(),
            names: Vec::new(),
            not_before,
            not_after,
            serial: String::new(),
        };
        assert_eq!(info(1000, 1900).renewal_time(), 1600);
        assert_eq!(info(0, 90 * 86_400).renewal_time(), 60 * 86_400);
        assert_eq!(info(0, 2).renewal_time(), 1);
        assert_eq!(info(5, 5).renewal_time(), 5);
        // notAfter before notBefore: renew at once.
        assert_eq!(info(10, 5).renewal_time(), 10);
        assert_eq!(info(0, u64::MAX).renewal_time(), u64::MAX / 3 * 2);
    }

    #[test]
    fn garbage_is_a_der_error() {
        assert!(matches!(
            parse_csr(b"\x30\x03\x02\x01"),
            Err(CsrError::Der(_))
        ));
        assert!(matches!(parse_csr(&[]), Err(CsrError::Der(_))));
        assert!(matches!(
            parse_csr(&alloc::vec![0x30; MAX_DER_LEN + 1]),
            Err(CsrError::TooLarge(_))
        ));
        assert!(parse_certificate(b"not a certificate").is_err());
    }
}
