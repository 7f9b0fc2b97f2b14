//! Zones from a zone repository (OCaml-DNS layout), reloaded file by file.
//!
//! Zones are the files of the top directory; a zone file may `$INCLUDE`
//! any file of the repository, subdirectories included (paths relative to
//! the repository root, then to the including file: see
//! `dns_zone::parser::include`), except `_keys` files (TSIG secrets,
//! never served). A zone is parsed again when its file or any file it
//! included changed.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use dns_server::catalog::Catalog;
use dns_zone::{Name, Zone};

/// One file of the repository: its path and contents.
#[derive(Clone, Debug)]
pub struct ZoneFile {
    /// Path from the repository root, `/` between directories, e.g.
    /// `example.com`, `_keys` or `keys/example.com.key`; only files of the
    /// top directory are zones or key files.
    pub name: String,
    /// Contents.
    pub contents: Vec<u8>,
}

/// Whether a file holds keys (`_keys`, `<zone>._keys`), never served.
pub fn is_key_file(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base == "_keys" || base.ends_with("._keys")
}

/// Whether a file of the repository is a zone: a top-level file that is
/// neither a key file nor hidden.
fn is_zone_file(name: &str) -> bool {
    !name.contains('/') && !is_key_file(name) && !name.starts_with('.')
}

/// The repository as `$INCLUDE` sees it; remembers what was read.
struct Includes<'f> {
    files: &'f [ZoneFile],
    read: Vec<FileContents>,
}

impl dns_zone::IncludeFiles for Includes<'_> {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, dns_zone::IncludeError> {
        if is_key_file(path) {
            return Err(dns_zone::IncludeError::Refused(
                "a file of TSIG keys, which is never served, cannot be included".into(),
            ));
        }
        let Some(file) = self.files.iter().find(|f| f.name == path) else {
            let is_dir = self.files.iter().any(|f| {
                f.name.len() > path.len()
                    && f.name.starts_with(path)
                    && (path.is_empty() || f.name.as_bytes()[path.len()] == b'/')
            });
            return Err(if is_dir {
                dns_zone::IncludeError::Refused("a directory, not a file".into())
            } else {
                dns_zone::IncludeError::NotFound
            });
        };
        self.read
            .push((file.name.clone(), FileDigest::of(&file.contents)));
        Ok(file.contents.clone())
    }
}

/// What a (re)load did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Zones loaded or replaced: (zone, serial).
    pub loaded: Vec<(String, u32)>,
    /// Zones whose file disappeared, no longer served.
    pub removed: Vec<String>,
    /// Zones whose new version failed and whose last good version still serves.
    pub kept: Vec<String>,
    /// One line per problem: `file:line:column: message` (or `file: message`).
    pub errors: Vec<String>,
    /// One line per warning, same form.
    pub warnings: Vec<String>,
}

/// The SHA-256 of a file's contents: what [`ZoneSet`] keeps of a file to
/// tell whether it changed (a zone is held once, parsed; not also as its
/// text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDigest([u8; 32]);

impl FileDigest {
    /// The digest of `contents`.
    pub fn of(contents: &[u8]) -> FileDigest {
        use sha2::Digest;
        FileDigest(sha2::Sha256::digest(contents).into())
    }
}

/// Which file each served zone was loaded from, and the digest of its last
/// good contents; the zones themselves live in the query engine's
/// [`Catalog`].
#[derive(Debug, Default)]
pub struct ZoneSet {
    /// (file name, digest) of each zone's last good version, to skip
    /// unchanged files on reload.
    sources: Vec<(String, FileDigest)>,
    /// (zone file name, (path, digest) of each file it included) of each
    /// zone's last good version: a change to one of them reloads the zone.
    included: Vec<(String, Vec<FileContents>)>,
    /// (old version or none, apex) of the zones the last reload replaced,
    /// for journaling and NOTIFY.
    pub(crate) replaced: Vec<(Option<Arc<Zone>>, Name)>,
    /// (file name, first problem) of the files whose version in the
    /// repository is not served: it does not parse, or it changed the zone
    /// without increasing the serial.
    broken: Vec<(String, String)>,
}

