//! Static files (`files` of a component), staged the way `spin up` stages
//! them for a local app: every matched file is copied under a per-component
//! directory, which the component sees read-only as `/`.
//!
//! - `"path/file.txt"` or `"dir"`: copied to the same relative path;
//!   a directory brings all files below it;
//! - a glob (`"static/**/*"`): every matching file, same relative path;
//! - `{ source = "dir", destination = "/d" }`: the directory's files under
//!   `/d`; `{ source = "file", destination = "/f.txt" }`: one file;
//! - `exclude_files` globs (relative to the app directory) drop files.
//!
//! Files must stay inside the application directory, as in Spin. Copying
//! (instead of mapping directories) means the component sees a snapshot
//! taken at startup, which is also what `spin up` gives it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::manifest::FileMount;

/// Copies the files of one component into `dest_root`; returns the number
/// of files copied.
pub fn stage(
    app_dir: &Path,
    mounts: &[FileMount],
    exclude_files: &[String],
    dest_root: &Path,
) -> anyhow::Result<usize> {
    let excludes = exclude_files
        .iter()
        .map(|p| {
            glob::Pattern::new(p).with_context(|| format!("invalid exclude_files pattern {p:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    std::fs::create_dir_all(dest_root)
        .with_context(|| format!("failed to create {}", dest_root.display()))?;
    let stager = Stager {
        app_dir,
        dest_root,
        excludes: &excludes,
    };
    let mut copied = 0;
    for mount in mounts {
        copied += match mount {
            FileMount::Pattern(pattern) => stager.glob_or_path(pattern)?,
            FileMount::Placement {
                source,
                destination,
            } => stager.placement(source, destination)?,
        };
    }
    Ok(copied)
}

struct Stager<'a> {
    app_dir: &'a Path,
    dest_root: &'a Path,
    excludes: &'a [glob::Pattern],
}

impl Stager<'_> {
    fn glob_or_path(&self, pattern: &str) -> anyhow::Result<usize> {
        if pattern == ".." || pattern.ends_with("/..") || pattern == "." || pattern.ends_with("/.")
        {
            bail!(
                "file pattern {pattern:?} can't end in `.` or `..`; use the source-destination form or a glob ending in **/*"
            );
        }
        let path = self.app_dir.join(pattern);
        if path.is_dir() {
            self.glob(&path.join("**/*"), self.app_dir, self.dest_root)
        } else if path.is_file() {
            self.copy(&path, &self.dest_root.join(pattern)).map(|()| 1)
        } else if pattern.contains(['*', '?', '[']) {
            self.glob(&path, self.app_dir, self.dest_root)
        } else {
            bail!("{pattern:?} does not exist and doesn't appear to be a glob pattern")
        }
    }

    fn placement(&self, source: &str, destination: &str) -> anyhow::Result<usize> {
        let src = self.app_dir.join(source);
        let dest = self.dest_root.join(destination.trim_start_matches('/'));
        if src.is_dir() {
            self.glob(&src.join("**/*"), &src, &dest)
        } else if src.is_file() {
            if destination.ends_with('/') {
                bail!("\"{destination}\" is not a valid destination file name");
            }
            self.copy(&src, &dest).map(|()| 1)
        } else {
            bail!("file or directory {source:?} does not exist")
        }
    }

    fn glob(&self, pattern: &Path, src_prefix: &Path, dest_root: &Path) -> anyhow::Result<usize> {
        let pattern_str = pattern
            .to_str()
            .with_context(|| format!("invalid (non-utf8) file pattern {pattern:?}"))?;
        let mut copied = 0;
        for entry in glob::glob(pattern_str)
            .with_context(|| format!("failed to resolve glob pattern {pattern_str:?}"))?
        {
            let src = entry?;
            if !src.is_file() {
                continue;
            }
            let Ok(relative_to_app) = src.strip_prefix(self.app_dir) else {
                bail!(
                    "{pattern_str} cannot be mapped because it is outside the application directory"
                );
            };
            if self
                .excludes
                .iter()
                .any(|p| p.matches_path(relative_to_app))
            {
                continue;
            }
            let relative = src.strip_prefix(src_prefix)?;
            self.copy(&src, &dest_root.join(relative))?;
            copied += 1;
        }
        Ok(copied)
    }

    fn copy(&self, src: &Path, dest: &Path) -> anyhow::Result<()> {
        let canonical_app = self.app_dir.canonicalize()?;
        let canonical_src = src
            .canonicalize()
            .with_context(|| format!("cannot read {}", src.display()))?;
        if !canonical_src.starts_with(&canonical_app) {
            bail!(
                "{} is outside the application directory; files must be within it",
                src.display()
            );
        }
        if !normalized(dest).starts_with(normalized(self.dest_root)) {
            bail!(
                "destination {} escapes the component's file root",
                dest.display()
            );
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        std::fs::copy(src, dest)
            .with_context(|| format!("failed to copy {} to {}", src.display(), dest.display()))?;
        Ok(())
    }
}

/// Lexically resolves `.` and `..` (the destination does not exist yet, so
/// it cannot be canonicalised).
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("static/css")).unwrap();
        std::fs::write(root.join("static/index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(root.join("static/css/site.css"), "body{}").unwrap();
        std::fs::write(root.join("static/secret.txt"), "no").unwrap();
        std::fs::write(root.join("readme.txt"), "read me").unwrap();
        dir
    }

    fn read(root: &Path, rel: &str) -> Option<String> {
        std::fs::read_to_string(root.join(rel)).ok()
    }

    #[test]
    fn patterns_keep_relative_paths() {
        let app = app();
        let out = tempfile::tempdir().unwrap();
        let n = stage(
            app.path(),
            &[
                FileMount::Pattern("static/**/*".into()),
                FileMount::Pattern("readme.txt".into()),
            ],
            &["static/secret.txt".into()],
            out.path(),
        )
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            read(out.path(), "static/index.html").unwrap(),
            "<h1>hi</h1>"
        );
        assert_eq!(read(out.path(), "static/css/site.css").unwrap(), "body{}");
        assert_eq!(read(out.path(), "readme.txt").unwrap(), "read me");
        assert!(read(out.path(), "static/secret.txt").is_none());
    }

    #[test]
    fn placements_map_directories_and_files() {
        let app = app();
        let out = tempfile::tempdir().unwrap();
        stage(
            app.path(),
            &[
                FileMount::Placement {
                    source: "static".into(),
                    destination: "/".into(),
                },
                FileMount::Placement {
                    source: "readme.txt".into(),
                    destination: "/docs/README".into(),
                },
            ],
            &[],
            out.path(),
        )
        .unwrap();
        assert_eq!(read(out.path(), "index.html").unwrap(), "<h1>hi</h1>");
        assert_eq!(read(out.path(), "css/site.css").unwrap(), "body{}");
        assert_eq!(read(out.path(), "docs/README").unwrap(), "read me");
    }

    #[test]
    fn missing_sources_and_escapes_fail() {
        let app = app();
        let out = tempfile::tempdir().unwrap();
        assert!(
            stage(
                app.path(),
                &[FileMount::Pattern("nope.txt".into())],
                &[],
                out.path()
            )
            .is_err()
        );
        assert!(
            stage(
                app.path(),
                &[FileMount::Pattern("..".into())],
                &[],
                out.path()
            )
            .is_err()
        );
        assert!(
            stage(
                app.path(),
                &[FileMount::Placement {
                    source: "readme.txt".into(),
                    destination: "/../../escape".into()
                }],
                &[],
                out.path()
            )
            .is_err()
        );
    }
}
