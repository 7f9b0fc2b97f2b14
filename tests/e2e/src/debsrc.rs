//! Debian source packages as test corpora: `apt-get source` with a
//! private sources list (a `deb-src` line derived from the machine's
//! configured Debian mirror), list directory and cache, so the system's apt
//! configuration and state are not touched; the members a test needs are
//! extracted once under `target/<cache>/` so that later runs are offline.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::repo_root;

/// The Debian mirror and keyring of the machine's first `deb` source for
/// the main archive of its release, as a `deb-src` line for `main`.
pub fn deb_src_line() -> String {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let codename = os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|c| c.trim_matches('"').to_string())
        .expect("VERSION_CODENAME in /etc/os-release (a Debian machine)");
    // (types, uris, suites, signed-by) of every configured source.
    type Source = (Vec<String>, Vec<String>, Vec<String>, Option<String>);
    let mut sources: Vec<Source> = Vec::new();
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "sources" {
            // deb822 stanzas, separated by blank lines.
            for stanza in text.split("\n\n") {
                let field = |key: &str| {
                    stanza.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(key)
                            .then(|| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                    })
                };
                if field("Enabled").is_some_and(|v| v.first().is_some_and(|v| v == "no")) {
                    continue;
                }
                sources.push((
                    field("Types").unwrap_or_default(),
                    field("URIs").unwrap_or_default(),
                    field("Suites").unwrap_or_default(),
                    field("Signed-By").and_then(|v| v.first().cloned()),
                ));
            }
        } else if ext == "list" || file.ends_with("sources.list") {
            for line in text.lines().map(str::trim) {
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                let mut words: Vec<&str> = line.split_whitespace().collect();
                let kind = words.remove(0).to_string();
                let mut signed_by = None;
                if words.first().is_some_and(|w| w.starts_with('[')) {
                    while let Some(w) = (!words.is_empty()).then(|| words.remove(0)) {
                        let w = w.trim_start_matches('[');
                        if let Some(k) = w.strip_prefix("signed-by=") {
                            signed_by = Some(k.trim_end_matches(']').to_string());
                        }
                        if w.ends_with(']') {
                            break;
                        }
                    }
                }
                if words.len() >= 2 {
                    sources.push((
                        vec![kind],
                        vec![words[0].to_string()],
                        vec![words[1].to_string()],
                        signed_by,
                    ));
                }
            }
        }
    }
    let (uri, signed_by) = sources
        .iter()
        .filter(|(types, ..)| types.iter().any(|t| t == "deb" || t == "deb-src"))
        .find_map(|(_, uris, suites, signed_by)| {
            let uri = uris.first()?;
            suites
                .contains(&codename)
                .then(|| (uri.clone(), signed_by.clone()))
        })
        .unwrap_or_else(|| {
            panic!("no Debian source for `{codename}` in /etc/apt/sources.list{{,.d/*}}")
        });
    let keyring = signed_by
        .filter(|k| Path::new(k).exists())
        .unwrap_or_else(|| "/usr/share/keyrings/debian-archive-keyring.gpg".to_string());
    format!("deb-src [signed-by={keyring}] {uri} {codename} main\n")
}

/// Runs `command`; panics with its output unless it succeeds.
pub fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The top directory of `package`'s upstream source, with only the
/// members matching `patterns` (tar wildcards such as
/// `*/tests/libzscanner/*`) extracted, fetched once into
/// `target/<cache>/source`.
pub fn source_members(package: &str, cache: &str, patterns: &[&str]) -> PathBuf {
    let cache = repo_root().join("target").join(cache);
    std::fs::create_dir_all(&cache).expect("create the cache directory");
    // One fetch at a time, across test processes.
    let lock = File::create(cache.join(".lock")).expect("create the lock file");
    // An exclusive flock, released when `lock` drops.
    lock.lock().expect("lock the cache directory");
    let done = cache.join("source");
    if done.is_dir() {
        return done;
    }
    let apt = cache.join("apt");
    let _ = std::fs::remove_dir_all(&apt);
    for dir in ["lists/partial", "cache/archives/partial", "download"] {
        std::fs::create_dir_all(apt.join(dir)).expect("create apt dirs");
    }
    let sources = apt.join("sources.list");
    std::fs::write(&sources, deb_src_line()).expect("write the private sources list");
    let options = [
        format!("Dir::Etc::SourceList={}", sources.display()),
        "Dir::Etc::SourceParts=/dev/null".to_string(),
        format!("Dir::State::Lists={}", apt.join("lists").display()),
        format!("Dir::Cache={}", apt.join("cache").display()),
        // Downloads go to our directory as root; apt's _apt user cannot
        // write there.
        "APT::Sandbox::User=root".to_string(),
    ];
    let apt_get = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.arg("-q");
        for o in &options {
            command.arg("-o").arg(o);
        }
        command.args(args).current_dir(apt.join("download"));
        command
    };
    run(
        &mut apt_get(&["update"]),
        "apt-get update (private sources list)",
    );
    run(
        &mut apt_get(&["source", "--download-only", package]),
        &format!("apt-get source --download-only {package}"),
    );
    let orig = std::fs::read_dir(apt.join("download"))
        .expect("read the download dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".orig.tar."))
                && p.extension().and_then(|e| e.to_str()) != Some("asc")
        })
        .unwrap_or_else(|| panic!("the {package} source package has an .orig tarball"));
    let extract = cache.join("extract");
    let _ = std::fs::remove_dir_all(&extract);
    std::fs::create_dir_all(&extract).expect("create the extract dir");
    run(
        Command::new("tar")
            .arg("-xf")
            .arg(&orig)
            .arg("-C")
            .arg(&extract)
            .arg("--wildcards")
            .args(patterns),
        &format!("tar (extract {})", patterns.join(" ")),
    );
    let source_dir = std::fs::read_dir(&extract)
        .expect("read the extract dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .next()
        .expect("the tarball has a top directory");
    std::fs::rename(&source_dir, &done).expect("move the source");
    let _ = std::fs::remove_dir_all(&extract);
    let _ = std::fs::remove_dir_all(&apt);
    done
}