impl ZoneSet {
    /// An empty set.
    pub fn new() -> ZoneSet {
        ZoneSet::default()
    }

    /// The file the zone of `apex` was loaded from.
    pub fn file_of(&self, apex: &Name) -> Option<&str> {
        self.sources
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| file_apex(name).as_ref() == Some(apex))
    }

    /// Why the repository's version of the zone of `apex` is not served
    /// (the first problem, `file:line:column: message`), if it is broken.
    /// An UPDATE of such a zone must not replace the file silently.
    pub fn broken(&self, apex: &Name) -> Option<&str> {
        self.broken
            .iter()
            .find(|(name, _)| file_apex(name).as_ref() == Some(apex))
            .map(|(_, why)| why.as_str())
    }

    /// Records that `file` now holds contents of `digest`, written by us
    /// (an UPDATE made durable) and already served: the next reload skips
    /// it instead of parsing it again and replacing the zone with an equal
    /// one.
    pub fn record_written(&mut self, file: &str, digest: FileDigest) {
        match self.sources.iter_mut().find(|(name, _)| name == file) {
            Some(source) => source.1 = digest,
            None => self.sources.push((file.into(), digest)),
        }
        // The printed zone holds every record itself: it includes nothing.
        self.included.retain(|(name, _)| name != file);
    }

    /// Whether the zone of `file` (whose contents have `digest`) was loaded
    /// from these contents, and every file it included is unchanged in
    /// `files`.
    fn unchanged(&self, file: &ZoneFile, digest: FileDigest, files: &[ZoneFile]) -> bool {
        let same_text = self
            .sources
            .iter()
            .any(|(name, source)| *name == file.name && *source == digest);
        let includes = self
            .included
            .iter()
            .find(|(name, _)| *name == file.name)
            .map_or(&[][..], |(_, included)| included.as_slice());
        same_text
            && includes.iter().all(|(path, digest)| {
                files
                    .iter()
                    .any(|f| f.name == *path && FileDigest::of(&f.contents) == *digest)
            })
    }

    /// Brings `catalog` in line with `files`, the whole repository: every
    /// non-key, non-hidden file is a zone named after the file. Unchanged
    /// files are not parsed again.
    ///
    /// When no zone file has an `$INCLUDE` (so no file can be read by
    /// another's), each zone file's contents are taken out of `files` as
    /// it is parsed: a large zone's text is freed before its zone is built
    /// (a third less peak memory for a 1 000 000-record zone). Key files
    /// and other files are left as they are.
    pub fn reload(&mut self, catalog: &mut Catalog, files: &mut [ZoneFile]) -> LoadReport {
        let mut report = LoadReport::default();
        let mut present: Vec<String> = Vec::new();
        let may_include = files
            .iter()
            .any(|f| is_zone_file(&f.name) && has_include(&f.contents));
        for i in 0..files.len() {
            let file = &files[i];
            if !is_zone_file(&file.name) {
                continue;
            }
            present.push(file.name.clone());
            let digest = FileDigest::of(&file.contents);
            if self.unchanged(file, digest, files) {
                // Back at its last good version, if it was broken.
                self.broken.retain(|(name, _)| *name != file.name);
                continue;
            }
            let had_old = self.sources.iter().any(|(name, _)| *name == file.name);
            self.broken.retain(|(name, _)| *name != file.name);
            let name = file.name.clone();
            let text = match may_include {
                true => None,
                false => Some(core::mem::take(&mut files[i].contents)),
            };
            let file = &files[i];
            let loaded = match text {
                Some(text) => load_zone_text(&name, text).map(|(z, w)| (z, w, Vec::new())),
                None => load_zone(file, files),
            };
            let loaded = loaded.and_then(|(zone, warnings, included)| {
                // A changed zone must come with a greater serial: under the
                // old one, secondaries would keep their copy, and the next
                // IXFR would build on data they never had.
                match catalog.get(zone.origin()).filter(|_| had_old) {
                    Some(old) if *old == zone => Ok((zone, warnings, included, false)),
                    Some(old) => match zone.check_successor(old) {
                        Ok(()) => Ok((zone, warnings, included, true)),
                        Err(error) => Err(alloc::vec![format!("{name}: {error}")]),
                    },
                    None => Ok((zone, warnings, included, true)),
                }
            });
            match loaded {
                Ok((zone, warnings, included, changed)) => {
                    report.warnings.extend(warnings);
                    if changed {
                        report.loaded.push((name.clone(), zone.serial().0));
                        let apex = zone.origin().clone();
                        let old = catalog.insert(zone);
                        self.replaced.push((old, apex));
                    }
                    self.sources.retain(|(n, _)| *n != name);
                    self.sources.push((name.clone(), digest));
                    self.included.retain(|(n, _)| *n != name);
                    self.included.push((name.clone(), included));
                }
                Err(errors) => {
                    if let Some(first) = errors.first() {
                        self.broken.push((name.clone(), first.clone()));
                    }
                    report.errors.extend(errors);
                    if had_old {
                        report.kept.push(name.clone());
                    } else if let Some(apex) = file_apex(&name) {
                        // In the repository but never loaded: SERVFAIL.
                        catalog.set_unloaded(&apex, true);
                    }
                }
            }
        }
        let gone: Vec<String> = self
            .sources
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| !present.contains(name))
            .collect();
        for name in gone {
            if let Some(apex) = file_apex(&name) {
                catalog.remove(&apex);
            }
            self.sources.retain(|(source, _)| *source != name);
            self.included.retain(|(source, _)| *source != name);
            report.removed.push(name);
        }
        let vanished: Vec<String> = self
            .broken
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| !present.contains(name))
            .collect();
        for name in vanished {
            if let Some(apex) = file_apex(&name) {
                catalog.set_unloaded(&apex, false);
            }
            self.broken.retain(|(broken, _)| *broken != name);
        }
        report
    }
}

