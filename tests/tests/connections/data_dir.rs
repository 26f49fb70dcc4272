//! The data dir is private: a new one is made 0700, an empty loose one is
//! tightened, and a host refuses to start on one that group or others may
//! use, saying which chmod fixes it; after the fix it serves its data again.

use std::os::unix::fs::PermissionsExt;

use cardhost_tests::fake_asana::FakeAsana;

use crate::common::Host;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn a_loose_data_dir_is_refused_until_it_is_private() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let host = Host::start_in(&fake, &dir, &[]).await;
    assert_eq!(mode(&dir), 0o700, "made private");
    host.token_connection("Kept", false).await;
    host.stop().await;

    for loose in [0o755, 0o750, 0o711] {
        chmod(&dir, loose);
        let err = Host::try_start_in(&fake, &dir, &[])
            .await
            .err()
            .expect("a loose data dir is refused");
        let text = format!("{err:#}");
        assert!(
            text.contains(&format!("chmod 700 {}", dir.display())),
            "{text}"
        );
        assert_eq!(
            mode(&dir),
            loose,
            "the host leaves a dir with data as it found it"
        );
    }

    chmod(&dir, 0o700);
    let host = Host::start_in(&fake, &dir, &[]).await;
    let (status, list) = host.get("/connections").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["nickname"], "Kept");
}

#[tokio::test]
async fn an_empty_loose_data_dir_is_tightened() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mounted");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o755);
    let host = Host::start_in(&fake, &dir, &[("CARDHOST_API_KEY", "")]).await;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("api.key")), 0o600);
    let (status, _) = host.get("/connections").await;
    assert_eq!(status, 200);
}
