//! JWS in the flattened JSON serialisation (RFC 7515 §7.2.2) as ACME wants
//! it (RFC 8555 §6.2): protected header with `alg`, `nonce`, `url` and
//! either `jwk` (newAccount) or `kid` (the account URL); no unprotected
//! header.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::b64;
use crate::key::{AccountKey, KeyError};

/// Who signs: the key itself (before there is an account) or the account.
pub(crate) enum Signer<'a> {
    /// `jwk`: only for newAccount (RFC 8555 §6.2).
    Jwk,
    /// `kid`: the account URL.
    Kid(&'a str),
}

/// A JSON string literal of `text`.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serialises")
}

/// The request body `{"protected":…,"payload":…,"signature":…}`.
/// `payload` `None` is POST-as-GET: the empty payload (RFC 8555 §6.3).
pub(crate) fn sign(
    key: &AccountKey,
    signer: Signer<'_>,
    nonce: &str,
    url: &str,
    payload: Option<&[u8]>,
) -> Result<Vec<u8>, KeyError> {
    let identity = match signer {
        Signer::Jwk => format!(r#""jwk":{}"#, key.jwk().canonical_json()),
        Signer::Kid(kid) => format!(r#""kid":{}"#, json_string(kid)),
    };
    let protected = format!(
        r#"{{"alg":"{}",{identity},"nonce":{},"url":{}}}"#,
        key.alg(),
        json_string(nonce),
        json_string(url),
    );
    let protected = b64::url(protected.as_bytes());
    let payload = payload.map(b64::url).unwrap_or_default();
    let signature = key.sign(format!("{protected}.{payload}").as_bytes())?;
    let body = format!(
        r#"{{"protected":"{protected}","payload":"{payload}","signature":"{}"}}"#,
        b64::url(&signature)
    );
    Ok(body.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Jwk, KeyType};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn flattened_es256_jws_verifies_and_carries_the_header() {
        let key = AccountKey::from_seed(b"jws", KeyType::EcdsaP256).unwrap();
        let body = sign(
            &key,
            Signer::Jwk,
            "oFvnlFP1wIhRlYS2jTaXbA",
            "https://example.com/acme/new-account",
            Some(br#"{"onlyReturnExisting":true}"#),
        )
        .unwrap();
        let jws: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let field = |name: &str| alloc::string::String::from(jws[name].as_str().unwrap());
        let protected: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(field("protected")).unwrap()).unwrap();
        assert_eq!(protected["alg"], "ES256");
        assert_eq!(protected["nonce"], "oFvnlFP1wIhRlYS2jTaXbA");
        assert_eq!(protected["url"], "https://example.com/acme/new-account");
        assert_eq!(protected["jwk"]["kty"], "EC");
        assert!(protected.get("kid").is_none());
        assert_eq!(
            URL_SAFE_NO_PAD.decode(field("payload")).unwrap(),
            br#"{"onlyReturnExisting":true}"#
        );
        let Jwk::EcP256 { x, y } = key.jwk() else {
            panic!("an EC JWK")
        };
        assert_eq!(protected["jwk"]["x"], x.as_str());
        let mut sec1 = alloc::vec![4u8];
        sec1.extend(URL_SAFE_NO_PAD.decode(x).unwrap());
        sec1.extend(URL_SAFE_NO_PAD.decode(y).unwrap());
        let verifier = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        let signature = URL_SAFE_NO_PAD.decode(field("signature")).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&signature).unwrap();
        let signed = format!("{}.{}", field("protected"), field("payload"));
        verifier.verify(signed.as_bytes(), &signature).unwrap();
    }

    #[test]
    fn post_as_get_has_empty_payload_and_kid() {
        let key = AccountKey::from_seed(b"jws", KeyType::EcdsaP256).unwrap();
        let body = sign(
            &key,
            Signer::Kid("https://x/acct/1"),
            "n",
            "https://x/o/1",
            None,
        )
        .unwrap();
        let jws: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(jws["payload"], "");
        let protected: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jws["protected"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(protected["kid"], "https://x/acct/1");
        assert!(protected.get("jwk").is_none());
    }
}