/// The apex a zone file's name stands for.
fn file_apex(file: &str) -> Option<Name> {
    let mut apex = Name::from_ascii(file).ok()?;
    apex.set_fqdn(true);
    Some(apex)
}

/// A file's path and the digest of its contents.
type FileContents = (String, FileDigest);

/// A zone loaded: the zone, its warnings, and the files it included.
type Loaded = (Zone, Vec<String>, Vec<FileContents>);

/// Whether zone file text may have an `$INCLUDE` (any case).
fn has_include(text: &[u8]) -> bool {
    text.windows(8).any(|w| w.eq_ignore_ascii_case(b"$INCLUDE"))
}

/// The apex named by the zone file `name`, or why it names none.
fn origin_of(name: &str) -> Result<Name, Vec<String>> {
    Name::from_ascii(name)
        .map(|mut origin| {
            origin.set_fqdn(true);
            origin
        })
        .map_err(|error| {
            alloc::vec![format!(
                "{name}: the file name is not a domain name: {error}"
            )]
        })
}

/// The zone of the file `name` whose text (with no `$INCLUDE`) is
/// `text`, freed once parsed; with its warnings.
fn load_zone_text(name: &str, text: Vec<u8>) -> Result<(Zone, Vec<String>), Vec<String>> {
    match Zone::parse_owned(text, origin_of(name)?) {
        Ok((zone, warnings)) => Ok((
            zone,
            warnings
                .iter()
                .map(|w| w.display_in(name).to_string())
                .collect(),
        )),
        Err(errors) => Err(errors
            .errors
            .iter()
            .map(|e| e.display_in(name).to_string())
            .collect()),
    }
}

fn load_zone(file: &ZoneFile, files: &[ZoneFile]) -> Result<Loaded, Vec<String>> {
    let origin = origin_of(&file.name)?;
    let mut includes = Includes {
        files,
        read: Vec::new(),
    };
    match Zone::parse_with_includes(&file.contents, origin, &mut includes, &file.name) {
        Ok((zone, warnings)) => Ok((
            zone,
            warnings
                .iter()
                .map(|w| w.display_in(&file.name).to_string())
                .collect(),
            includes.read,
        )),
        Err(errors) => Err(errors
            .errors
            .iter()
            .map(|e| e.display_in(&file.name).to_string())
            .collect()),
    }
}

