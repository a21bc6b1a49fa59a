//! The README (issue 29): its reference block is made from
//! `results/reference/`'s own files, never typed, so it fails here when the
//! two disagree; and it stays a page for users (short, short lines, links
//! that resolve), the methodology living in `docs/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use rnnbench::report::RunFiles;
use rnnbench::report::reference::{block_in, readme_block};

use crate::common::run_ok;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md is readable")
}

/// What the generator makes of `results/reference/`.
fn generated() -> String {
    let run = RunFiles::load(&root().join("results/reference")).expect("results/reference loads");
    readme_block(&run)
}

#[test]
fn readme_reference_block_is_what_results_reference_holds() {
    let readme = readme();
    let have = block_in(&readme)
        .expect("README.md has a <!-- reference:begin --> … <!-- reference:end --> block");
    let want = generated();
    assert!(
        have == want,
        "README.md's reference block differs from what results/reference/ holds; \
         run scripts/make-reference --readme-only (or scripts/make-reference to measure \
         the run again)\n--- README.md\n{have}\n--- generated\n{want}"
    );
}

/// The committed page cannot go stale: `report` of a copy of
/// `results/reference/` writes the same page, summary and charts, byte for
/// byte, with the current code.
#[test]
fn results_reference_is_what_the_current_report_renders() {
    let copy = tempfile::tempdir().unwrap();
    let reference = root().join("results/reference");
    for entry in std::fs::read_dir(&reference).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    run_ok(Command::new(env!("CARGO_BIN_EXE_report")).arg(copy.path()));
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(copy.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rendered = name == "report.html"
            || name == "summary.json"
            || name == "runs.csv"
            || name.ends_with(".png");
        if rendered
            && std::fs::read(&path).unwrap()
                != std::fs::read(reference.join(&name)).unwrap_or_default()
        {
            stale.push(name);
        }
    }
    stale.sort();
    assert!(
        stale.is_empty(),
        "results/reference/ is not what the current code renders ({}); run \
         scripts/make-reference --readme-only",
        stale.join(", ")
    );
}

#[test]
fn report_readme_block_prints_the_generated_block() {
    let out = run_ok(
        Command::new(env!("CARGO_BIN_EXE_report"))
            .arg(root().join("results/reference"))
            .arg("--readme-block"),
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), generated());
    // Only one run folder, and not with the rendering options.
    let two = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["results/reference", "results/reference", "--readme-block"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!two.status.success());
    assert!(
        String::from_utf8_lossy(&two.stderr).contains("exactly one run folder"),
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
}

/// The markdown pages users read: the README and every page of `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

#[test]
fn readme_is_short_and_every_page_has_short_lines_and_resolving_links() {
    let size = readme().len();
    // Issue 29: "at most about 15 KB".
    assert!(
        size <= 15 * 1024,
        "README.md is {size} bytes, over 15 KiB; methodology belongs in docs/"
    );
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (i, line) in text.lines().enumerate() {
            let n = line.chars().count();
            assert!(n <= 400, "{}:{}: {n} characters", page.display(), i + 1);
        }
        // Relative links `](path)` and `](path#anchor)` name files that exist.
        for target in text.split("](").skip(1) {
            let Some(end) = target.find(')') else {
                continue;
            };
            let link = &target[..end];
            if link.contains("://") || link.starts_with('#') || link.contains(' ') {
                continue;
            }
            let file = link.split('#').next().unwrap();
            let path = page.parent().unwrap().join(file);
            assert!(
                path.exists(),
                "{}: link to {link}: no such file",
                page.display()
            );
        }
    }
}

/// Issue 29: the README shows the first screen, a picture that
/// `scripts/make-reference` draws from the reference run's page (the top of
/// the page at 1280 px, in headless Chromium).
#[test]
fn readme_shows_a_picture_of_the_reference_runs_first_screen() {
    assert!(
        readme().contains("](docs/first-screen.png)"),
        "README.md does not show docs/first-screen.png"
    );
    let picture =
        image::open(root().join("docs/first-screen.png")).expect("docs/first-screen.png is a PNG");
    assert_eq!(picture.width(), 1280, "drawn at 1280 px wide");
    assert!(
        (300..=800).contains(&picture.height()),
        "the first screen, not the whole page: {} px high",
        picture.height()
    );
    let script = std::fs::read_to_string(root().join("scripts/make-reference")).unwrap();
    assert!(
        script.contains("--screenshot=\"$ROOT/docs/first-screen.png\""),
        "scripts/make-reference no longer draws the picture"
    );
}
