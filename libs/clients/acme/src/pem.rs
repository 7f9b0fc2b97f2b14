//! `application/pem-certificate-chain` (RFC 8555 §7.4.2, RFC 7468 §5.1):
//! the end-entity certificate first, then the certificates that certify it.

use alloc::string::String;
use alloc::vec::Vec;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use core::fmt;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// Why a PEM certificate chain could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemError {
    /// The body is not UTF-8 text.
    NotText,
    /// A `BEGIN CERTIFICATE` line has no `END CERTIFICATE` line after it.
    Unterminated,
    /// The base64 between the lines of certificate `index` (0 = leaf) is bad.
    BadBase64 {
        /// Position of the certificate in the chain.
        index: usize,
    },
    /// There is no certificate at all.
    Empty,
}

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemError::NotText => f.write_str("the certificate chain is not text"),
            PemError::Unterminated => {
                write!(f, "a \"{BEGIN}\" line has no \"{END}\" line after it")
            }
            PemError::BadBase64 { index } => {
                write!(f, "certificate {index} of the chain is not valid base64")
            }
            PemError::Empty => f.write_str("the certificate chain holds no certificate"),
        }
    }
}

/// The DER certificates of a PEM chain, in order (the first is the leaf).
/// Text outside the `CERTIFICATE` blocks is ignored (RFC 7468 §2 allows
/// explanatory text).
pub fn pem_chain_to_der(pem: &[u8]) -> Result<Vec<Vec<u8>>, PemError> {
    let text = core::str::from_utf8(pem).map_err(|_| PemError::NotText)?;
    let mut chain = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        match current.as_mut() {
            None if line == BEGIN => current = Some(String::new()),
            None => {}
            Some(_) if line == END => {
                let base64 = current.take().unwrap_or_default();
                let der = STANDARD
                    .decode(base64.as_bytes())
                    .map_err(|_| PemError::BadBase64 { index: chain.len() })?;
                chain.push(der);
            }
            Some(base64) => base64.push_str(line),
        }
    }
    if current.is_some() {
        return Err(PemError::Unterminated);
    }
    if chain.is_empty() {
        return Err(PemError::Empty);
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_of_two_with_text_between() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n\
            issuer follows\n-----BEGIN CERTIFICATE-----\r\nBQY=\r\n-----END CERTIFICATE-----\r\n";
        assert_eq!(
            pem_chain_to_der(pem),
            Ok(alloc::vec![alloc::vec![1, 2, 3, 4], alloc::vec![5, 6]])
        );
    }

    #[test]
    fn broken_chains_are_errors() {
        assert_eq!(pem_chain_to_der(b""), Err(PemError::Empty));
        assert_eq!(pem_chain_to_der(b"\xff\xfe"), Err(PemError::NotText));
        assert_eq!(
            pem_chain_to_der(b"-----BEGIN CERTIFICATE-----\nAQID\n"),
            Err(PemError::Unterminated)
        );
        assert_eq!(
            pem_chain_to_der(b"-----BEGIN CERTIFICATE-----\n*!*\n-----END CERTIFICATE-----\n"),
            Err(PemError::BadBase64 { index: 0 })
        );
    }
}