/// The TSIG keys of a repository: every `_keys` and `<zone>._keys` file.
/// Problems are returned as `file:line:column: message` lines; a file with
/// errors contributes no key.
pub fn load_keys(files: &[ZoneFile]) -> (dns_keys::KeyStore, Vec<String>) {
    let mut keys = dns_keys::KeyStore::new();
    let mut problems = Vec::new();
    for file in files
        .iter()
        .filter(|f| is_key_file(&f.name) && !f.name.contains('/'))
    {
        match keys.load_keys_file(&file.name, &file.contents) {
            Ok(warnings) => problems.extend(
                warnings
                    .iter()
                    .map(|w| w.display_in(&file.name).to_string()),
            ),
            Err(error) => problems.extend(
                error
                    .errors
                    .iter()
                    .map(|e| e.display_in(&file.name).to_string()),
            ),
        }
    }
    (keys, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const GOOD: &str = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n";
    const NEWER: &str = "$TTL 300\n@ SOA ns hostmaster 2 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.3\n";
    const BROKEN: &str = "$TTL 300\n@ SOA ns hostmaster 3 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.300\n";

    fn file(name: &str, text: &str) -> ZoneFile {
        ZoneFile {
            name: name.into(),
            contents: text.as_bytes().to_vec(),
        }
    }

    fn serial(catalog: &Catalog, zone: &str) -> Option<u32> {
        catalog
            .zones()
            .find(|z| z.origin().to_ascii() == zone)
            .map(|z| z.serial().0)
    }

    #[test]
    fn key_files_are_never_zones() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let report = set.reload(
            &mut catalog,
            &mut [
                file("example.com", GOOD),
                file("_keys", "x"),
                file("example.com._keys", "y"),
            ],
        );
        assert_eq!(report.loaded, vec![("example.com".into(), 1)]);
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(catalog.len(), 1);
    }

    #[test]
    fn a_broken_new_version_keeps_the_last_good_one_serving() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        set.reload(&mut catalog, &mut [file("example.com", GOOD)]);
        let report = set.reload(&mut catalog, &mut [file("example.com", BROKEN)]);
        assert_eq!(report.kept, vec!["example.com".to_string()]);
        assert_eq!(report.errors.len(), 1, "{report:?}");
        assert!(
            report.errors[0].starts_with("example.com:5:"),
            "file:line:column: {}",
            report.errors[0]
        );
        assert_eq!(
            serial(&catalog, "example.com."),
            Some(1),
            "old version still served"
        );
        let report = set.reload(&mut catalog, &mut [file("example.com", NEWER)]);
        assert_eq!(report.loaded, vec![("example.com".into(), 2)]);
        assert_eq!(serial(&catalog, "example.com."), Some(2));
    }

    #[test]
    fn a_zone_that_never_loaded_is_not_served_but_answers_servfail() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let report = set.reload(&mut catalog, &mut [file("example.com", BROKEN)]);
        assert!(report.kept.is_empty() && report.loaded.is_empty());
        assert_eq!(catalog.len(), 0);
        let apex = file_apex("example.com").expect("a name");
        assert!(catalog.is_unloaded(&apex), "configured: SERVFAIL");
        assert!(set
            .broken(&apex)
            .is_some_and(|why| why.starts_with("example.com:5:")));
        // Gone from the repository: no longer configured at all.
        set.reload(&mut catalog, &mut []);
        assert!(!catalog.is_unloaded(&apex) && set.broken(&apex).is_none());
    }

    /// The same serial with other data: secondaries would keep the old
    /// data, and the next IXFR would leave them different for good.
    const SAME_SERIAL: &str = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.9\n";
    const OLDER_SERIAL: &str = "$TTL 300\n@ SOA ns hostmaster 0 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n";
    const COMMENTED: &str = "; a comment only\n$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n";

    #[test]
    fn a_change_without_a_greater_serial_keeps_the_last_good_version() {
        let apex = file_apex("example.com").expect("a name");
        for (text, serial) in [(SAME_SERIAL, 1), (OLDER_SERIAL, 0)] {
            let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
            set.reload(&mut catalog, &mut [file("example.com", GOOD)]);
            set.replaced.clear();
            let report = set.reload(&mut catalog, &mut [file("example.com", text)]);
            assert_eq!(report.kept, vec!["example.com".to_string()]);
            assert!(report.loaded.is_empty(), "{report:?}");
            assert_eq!(
                report.errors,
                vec![format!(
                    "example.com: changed but serial {serial} not increased from 1 ({}, RFC 1982)",
                    if serial == 1 { "the same" } else { "older" }
                )]
            );
            assert_eq!(set.broken(&apex), Some(report.errors[0].as_str()));
            let served = catalog.get(&apex).expect("still served");
            assert_eq!(
                served,
                &load_zone(&file("example.com", GOOD), &[]).unwrap().0
            );
            assert!(set.replaced.is_empty(), "nothing to journal or notify");
            // The next real bump loads, and the zone is no longer broken.
            let report = set.reload(&mut catalog, &mut [file("example.com", NEWER)]);
            assert_eq!(report.loaded, vec![("example.com".into(), 2)]);
            assert_eq!(set.broken(&apex), None);
        }
    }

    #[test]
    fn the_same_zone_in_other_words_needs_no_new_serial() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        set.reload(&mut catalog, &mut [file("example.com", GOOD)]);
        set.replaced.clear();
        let report = set.reload(&mut catalog, &mut [file("example.com", COMMENTED)]);
        assert!(
            report.errors.is_empty() && report.kept.is_empty(),
            "{report:?}"
        );
        assert!(report.loaded.is_empty(), "nothing changed: {report:?}");
        assert!(set.replaced.is_empty(), "no NOTIFY for an equal zone");
        // Broken, then back to the last good text: no longer broken.
        set.reload(&mut catalog, &mut [file("example.com", BROKEN)]);
        let apex = file_apex("example.com").expect("a name");
        assert!(set.broken(&apex).is_some());
        set.reload(&mut catalog, &mut [file("example.com", COMMENTED)]);
        assert_eq!(set.broken(&apex), None);
    }

    #[test]
    fn removed_files_remove_zones_and_unchanged_files_are_skipped() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        set.reload(
            &mut catalog,
            &mut [file("example.com", GOOD), file("example.org", GOOD)],
        );
        let report = set.reload(&mut catalog, &mut [file("example.com", GOOD)]);
        assert!(report.loaded.is_empty(), "unchanged: not reloaded");
        assert_eq!(report.removed, vec!["example.org".to_string()]);
        assert_eq!(catalog.len(), 1);
    }

    #[test]
    fn a_file_name_that_is_no_domain_name_is_reported() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let report = set.reload(&mut catalog, &mut [file("bad..name", GOOD)]);
        assert_eq!(report.errors.len(), 1);
        assert!(
            report.errors[0].starts_with("bad..name: "),
            "{}",
            report.errors[0]
        );
    }

    const WITH_INCLUDE: &str = "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n$INCLUDE hosts/www\n";

    fn www(catalog: &Catalog) -> Option<Vec<u8>> {
        let zone = catalog.zones().next()?;
        let name: Name = "www.example.com.".parse().ok()?;
        let set = zone.node(&name)?.rrset(dns_zone::RecordType::A)?;
        Some(set.first().as_bytes().to_vec())
    }

    #[test]
    fn a_change_to_an_included_file_reloads_the_zone_that_includes_it() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let v1 = [
            file("example.com", WITH_INCLUDE),
            file("hosts/www", "www A 192.0.2.2\n"),
        ];
        let report = set.reload(&mut catalog, &mut v1.clone());
        assert_eq!(report.loaded, vec![("example.com".into(), 1)], "{report:?}");
        assert_eq!(www(&catalog), Some(vec![192, 0, 2, 2]));
        assert!(
            set.reload(&mut catalog, &mut v1.clone()).loaded.is_empty(),
            "unchanged"
        );
        // Only the included file changed: without a new serial in the
        // including file that is refused like any change under one serial.
        let unbumped = [
            file("example.com", WITH_INCLUDE),
            file("hosts/www", "www A 192.0.2.3\n"),
        ];
        let report = set.reload(&mut catalog, &mut unbumped.clone());
        assert_eq!(report.kept, vec!["example.com".to_string()], "{report:?}");
        assert_eq!(www(&catalog), Some(vec![192, 0, 2, 2]));
        let bumped = WITH_INCLUDE.replace("hostmaster 1 ", "hostmaster 2 ");
        let v2 = [
            file("example.com", &bumped),
            file("hosts/www", "www A 192.0.2.3\n"),
        ];
        let report = set.reload(&mut catalog, &mut v2.clone());
        assert_eq!(report.loaded, vec![("example.com".into(), 2)], "{report:?}");
        assert_eq!(www(&catalog), Some(vec![192, 0, 2, 3]));
        // A broken included file: reported under its own path, the last
        // good version keeps serving.
        let v3 = [
            file(
                "example.com",
                &bumped.replace("hostmaster 2 ", "hostmaster 3 "),
            ),
            file("hosts/www", "www A 192.0.2.300\n"),
        ];
        let report = set.reload(&mut catalog, &mut v3.clone());
        assert_eq!(report.kept, vec!["example.com".to_string()]);
        assert!(
            report.errors[0].starts_with("hosts/www:1:7: "),
            "{report:?}"
        );
        assert_eq!(www(&catalog), Some(vec![192, 0, 2, 3]));
        // Subdirectories are not zones.
        assert_eq!(catalog.len(), 1);
    }

    #[test]
    fn key_files_cannot_be_included() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let zone = WITH_INCLUDE.replace("hosts/www", "example.com._keys");
        let report = set.reload(
            &mut catalog,
            &mut [file("example.com", &zone), file("example.com._keys", "")],
        );
        assert_eq!(
            report.errors,
            vec!["example.com:5:10: $INCLUDE example.com._keys: example.com._keys: a file of TSIG keys, which is never served, cannot be included".to_string()]
        );
        let zone = WITH_INCLUDE.replace("hosts/www", "hosts");
        let report = set.reload(
            &mut catalog,
            &mut [file("example.com", &zone), file("hosts/www", "")],
        );
        assert!(
            report.errors[0].ends_with("hosts: a directory, not a file"),
            "{report:?}"
        );
    }

    #[test]
    fn zone_texts_are_freed_unless_a_zone_includes_files() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let mut files = [file("example.com", GOOD), file("_keys", "x")];
        set.reload(&mut catalog, &mut files);
        assert!(catalog.get(&file_apex("example.com").unwrap()).is_some());
        assert!(files[0].contents.is_empty(), "a zone file's text is freed");
        assert_eq!(files[1].contents, b"x", "key files stay");
        // A zone with an $INCLUDE: every file may be read by another.
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        let mut files = [
            file("example.com", WITH_INCLUDE),
            file("example.org", GOOD),
            file("hosts/www", "www A 192.0.2.3\n"),
        ];
        let report = set.reload(&mut catalog, &mut files);
        assert!(report.errors.is_empty(), "{report:?}");
        assert!(files.iter().all(|f| !f.contents.is_empty()));
    }

    #[test]
    fn files_we_wrote_are_not_parsed_again() {
        let (mut set, mut catalog) = (ZoneSet::new(), Catalog::new());
        set.reload(&mut catalog, &mut [file("example.com", GOOD)]);
        let apex = file_apex("example.com.").expect("a name");
        assert_eq!(set.file_of(&apex), Some("example.com"));
        assert_eq!(
            set.file_of(&file_apex("example.org").expect("a name")),
            None
        );
        set.record_written("example.com", FileDigest::of(NEWER.as_bytes()));
        let report = set.reload(&mut catalog, &mut [file("example.com", NEWER)]);
        assert!(report.loaded.is_empty(), "ours, already served: {report:?}");
        assert_eq!(serial(&catalog, "example.com."), Some(1));
    }
}
