//! Puts the Solo5 linker script on the link search path of every crate that
//! depends on this one; `.cargo/config.toml` passes `-Tsolo5.ld` for the
//! unikernel target (the cortex-m-rt arrangement).
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("solo5.ld"), include_str!("solo5.ld")).expect("write solo5.ld");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=solo5.ld");
}
