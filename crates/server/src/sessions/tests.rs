use super::*;

fn store(cfg: SessionsConfig) -> (tempfile::TempDir, Sessions) {
    let d = tempfile::tempdir().unwrap();
    let s = Sessions::open(d.path().join("sessions"), cfg).unwrap();
    (d, s)
}

const T0: i64 = 1_000_000;

#[test]
fn a_key_sees_only_its_own_sessions() {
    let (_d, s) = store(SessionsConfig::default());
    let a = s.create("alice", None, None, T0).unwrap();
    let b = s.create("bob", None, None, T0).unwrap();
    assert_eq!(s.list("alice", T0).unwrap(), vec![a.clone()]);
    assert!(matches!(s.get("bob", &a.id, T0), Err(SessionError::NotFound)));
    assert!(matches!(s.delete("bob", &a.id, T0), Err(SessionError::NotFound)));
    assert!(matches!(s.expire("bob", &a.id, 0, T0), Err(SessionError::NotFound)));
    assert_eq!(s.get("bob", &b.id, T0).unwrap(), b);
    assert_eq!(s.get("alice", &a.id, T0).unwrap(), a);
}

#[test]
fn idle_timeout_and_maximum_age_end_a_session() {
    let (_d, s) = store(SessionsConfig::default());
    let m = s.create("k", Some(10), Some(100), T0).unwrap();
    assert!(s.get("k", &m.id, T0 + 9_999).is_ok());
    assert!(matches!(s.get("k", &m.id, T0 + 10_000), Err(SessionError::NotFound)));
    // Used every 9 s, it still ends at its maximum age.
    let m = s.create("k", Some(10), Some(100), T0).unwrap();
    let mut t = T0;
    let mut m2 = m.clone();
    while t + 9_000 < T0 + 100_000 {
        t += 9_000;
        m2 = s.touch(s.get("k", &m.id, t).unwrap(), t).unwrap();
    }
    assert!(m2.expires_at_ms() <= T0 + 100_000);
    assert!(matches!(s.get("k", &m.id, T0 + 100_000), Err(SessionError::NotFound)));
}

#[test]
fn the_sweep_deletes_expired_sessions_and_their_files() {
    let (d, s) = store(SessionsConfig::default());
    let old = s.create("k", Some(5), None, T0).unwrap();
    let live = s.create("k", Some(500), None, T0).unwrap();
    s.put_file(&old.id, "a.txt", b"x", false).unwrap();
    assert_eq!(s.sweep(T0 + 6_000).unwrap(), 1);
    assert!(!d.path().join("sessions").join(&old.id).exists());
    assert!(d.path().join("sessions").join(&live.id).exists());
}

#[test]
fn expire_shortens_or_deletes() {
    let (_d, s) = store(SessionsConfig::default());
    let m = s.create("k", None, None, T0).unwrap();
    let m = s.expire("k", &m.id, 30, T0 + 1_000).unwrap().unwrap();
    assert_eq!(m.expires_at_ms(), T0 + 31_000);
    assert!(s.expire("k", &m.id, 0, T0 + 2_000).unwrap().is_none());
    assert!(matches!(s.get("k", &m.id, T0 + 2_000), Err(SessionError::NotFound)));
}

#[test]
fn sessions_per_key_are_bounded() {
    let (_d, s) = store(SessionsConfig { max_per_key: 2, ..SessionsConfig::default() });
    s.create("k", None, None, T0).unwrap();
    s.create("k", None, None, T0).unwrap();
    assert!(matches!(s.create("k", None, None, T0), Err(SessionError::Limit(m)) if m.contains("limit is 2")));
    s.create("other", None, None, T0).unwrap();
}

#[test]
fn file_size_count_and_total_are_bounded() {
    let cfg = SessionsConfig { max_files: 3, max_file_kb: 1, max_size_kb: 2, ..SessionsConfig::default() };
    let (_d, s) = store(cfg);
    let m = s.create("k", None, None, T0).unwrap();
    let kib = vec![b'x'; 1024];
    assert!(
        matches!(s.put_file(&m.id, "big", &[0; 1025], false), Err(SessionError::Limit(e)) if e.contains("per file"))
    );
    s.put_file(&m.id, "a", &kib, false).unwrap();
    s.put_file(&m.id, "b", &kib, false).unwrap();
    assert!(matches!(s.put_file(&m.id, "c", b"1", false), Err(SessionError::Limit(e)) if e.contains("KiB")));
    // Replacing a file counts its new size, not both.
    s.put_file(&m.id, "a", b"1", false).unwrap();
    s.put_file(&m.id, "c", b"1", false).unwrap();
    assert!(matches!(s.put_file(&m.id, "d", b"1", false), Err(SessionError::Limit(e)) if e.contains("files")));
    let four: Vec<WorkspaceFile> =
        (0..4).map(|i| WorkspaceFile { path: format!("f{i}"), mode: 0o644, data: vec![] }).collect();
    assert!(matches!(s.replace(&m.id, &four), Err(SessionError::Limit(_))));
    assert_eq!(s.list_files(&m.id).unwrap().len(), 3, "a refused replacement keeps the workspace");
}

