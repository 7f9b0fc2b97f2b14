//! The one ChaCha20 operation both types are built from.

use chacha20::cipher::zeroize::Zeroize;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20::{ChaCha20, Key, Nonce};

/// Length of a ChaCha20 key, which is the whole state of the generator.
pub const KEY_LEN: usize = 32;

/// Runs ChaCha20 under `key` (nonce 0, block counter 0): the first
/// [`KEY_LEN`] bytes of keystream replace `key`, the following
/// `out.len()` bytes overwrite `out`. The old key is gone afterwards; the
/// cipher's copy of it is wiped when the cipher is dropped (the `zeroize`
/// feature of `chacha20`).
pub(crate) fn rekey(key: &mut [u8; KEY_LEN], out: &mut [u8]) {
    let mut cipher = ChaCha20::new(Key::from_slice(&key[..]), &Nonce::default());
    key.zeroize();
    cipher.apply_keystream(key);
    out.zeroize();
    cipher.apply_keystream(out);
}
