//! Lab files and fixtures read from disk (temporary directories only):
//! fixtures found and parsed, symlinks refused, sizes and encodings bounded.

use crate::lab::fixture::Fixture;
use crate::lab::input::{line_col, read_text};
use crate::lab::Lab;
use std::fs;
use std::path::{Path, PathBuf};

/// `<tmp>/labs/t/lab.json` with one capture point with an id, and the
/// repository-style fixtures directory `<tmp>/fixtures/t/s1/`.
fn tree(fixture: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let labdir = d.path().join("labs/t");
    fs::create_dir_all(&labdir).unwrap();
    let lab = labdir.join("lab.json");
    fs::write(
        &lab,
        r#"{"lab": "t", "title": "T", "nodes": ["host", "pod"], "steps": [
  {"name": "s1", "title": "S", "capture": {"host:veth0": "O1.1"}, "do": [
    "ip link add veth0 type veth peer name eth0 netns pod",
    {"ping": "10.0.0.2", "from": "host"}]}]}"#,
    )
    .unwrap();
    if let Some(f) = fixture {
        let fd = d.path().join("fixtures/t/s1");
        fs::create_dir_all(&fd).unwrap();
        fs::write(fd.join("host-veth0.txt"), f).unwrap();
    }
    (d, lab)
}

fn nodes() -> Vec<String> {
    vec!["host".into(), "pod".into()]
}

fn fixture_file(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f.txt");
    fs::write(&p, text).unwrap();
    (d, p)
}

#[test]
fn the_shared_fixtures_directory_is_found() {
    let (_d, lab) = tree(Some(
        "# c\nARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n! IP *\n",
    ));
    let l = Lab::load(&lab).unwrap();
    let f = l.steps[0].captures[0].fixture.as_ref().unwrap();
    assert_eq!(f.lines.len(), 2);
    assert_eq!((f.lines[0].line_no, f.lines[0].never), (2, false));
    assert_eq!(
        (
            f.lines[1].line_no,
            f.lines[1].never,
            f.lines[1].text.as_str()
        ),
        (3, true, "IP *")
    );
    assert_eq!(l.steps[0].ids(), vec!["O1.1"]);
}

#[test]
fn a_missing_fixture_for_an_id_is_refused() {
    let (_d, lab) = tree(None);
    let e = Lab::load(&lab).unwrap_err().to_string();
    // No shared fixtures directory: the one beside the lab file.
    assert!(
        e.contains("no fixture yet (")
            && e.contains("labs/t/fixtures/s1/host-veth0.txt is missing"),
        "{e}"
    );
}

#[test]
fn a_symlinked_fixture_is_refused() {
    let (d, lab) = tree(None);
    let fd = d.path().join("fixtures/t/s1");
    fs::create_dir_all(&fd).unwrap();
    let target = d.path().join("elsewhere.txt");
    fs::write(&target, "x\n").unwrap();
    std::os::unix::fs::symlink(&target, fd.join("host-veth0.txt")).unwrap();
    let e = Lab::load(&lab).unwrap_err().to_string();
    assert!(e.contains("is a symlink or passes through one"), "{e}");
    assert!(e.contains("lab.json:2:"), "located in the lab: {e}");
}

#[test]
fn fixture_lines_comments_blanks_and_never() {
    let (_d, p) = fixture_file(b"# header\n\n   ARP, Reply {pod.eth0.mac}\n  !  IP 1 > 2\n");
    let f = Fixture::load(&p, &nodes()).unwrap();
    assert_eq!(f.lines.len(), 2);
    assert_eq!(f.lines[0].text, "ARP, Reply {pod.eth0.mac}");
    assert_eq!(
        (
            f.lines[1].text.as_str(),
            f.lines[1].never,
            f.lines[1].line_no
        ),
        ("IP 1 > 2", true, 4)
    );
}

#[test]
fn fixture_placeholder_errors_are_located() {
    let (_d, p) = fixture_file(b"ok line\n  is-at {pod.eth0.mac\n");
    let e = Fixture::load(&p, &nodes()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:2:9: `{{` without its `}}`", p.display())),
        "{e}"
    );
    let (_d, p) = fixture_file(b"is-at {pod.eth0.mtu}\n");
    let e = Fixture::load(&p, &nodes()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}:1:7: unknown placeholder `{{pod.eth0.mtu}}`",
            p.display()
        )),
        "{e}"
    );
    let (_d, p) = fixture_file(b"is-at {mars.eth0.mac}\n");
    let e = Fixture::load(&p, &nodes()).unwrap_err().to_string();
    assert!(
        e.contains("placeholder `{mars.eth0.mac}` names no node of this lab (nodes: host, pod)"),
        "{e}"
    );
}

#[test]
fn a_fixture_of_only_never_lines_could_never_fail() {
    let (_d, p) = fixture_file(b"# only\n! IP *\n");
    let e = Fixture::load(&p, &nodes()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:1:1: the fixture expects no line", p.display())),
        "{e}"
    );
}

#[test]
fn non_utf8_is_located() {
    let (_d, p) = fixture_file(b"line one\nab\xffc\n");
    let e = read_text(&p, "fixture", 1 << 20).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:2:3: byte 0xff is not UTF-8: a fixture is UTF-8 text",
            p.display()
        )
    );
}

