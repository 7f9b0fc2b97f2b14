//! `scripts/build-images` is reproducible: a copy of the source tree at
//! another path, built into a fresh target directory, gives the same bytes.

use e2e::{repo_root, TempDir};
use std::path::Path;
use std::process::Command;

const IMAGE: &str = "bindings-test";

#[test]
fn same_source_gives_same_image_bytes() {
    let root = repo_root();
    let copy = TempDir::new("reproducible");
    let tree = copy.path().join("elsewhere/solodns");
    copy_tracked_files(&root, &tree);
    let status = Command::new(tree.join("scripts/build-images"))
        .arg(IMAGE)
        .current_dir(&tree)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("run scripts/build-images in the copy");
    assert!(status.success(), "build in the copy failed");
    for tender in ["hvt", "spt"] {
        let name = format!("{IMAGE}.{tender}");
        let ours = std::fs::read(root.join("target/images").join(&name))
            .expect("image built by scripts/test");
        let theirs =
            std::fs::read(tree.join("target/images").join(&name)).expect("image built in the copy");
        assert!(
            ours == theirs,
            "{name} differs between {} and {}",
            root.display(),
            tree.display()
        );
    }
}

/// Copies the files git tracks (plus untracked, unignored ones, so a
/// working tree under test is copied as it is).
fn copy_tracked_files(from: &Path, to: &Path) {
    let output = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(from)
        .output()
        .expect("git ls-files");
    assert!(output.status.success(), "git ls-files failed");
    for path in output.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let relative = Path::new(std::str::from_utf8(path).expect("UTF-8 path"));
        let source = from.join(relative);
        if !source.is_file() {
            continue;
        }
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("create dirs");
        std::fs::copy(&source, &target).expect("copy file");
    }
}
