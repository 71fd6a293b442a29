//! Result files: plain names only, never through a symlink.

use super::*;

#[test]
fn plain_names_only() {
    assert_eq!(
        plain_components(Path::new("lab/step/host-veth0.pcap")).ok(),
        Some(vec![
            "lab".to_string(),
            "step".to_string(),
            "host-veth0.pcap".to_string()
        ])
    );
    for bad in ["../x", "/etc/passwd", "a/../../b", "", "a/\u{1b}b"] {
        assert!(plain_components(Path::new(bad)).is_err(), "{bad:?}");
    }
}

#[test]
fn never_through_a_symlink() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    std::fs::create_dir(root.join("out")).expect("mkdir");
    std::fs::create_dir(root.join("elsewhere")).expect("mkdir");
    std::os::unix::fs::symlink(root.join("elsewhere"), root.join("out/lab")).expect("ln");
    std::os::unix::fs::symlink(root.join("target.txt"), root.join("out/page.html")).expect("ln");
    let dir = open_dest_dir(&root.join("out")).expect("open");
    let comps = ["lab".to_string(), "x.pcap".to_string()];
    write_under(dir.as_raw_fd(), &comps, b"x", Path::new("out/lab/x.pcap")).unwrap_err();
    write_under(
        dir.as_raw_fd(),
        &["page.html".to_string()],
        b"x",
        Path::new("out/page.html"),
    )
    .unwrap_err();
    assert_eq!(
        std::fs::read_dir(root.join("elsewhere"))
            .expect("ls")
            .count(),
        0
    );
    assert!(!root.join("target.txt").exists());
    // And a plain nested path works.
    let comps = ["a".to_string(), "b".to_string(), "c.pcap".to_string()];
    write_under(dir.as_raw_fd(), &comps, b"ok", Path::new("out/a/b/c.pcap")).expect("write");
    assert_eq!(
        std::fs::read(root.join("out/a/b/c.pcap")).expect("read"),
        b"ok"
    );
}