#[test]
fn paths_are_checked() {
    let (_d, s) = store(SessionsConfig::default());
    let m = s.create("k", None, None, T0).unwrap();
    for p in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\0b"] {
        assert!(matches!(s.put_file(&m.id, p, b"x", false), Err(SessionError::BadPath(..))), "{p:?}");
    }
    s.put_file(&m.id, "dir/a.txt", b"x", false).unwrap();
    assert!(matches!(s.put_file(&m.id, "dir", b"x", false), Err(SessionError::BadPath(..))));
    assert!(matches!(s.put_file(&m.id, "dir/a.txt/b", b"x", false), Err(SessionError::BadPath(..))));
    assert!(matches!(s.get("k", "not-a-uuid", T0), Err(SessionError::NotFound)));
}

#[test]
fn files_round_trip_and_replace_is_whole() {
    let (_d, s) = store(SessionsConfig::default());
    let m = s.create("k", None, None, T0).unwrap();
    s.put_file(&m.id, "data/in.csv", b"1,2\n", false).unwrap();
    s.put_file(&m.id, "run.sh", b"echo\n", true).unwrap();
    let listed = s.list_files(&m.id).unwrap();
    assert_eq!(
        listed.iter().map(|f| (f.path.as_str(), f.size, f.executable)).collect::<Vec<_>>(),
        [("data/in.csv", 4, false), ("run.sh", 5, true)]
    );
    assert_eq!(s.read_file(&m.id, "data/in.csv").unwrap(), b"1,2\n");
    let after = vec![WorkspaceFile { path: "out/plot.png".into(), mode: 0o644, data: b"PNG".to_vec() }];
    s.replace(&m.id, &after).unwrap();
    assert_eq!(s.snapshot(&m.id).unwrap(), after);
    assert!(matches!(s.read_file(&m.id, "run.sh"), Err(SessionError::NoFile(_))));
    s.delete_file(&m.id, "out/plot.png").unwrap();
    assert!(s.list_files(&m.id).unwrap().is_empty());
}

#[test]
fn sessions_survive_reopening_the_store() {
    let d = tempfile::tempdir().unwrap();
    let id = {
        let s = Sessions::open(d.path().join("s"), SessionsConfig::default()).unwrap();
        let m = s.create("k", None, None, T0).unwrap();
        s.put_file(&m.id, "keep.txt", b"still here", false).unwrap();
        m.id
    };
    let s = Sessions::open(d.path().join("s"), SessionsConfig::default()).unwrap();
    assert_eq!(s.read_file(&s.get("k", &id, T0).unwrap().id, "keep.txt").unwrap(), b"still here");
}

#[test]
fn a_replacement_cut_by_a_crash_between_its_renames_falls_back_to_the_old_workspace() {
    let (d, s) = store(SessionsConfig::default());
    let m = s.create("k", None, None, T0).unwrap();
    s.put_file(&m.id, "a.txt", b"old", false).unwrap();
    let dir = d.path().join("sessions").join(&m.id);
    std::fs::rename(dir.join("files"), dir.join("files.old")).unwrap();
    let m = s.get("k", &m.id, T0).unwrap();
    assert_eq!(s.read_file(&m.id, "a.txt").unwrap(), b"old");
    s.replace(&m.id, &[WorkspaceFile { path: "b".into(), mode: 0o644, data: vec![] }]).unwrap();
    assert!(!dir.join("files.old").exists() && !dir.join("files.new").exists());
}

#[test]
fn a_runs_changes_are_created_modified_and_deleted() {
    let f = |p: &str, d: &[u8], mode: u32| WorkspaceFile { path: p.into(), mode, data: d.to_vec() };
    let before = Sessions::digests(&[
        f("same", b"1", 0o644),
        f("edit", b"1", 0o644),
        f("gone", b"", 0o644),
        f("chmod", b"x", 0o644),
    ]);
    let after =
        [f("same", b"1", 0o644), f("edit", b"2", 0o644), f("chmod", b"x", 0o755), f("new/out.csv", b"a", 0o644)];
    assert_eq!(
        crate::sessions::changes(&before, &after),
        [vec!["new/out.csv".to_string()], vec!["chmod".into(), "edit".into()], vec!["gone".into()]]
    );
}
