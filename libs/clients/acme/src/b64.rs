//! base64url without padding (RFC 7515 §2, RFC 8555 §6.1), everywhere ACME
//! and JOSE say "base64url".

use alloc::string::String;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// `data` in base64url without padding.
pub(crate) fn url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}
