//! Phones' data at rest, end to end through the real HTTPS hub on loopback: an encrypted phone
//! replica pairs and syncs and shows nothing to `strings`; a phone the office revoked is wiped at
//! its next contact, key first, and the work it still held never reaches the hub.

use gocua_client::ClientError;
use gocua_domain::{HouseholdId, Lang, Role, Timestamp};
use gocua_store::Store;
use gocua_tests::{Phone, TestHub, small_ward, visit_ids};
use rand::SeedableRng;

fn contains(hay: &str, needle: &str) -> bool {
    !needle.is_empty() && hay.contains(needle)
}

/// Every file in a phone's folder except its key file, as `strings` reads them: whatever UTF-8
/// text the bytes hold (UTF-8 resynchronises, so no text is lost at a garbage byte).
fn replica_bytes(phone: &Phone) -> String {
    let bytes: Vec<u8> = std::fs::read_dir(phone.dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".key"))
        .flat_map(|e| std::fs::read(e.path()).expect("read"))
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The folder's file names.
fn names(phone: &Phone) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(phone.dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn an_encrypted_phone_syncs_and_a_revoked_one_is_wiped_without_pushing() {
    let g = small_ward(11, 30);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;

    // Encrypted from the first byte, paired and synced like any phone.
    let mut phone = Phone::encrypted("máy của Lan");
    phone
        .pair(&hub.pairing(Role::Volunteer, Some(&team)))
        .await
        .expect("pair");
    let first = phone.sync().await.expect("first sync");
    assert!(first.new_docs > 1, "{first:?}");
    let held = phone.household_ids();
    assert!(!held.is_empty());

    // What it received is readable through the store and invisible in the raw files.
    let h = phone
        .store
        .household_state(&HouseholdId::parse(&held[0]).unwrap())
        .unwrap()
        .household;
    let resident = &h.residents[0];
    let token = phone.store.meta_get("device.token").unwrap().unwrap();
    let raw = replica_bytes(&phone);
    for secret in [resident.full_name.as_str(), resident.id.as_str(), &token] {
        assert!(
            !contains(&raw, secret),
            "{secret:?} readable in the replica"
        );
    }
    for r in g.households.iter().flat_map(|h| &h.residents) {
        for s in [&r.cccd_number, &r.phone] {
            assert!(!contains(&raw, s), "{s:?} readable in the replica");
        }
    }

    // A visit syncs.
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.team.as_ref().map(|t| t.to_string()) == Some(team.clone()))
        .expect("a volunteer of the team")
        .clone();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let at = Timestamp(1_795_348_800);
    let synced = phone.record(gocua_wardgen::random_visit(&mut rng, &h, &volunteer, at));
    phone.sync().await.expect("sync a visit");
    assert!(
        hub.with_store(|s| visit_ids(s))
            .contains(synced.id.as_str())
    );

    // The office revokes the phone; before its next contact it records one more visit.
    let device = phone.store.meta_get("device.id").unwrap().unwrap();
    assert!(hub.with_store(|s| s.hub_revoke_device(&device, 1)).unwrap());
    let pending = phone.record(gocua_wardgen::random_visit(
        &mut rng,
        &h,
        &volunteer,
        Timestamp(at.0 + 60),
    ));
    let hub_visits = hub.with_store(|s| visit_ids(s));
    let hub_dump = hub.with_store(|s| s.projection_dump(None).unwrap());

    let err = phone.sync().await.expect_err("a revoked phone is refused");
    assert!(matches!(err, ClientError::Revoked { .. }), "{err:?}");
    assert_eq!(err.code(), "device_revoked");

    // The layer that owns the files wipes them: key first, then the replica.
    let Phone {
        store, key_file, ..
    } = phone;
    let dir_path = store.path().parent().unwrap().to_path_buf();
    let kf = key_file.expect("encrypted phone");
    let wiped = gocua_client::wipe_revoked(store, Some(&kf));
    assert_eq!(wiped.code(), "device_wiped", "{wiped:?}");
    assert!(
        wiped
            .message(Lang::Vi)
            .contains("dữ liệu của phường đã được xóa khỏi điện thoại"),
        "{}",
        wiped.message(Lang::Vi)
    );
    assert!(wiped.message(Lang::En).contains("removed from this phone"));
    let ClientError::Wiped { removed } = &wiped else {
        unreachable!()
    };
    assert!(
        removed.iter().any(|p| p.ends_with("phone.sqlite")),
        "{removed:?}"
    );
    assert!(
        removed.iter().any(|p| p.ends_with("phone.sqlite.key")),
        "{removed:?}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir_path).unwrap().flatten().collect();
    assert!(left.is_empty(), "files left: {left:?}");
    assert!(!kf.exists());

    // Nothing of the last contact reached the hub.
    assert_eq!(hub.with_store(|s| visit_ids(s)), hub_visits);
    assert!(!hub_visits.contains(pending.id.as_str()));
    assert_eq!(
        hub.with_store(|s| s.projection_dump(None).unwrap()),
        hub_dump
    );
}

#[tokio::test]
async fn a_plain_phone_still_syncs_and_a_revoked_one_is_wiped_too() {
    let g = small_ward(12, 20);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut phone = Phone::new("máy cũ");
    phone
        .pair(&hub.pairing(Role::Volunteer, Some(&team)))
        .await
        .expect("pair");
    phone.sync().await.expect("sync");
    assert!(!phone.store.is_encrypted());
    // The same look at the raw files that finds nothing in an encrypted phone finds everything
    // here: the check above can fail.
    let token = phone.store.meta_get("device.token").unwrap().unwrap();
    let held = phone.household_ids();
    let h = phone
        .store
        .household_state(&HouseholdId::parse(&held[0]).unwrap())
        .unwrap()
        .household;
    let raw = replica_bytes(&phone);
    assert!(contains(&raw, &token));
    assert!(contains(&raw, &h.residents[0].full_name));
    assert_eq!(
        names(&phone),
        ["phone.sqlite", "phone.sqlite-shm", "phone.sqlite-wal"]
    );
    let device = phone.store.meta_get("device.id").unwrap().unwrap();
    assert!(hub.with_store(|s| s.hub_revoke_device(&device, 1)).unwrap());
    let err = phone.sync().await.expect_err("revoked");
    assert_eq!(err.code(), "device_revoked");
    let path = phone.store.path().to_path_buf();
    let wiped = gocua_client::wipe_revoked(phone.store, None);
    assert_eq!(wiped.code(), "device_wiped");
    assert!(!path.exists());
    assert!(
        std::fs::read_dir(phone.dir.path())
            .unwrap()
            .next()
            .is_none()
    );
    // A fresh replica at the same place is empty and unpaired.
    let fresh = Store::open(&path).unwrap();
    assert_eq!(fresh.meta_get("device.token").unwrap(), None);
}
