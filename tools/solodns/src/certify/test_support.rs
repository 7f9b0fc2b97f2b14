//! Test helpers shared by the tests of `certify`'s modules: openssl run
//! as a peer (key and CSR checks, a test CA that signs CSRs) and
//! temporary directories.

use std::path::PathBuf;
use std::process::Command;

use x509_cert::der::pem::LineEnding;
use x509_cert::der::EncodePem;
use x509_cert::request::CertReq;

/// Whether openssl is missing (then the test skips, saying why).
pub fn openssl_missing() -> bool {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: openssl (Debian package openssl) is not installed");
        return true;
    }
    false
}

/// A fresh temporary directory, removed when dropped.
pub struct Dir(pub PathBuf);
impl Dir {
    /// Makes the directory `name` (of this process), empty.
    pub fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("solodns-certify-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs openssl with `args`; fails the test if it fails. Its output and
/// its errors (where some commands print their verdicts).
pub fn openssl(args: &[&str]) -> String {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// Owned names from a list.
pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A test CA made by openssl signs CSRs; `find_certificate` is given
/// the records a letsencrypt service would publish.
pub struct Ca {
    dir: Dir,
}

impl Ca {
    /// A root and an intermediate it signed, in the directory `name`.
    pub fn new(name: &str) -> Ca {
        let dir = Dir::new(name);
        let p = |n: &str| dir.0.join(n).to_str().unwrap().to_owned();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &p("root.key"),
            "-out",
            &p("root.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=test root",
        ]);
        std::fs::write(
            p("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n",
        )
        .unwrap();
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &p("int.key"),
            "-out",
            &p("int.req"),
            "-subj",
            "/CN=test intermediate",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &p("int.req"),
            "-CA",
            &p("root.pem"),
            "-CAkey",
            &p("root.key"),
            "-days",
            "2",
            "-extfile",
            &p("ca.ext"),
            "-out",
            &p("int.pem"),
        ]);
        Ca { dir }
    }

    /// The path of the file `n` of the CA.
    pub fn path(&self, n: &str) -> String {
        self.dir.0.join(n).to_str().unwrap().to_owned()
    }

    /// Signs `csr` with the intermediate, valid for `days` days from
    /// now (-1: expired yesterday); the DER certificate.
    pub fn sign(&self, csr: &CertReq, name: &str, days: i32) -> Vec<u8> {
        let req = self.path(&format!("{name}.req"));
        let out = self.path(&format!("{name}.der"));
        std::fs::write(&req, csr.to_pem(LineEnding::LF).unwrap()).unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            &req,
            "-CA",
            &self.path("int.pem"),
            "-CAkey",
            &self.path("int.key"),
            "-copy_extensions",
            "copy",
            "-days",
            &days.to_string(),
            "-outform",
            "DER",
            "-out",
            &out,
        ]);
        std::fs::read(out).unwrap()
    }

    /// The DER of the CA certificate `name` (`root` or `int`).
    pub fn der(&self, name: &str) -> Vec<u8> {
        openssl(&[
            "x509",
            "-in",
            &self.path(&format!("{name}.pem")),
            "-outform",
            "DER",
            "-out",
            &self.path(&format!("{name}.der")),
        ]);
        std::fs::read(self.path(&format!("{name}.der"))).unwrap()
    }
}
