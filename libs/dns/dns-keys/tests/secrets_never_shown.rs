//! A broken `_keys` file is reported line by line, never with the secret
//! the line holds (issue 12 §8: never print a secret anywhere).

use dns_keys::KeyStore;

const SECRET: &str = "c2VjcmV0c2VjcmV0c2VjcmV0";

#[test]
fn errors_in_a_keys_file_do_not_show_the_secret() {
    for line in [
        "admin._update.example.com. DNSKEY 0 3 163 c2VjcmV0c2Vj!cmV0c2VjcmV0\n",
        "admin._update.example.com. DNSKEY 0 3 163 c2VjcmV0c2VjcmV0c2VjcmV0 extra\n",
        "admin._update.example.com. DNSKEY 0 3 c2VjcmV0c2VjcmV0c2VjcmV0\n",
        "admin._update.example.com. DNSKEY 0 3 HMAC c2VjcmV0c2VjcmV0c2VjcmV0\n",
        "admin._update.example.com. DNSKEY c2VjcmV0c2VjcmV0c2VjcmV0\n",
        "admin._update.example.com. DNSKY 0 3 163 c2VjcmV0c2VjcmV0c2VjcmV0\n",
    ] {
        let mut keys = KeyStore::new();
        let shown = match keys.load_keys_file("_keys", line.as_bytes()) {
            Ok(warnings) => format!("{warnings:?}"),
            Err(e) => format!("{:?} {:?}", e.errors, e.warnings),
        };
        let secret_part = &SECRET[..12];
        assert!(!shown.contains(secret_part), "{line}: {shown}");
    }
}