#[test]
fn size_limit_and_file_kinds() {
    let (_d, p) = fixture_file(&[b'a'; 100]);
    assert_eq!(read_text(&p, "lab file", 100).unwrap().len(), 100);
    let e = read_text(&p, "lab file", 99).unwrap_err().to_string();
    assert!(
        e.contains("the lab file is 100 bytes; at most 99 are read"),
        "{e}"
    );
    let d = tempfile::tempdir().unwrap();
    let e = read_text(d.path(), "lab file", 99).unwrap_err().to_string();
    assert!(
        e.contains("the lab file is a directory, not a regular file"),
        "{e}"
    );
    let fifo = d.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let e = read_text(&fifo, "lab file", 99).unwrap_err().to_string();
    assert!(e.contains("is a FIFO"), "{e}");
    let e = read_text(Path::new("/nonexistent/x.json"), "lab file", 9)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("/nonexistent/x.json:1:1: cannot read lab file"),
        "{e}"
    );
}

#[test]
fn line_col_counts_bytes() {
    assert_eq!(line_col(b"ab\ncd", 0), (1, 1));
    assert_eq!(line_col(b"ab\ncd", 3), (2, 1));
    assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
    assert_eq!(line_col(b"ab", 99), (1, 3));
    assert_eq!(line_col("é\nx".as_bytes(), 2), (1, 3));
}

/// Issue 27's race: a fixture swapped between a plain file and a symlink to
/// a secret while labs load. Opened once beneath the lab's tree, never
/// through a symlink, the secret is never read: each load either sees the
/// plain file or refuses the symlink.
#[test]
fn a_fixture_swapped_for_a_symlink_never_reads_the_secret() {
    let (d, lab) = tree(Some("ARP, Request\n"));
    let secret = d.path().join("secret.txt");
    fs::write(&secret, "SECRET-LINE\n").unwrap();
    let f = d.path().join("fixtures/t/s1/host-veth0.txt");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (f, secret, stop) = (f.clone(), secret.clone(), stop.clone());
        std::thread::spawn(move || {
            let (plain, link) = (f.with_extension("plain"), f.with_extension("link"));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = fs::write(&plain, "ARP, Request\n");
                let _ = fs::rename(&plain, &f);
                let _ = fs::remove_file(&link);
                let _ = std::os::unix::fs::symlink(&secret, &link);
                let _ = fs::rename(&link, &f);
            }
        })
    };
    let (mut plain, mut refused) = (0, 0);
    for _ in 0..300 {
        match Lab::load(&lab) {
            Ok(l) => {
                let fx = l.steps[0].captures[0].fixture.as_ref().unwrap();
                assert_eq!(fx.lines[0].text, "ARP, Request");
                plain += 1;
            }
            Err(e) => {
                let e = e.to_string();
                assert!(!e.contains("SECRET"), "{e}");
                assert!(
                    e.contains("symlink") || e.contains("cannot read fixture"),
                    "{e}"
                );
                refused += 1;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    swapper.join().unwrap();
    assert_eq!(plain + refused, 300);
}

/// A container's absolute symlink is resolved inside the container's root
/// (RESOLVE_IN_ROOT), never against the host's: `/etc/hostname -> /secret`
/// reads the container's `/secret`, and a FIFO opens without blocking.
#[test]
fn in_root_symlinks_stay_in_the_root() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    fs::create_dir_all(root.join("etc")).unwrap();
    let host_secret = d.path().join("host-secret");
    fs::write(&host_secret, "HOST\n").unwrap();
    std::os::unix::fs::symlink(&host_secret, root.join("etc/hostname")).unwrap();
    let r = fs::File::open(&root).unwrap();
    // The same absolute path does not exist inside the root.
    let e = crate::lab::input::open_in_root(&r, Path::new("etc/hostname")).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}");
    let inside = root.join(host_secret.strip_prefix("/").unwrap());
    fs::create_dir_all(inside.parent().unwrap()).unwrap();
    fs::write(&inside, "pod-7\n").unwrap();
    let f = crate::lab::input::open_in_root(&r, Path::new("etc/hostname")).unwrap();
    let t = crate::lab::input::read_open(f, Path::new("hostname"), "hostname", 256).unwrap();
    assert_eq!(t, "pod-7\n");
    fs::remove_file(root.join("etc/hostname")).unwrap();
    nix::unistd::mkfifo(
        &root.join("etc/hostname"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let f = crate::lab::input::open_in_root(&r, Path::new("etc/hostname")).unwrap();
    let e = crate::lab::input::read_open(f, Path::new("hostname"), "hostname", 256).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
}

/// Kernels without openat2 (before 5.6): the by-hand walk refuses a
/// symlink at any component and `..`.
#[test]
fn the_fallback_walk_never_follows() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir_all(d.path().join("a/b")).unwrap();
    fs::write(d.path().join("a/b/f.txt"), "x\n").unwrap();
    std::os::unix::fs::symlink(d.path().join("a/b"), d.path().join("a/l")).unwrap();
    std::os::unix::fs::symlink(d.path().join("a/b/f.txt"), d.path().join("a/b/g.txt")).unwrap();
    let dir = fs::File::open(d.path()).unwrap();
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC;
    let walk = |p: &str| crate::lab::input::walk_nofollow(&dir, Path::new(p), flags);
    walk("a/b/f.txt").unwrap();
    // A symlink as the last component is ELOOP; as a directory, ENOTDIR.
    assert_eq!(
        walk("a/b/g.txt").unwrap_err().raw_os_error(),
        Some(libc::ELOOP)
    );
    assert_eq!(
        walk("a/l/f.txt").unwrap_err().raw_os_error(),
        Some(libc::ENOTDIR)
    );
    assert_eq!(
        walk("a/../a/b/f.txt").unwrap_err().raw_os_error(),
        Some(libc::EXDEV)
    );
}
