//! The command table through `dispatch_json`, as the HTTP API and the Tauri app call it: every
//! command, the permission rules, imports that import nothing on errors, and visiting windows.

use gocua_app::COMMANDS;
use gocua_domain::{Lang, Timestamp};
use serde_json::{Value, json};

mod support;

use support::Fixture;

impl Fixture {
    fn ward_activated(&mut self) -> u64 {
        self.ok("progress", json!({"by": "ward"}))[0]["progress"]["activated"]
            .as_u64()
            .unwrap()
    }

    /// The first household of the easy-first list with an open resident, and that resident.
    fn open_household(&mut self) -> (String, String) {
        let rows = self.ok("list_households", json!({"filter": {"limit": 1}}));
        let hid = rows[0]["id"].as_str().unwrap().to_string();
        let detail = self.ok("household_detail", json!({"id": hid}));
        let resident = detail["residents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["eligible"] == json!(true) && r["funnel"]["activation"] == json!("none"))
            .unwrap();
        (hid, resident["id"].as_str().unwrap().to_string())
    }

    fn become_volunteer(&mut self) -> String {
        let vols = self.app.store().volunteers().unwrap();
        let v = vols
            .iter()
            .find(|v| v.role == gocua_domain::Role::Volunteer)
            .unwrap();
        self.ok(
            "set_identity",
            json!({"role": "volunteer", "volunteer": v.id}),
        );
        v.id.to_string()
    }
}

#[test]
fn the_table_knows_every_command_and_refuses_strangers() {
    let mut f = Fixture::new();
    for name in COMMANDS {
        // Malformed arguments are a usage error of that command, never an unknown command.
        let e = f.app.dispatch_json(name, json!({"no_such_argument": 1}));
        if let Err(e) = e {
            assert_ne!(e.code, "unknown_command", "{name}");
        }
    }
    let e = f.err("launch_rockets", json!({}));
    assert_eq!(e.code, "unknown_command");
    assert_eq!(e.message, "Không có lệnh \"launch_rockets\"");
    let e = f.err("search", json!({"limit": 3}));
    assert_eq!(e.code, "bad_args");
    let who = f.ok("whoami", Value::Null);
    assert_eq!(
        who["identity"]["role"], "office",
        "a fresh replica belongs to the office"
    );
    assert_eq!(f.ok("whoami", json!({})), who);
}

#[test]
fn create_ward_once_then_list_it() {
    let mut f = Fixture::new();
    let args = json!({
        "ward_name": "Phường  Trúc Bạch", "district": "Quận Ba Đình, Hà Nội",
        "campaign": "90 ngày, đêm", "start": "2026-11-01", "end": "2026-12-30",
        "targets": {"cccd": 9000, "level2": 8000, "activated": 7000},
        "quota_per_volunteer": 10
    });
    let created = f.ok("create_ward", args.clone());
    assert_eq!(created["ward"]["name"], "Phường Trúc Bạch");
    assert_eq!(created["campaign"]["quota_per_volunteer"], 10);
    let e = f.err("create_ward", args);
    assert_eq!(e.code, "plan_exists");
    assert_eq!(e.message, "Phường đã được tạo");
    let who = f.ok("whoami", Value::Null);
    assert_eq!(who["ward"], "Phường Trúc Bạch");
    assert_eq!(who["campaign"], "90 ngày, đêm");
    let progress = f.ok("progress", json!({}));
    assert_eq!(progress[0]["target"]["activated"], 7000);
    assert_eq!(
        f.ok("daily_progress", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        60
    );
}

#[test]
fn a_campaign_must_end_after_it_starts() {
    let mut f = Fixture::new();
    let e = f.err(
        "create_ward",
        json!({"ward_name": "X", "campaign": "Y", "start": "2026-12-01", "end": "2026-11-01"}),
    );
    assert_eq!(e.code, "campaign_dates");
    assert_eq!(e.message, "Ngày kết thúc chiến dịch trước ngày bắt đầu");
    let e = f.err(
        "create_ward",
        json!({"ward_name": "X", "campaign": "Y", "start": "2026-02-30", "end": "2026-11-01"}),
    );
    assert_eq!(e.code, "bad_args");
    assert!(f.app.store().ward().unwrap().is_none());
}

#[test]
fn reading_commands_over_the_demo_ward() {
    let mut f = Fixture::demo();
    let e = f.err("generate_demo", json!({"seed": 2, "households": 10}));
    assert_eq!(e.code, "plan_exists");
    let who = f.ok("whoami", Value::Null);
    assert_eq!(who["identity"]["role"], "lead");
    let team = who["identity"]["team"].as_str().unwrap().to_string();
    assert!(
        who["volunteer_name"].is_string() && who["team_name"].is_string(),
        "{who}"
    );

    let streets = f.ok("list_streets", json!({}));
    assert!(streets.as_array().unwrap().len() >= 2);
    let mine = f.ok("list_streets", json!({"team": team}));
    assert!(!mine.as_array().unwrap().is_empty());
    assert!(mine.as_array().unwrap().len() < streets.as_array().unwrap().len());

    let rows = f.ok(
        "list_households",
        json!({"filter": {"team": team, "limit": 5}}),
    );
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 5);
    assert!(rows.iter().all(|r| r["team"] == json!(team)));

    let hid = rows[0]["id"].as_str().unwrap();
    let detail = f.ok("household_detail", json!({"id": hid}));
    assert_eq!(detail["row"]["id"], json!(hid));
    let name = detail["residents"][0]["full_name"]
        .as_str()
        .unwrap()
        .to_string();
    let e = f.err("household_detail", json!({"id": "h-nope"}));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("not_found", "Không tìm thấy hộ \"h-nope\"")
    );

    let folded = gocua_domain::text::fold(&name);
    let hits = f.ok(
        "search",
        json!({"query": folded.to_uppercase(), "limit": 50}),
    );
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["full_name"] == json!(name)),
        "{name}: {hits}"
    );

    for by in ["ward", "group", "street", "team", "volunteer", "org"] {
        let rows = f.ok("progress", json!({"by": by}));
        assert!(!rows.as_array().unwrap().is_empty(), "{by}");
        let board = f.ok("leaderboard", json!({"by": by}));
        assert!(!board.as_array().unwrap().is_empty(), "{by}");
    }
    let days = f.ok("daily_progress", Value::Null);
    assert_eq!(days.as_array().unwrap().len(), 90);
    let before = f.ward_activated();
    let rebuilt = f.ok("rebuild_projection", Value::Null);
    assert!(rebuilt["documents"].as_u64().unwrap() > 60);
    assert_eq!(f.ward_activated(), before, "a rebuild changes nothing");
}

#[test]
fn recording_visits_fills_in_the_rest_and_only_moves_up() {
    let mut f = Fixture::demo();
    let (hid, rid) = f.open_household();
    let before = f.ward_activated();
    let visit = f.ok(
        "record_visit",
        json!({
            "household": hid, "outcome": "met",
            "residents": [{"resident": rid, "reached": {"cccd": "has", "level2_collected": true, "activation": "level2"}}],
            "note": "Đã  kích hoạt tại nhà"
        }),
    );
    let who = f.ok("whoami", Value::Null);
    assert!(visit["id"].as_str().unwrap().starts_with("v-"));
    assert_eq!(visit["volunteer"], who["identity"]["volunteer"]);
    assert_eq!(visit["team"], who["identity"]["team"]);
    assert_eq!(
        visit["at"],
        Timestamp::parse_local("2026-11-22 19:00").unwrap().0
    );
    assert_eq!(visit["note"], "Đã kích hoạt tại nhà");
    assert_eq!(f.ward_activated(), before + 1);

    // Nobody home later: the household gets the blocker, the resident stays activated.
    let later = f.ok(
        "record_visit",
        json!({"household": hid, "outcome": "nobody_home", "at": "2026-11-22 20:00",
               "revisit": {"at": "2026-11-23 18:30", "note": "sau giờ làm"}}),
    );
    assert_eq!(later["household_blockers"], json!(["nobody_home"]));
    assert_eq!(f.ward_activated(), before + 1);
    let detail = f.ok("household_detail", json!({"id": hid}));
    assert_eq!(detail["visits"][0]["id"], later["id"], "newest first");
    assert_eq!(
        detail["row"]["revisit_at"],
        Timestamp::parse_local("2026-11-23 18:30").unwrap().0
    );

    // Retrying with the same id records the visit once.
    let args = json!({"household": hid, "outcome": "met", "id": "v-retry-1"});
    f.ok("record_visit", args.clone());
    f.ok("record_visit", args);
    let n = f.ok("household_detail", json!({"id": hid}))["visits"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(n, detail["visits"].as_array().unwrap().len() + 1);

    let e = f.err(
        "record_visit",
        json!({"household": hid, "outcome": "met", "residents": [{"resident": "r-nobody"}]}),
    );
    assert_eq!(e.code, "not_found");
    let e = f.err(
        "record_visit",
        json!({"household": hid, "outcome": "partied"}),
    );
    assert_eq!(e.code, "bad_args");
}

#[test]
fn only_leads_and_the_office_reassign_correct_or_write_for_others() {
    let mut f = Fixture::demo();
    let (hid, rid) = f.open_household();
    let street = f.ok("list_streets", json!({}))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let team = f.app.store().teams().unwrap()[1].id.to_string();
    let lead = f.ok("whoami", Value::Null)["identity"]["volunteer"]
        .as_str()
        .unwrap()
        .to_string();
    f.become_volunteer();

    let e = f.err("assign_street", json!({"street": street, "team": team}));
    assert_eq!(e.code, "forbidden");
    assert_eq!(
        e.message,
        "Chỉ tổ trưởng hoặc văn phòng phường được phân công lại"
    );
    let e = f.err("assign_household", json!({"household": hid, "team": team}));
    assert_eq!(
        e.message,
        "Chỉ tổ trưởng hoặc văn phòng phường được phân công lại"
    );
    let e = f.err(
        "correct",
        json!({"household": hid, "resident": rid, "set": {}, "reason": "nhầm"}),
    );
    assert_eq!(e.code, "forbidden");
    let e = f.err(
        "record_visit",
        json!({"household": hid, "outcome": "met", "volunteer": lead}),
    );
    assert_eq!(e.code, "forbidden");
    let e = f.err(
        "create_ward",
        json!({"ward_name": "X", "campaign": "Y", "start": "2026-11-01", "end": "2026-11-02"}),
    );
    assert_eq!(e.code, "forbidden");
    f.app.set_lang(Lang::En);
    let e = f.err("assign_street", json!({"street": street, "team": team}));
    assert_eq!(
        e.message,
        "Only team leads and the ward office can reassign work"
    );
    f.app.set_lang(Lang::Vi);
    // Their own visits are fine.
    f.ok("record_visit", json!({"household": hid, "outcome": "met"}));

    f.ok("set_identity", json!({"role": "lead", "volunteer": lead}));
    let a = f.ok("assign_street", json!({"street": street, "team": team}));
    assert_eq!(a["team"], json!(team));
    let rows = f.ok("list_streets", json!({"team": team}));
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == json!(street))
    );
    f.ok("assign_household", json!({"household": hid, "team": team}));
    assert_eq!(
        f.ok("household_detail", json!({"id": hid}))["row"]["team"],
        json!(team)
    );
    let back = f.ok("assign_household", json!({"household": hid, "team": null}));
    assert_eq!(back["team"], Value::Null);
    let e = f.err("assign_street", json!({"street": street, "team": "t-nope"}));
    assert_eq!(e.message, "Không tìm thấy tổ công tác \"t-nope\"");
}

#[test]
fn a_lead_correction_needs_a_reason_and_moves_down() {
    let mut f = Fixture::demo();
    let (hid, rid) = f.open_household();
    let activated = json!({"cccd": "has", "level2_collected": true, "activation": "level1"});
    f.ok("record_visit", json!({"household": hid, "outcome": "met", "residents": [{"resident": rid, "reached": activated}]}));
    let before = f.ward_activated();
    let e = f.err(
        "correct",
        json!({"household": hid, "resident": rid, "set": {}, "reason": "  "}),
    );
    assert_eq!(e.code, "correction_without_reason");
    assert_eq!(e.message, "Điều chỉnh của tổ trưởng phải có lý do");
    let c = f.ok("correct", json!({"household": hid, "resident": rid, "set": {"cccd": "has"}, "reason": "Nhập nhầm người"}));
    assert_eq!(c["reason"], "Nhập nhầm người");
    assert_eq!(f.ward_activated(), before - 1);
}

#[test]
fn revisits_outside_the_window_are_refused() {
    let mut f = Fixture::demo();
    let (hid, _) = f.open_household();
    let e = f.err(
        "book_revisit",
        json!({"household": hid, "at": "2026-11-23 10:00"}),
    );
    assert_eq!(e.code, "outside_window");
    assert!(
        e.message
            .starts_with("Giờ hẹn 2026-11-23 10:00 nằm ngoài khung giờ đi"),
        "{}",
        e.message
    );
    f.app.set_lang(Lang::En);
    let e = f.err(
        "book_revisit",
        json!({"household": hid, "at": "2026-11-23 10:00"}),
    );
    assert!(e.message.contains("outside"), "{}", e.message);
    let e = f.err(
        "record_visit",
        json!({"household": hid, "outcome": "nobody_home", "revisit": {"at": "2026-11-23 23:00"}}),
    );
    assert_eq!(e.code, "outside_window");
    let before = f.ok("household_detail", json!({"id": hid}));
    // The household says which window its revisits must fall in, so the app offers only those.
    let window = match before["area"].as_str() {
        Some("urban") => json!({"start": "18:00", "end": "21:30"}),
        Some("rural") => json!({"start": "16:00", "end": "19:30"}),
        other => panic!("area {other:?}"),
    };
    assert_eq!(before["window"], window, "{before}");
    let booked = f.ok(
        "book_revisit",
        json!({"household": hid, "at": "2026-11-23 19:00", "note": "hẹn qua điện thoại"}),
    );
    assert_eq!(booked["outcome"], "booking");
    // A booking is history, not a visit: the household's visit count does not move, but the
    // booked return shows.
    let after = f.ok("household_detail", json!({"id": hid}));
    assert_eq!(
        after["row"]["n_visits"], before["row"]["n_visits"],
        "{after}"
    );
    assert_eq!(
        after["row"]["revisit_at"],
        Timestamp::parse_local("2026-11-23 19:00").unwrap().0
    );
    assert_eq!(
        booked["revisit"]["at"],
        Timestamp::parse_local("2026-11-23 19:00").unwrap().0
    );
    assert_eq!(
        booked["actions"],
        Value::Null,
        "a booking records no funnel facts"
    );
}

const HEADER: &str = "Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Năm sinh,Giới tính\n";

fn write_list(dir: &std::path::Path, name: &str, rows: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
    path
}

#[test]
fn import_with_errors_imports_nothing_unless_told() {
    let mut f = Fixture::new();
    f.ok("create_ward", json!({"ward_name": "Xã Tân Phú", "campaign": "15 ngày đêm", "start": "2026-11-15", "end": "2026-11-29"}));
    let dir = tempfile::tempdir().unwrap();
    let path = write_list(
        dir.path(),
        "danh-sach.csv",
        "Tổ 1,Ngõ 5 Tân Phú,3,Nguyễn Văn Bằng,Nguyễn Văn Bằng,1970,Nam\n\
         Tổ 1,Ngõ 5 Tân Phú,3,Nguyễn Văn Bằng,Trần Thị Đào,1975,Nữ\n\
         Tổ 1,Ngõ 5 Tân Phú,7,Lê Văn Đức,Lê Văn Đức,năm ngoái,Nam\n\
         Tổ 2,Đường Âu Cơ,12,Đặng Thị Hoa,Đặng Thị Hoa,1980,Nữ\n",
    );
    let report = f.ok("import", json!({"path": path}));
    assert_eq!(report["imported"], false);
    assert_eq!(report["errors"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["errors"][0]["row"], 4);
    assert_eq!(
        f.ok("list_households", json!({})),
        json!([]),
        "nothing imported"
    );
    assert_eq!(f.ok("list_streets", json!({})), json!([]));

    let report = f.ok("import", json!({"path": path, "accept_valid_rows": true}));
    assert_eq!(report["imported"], true);
    assert_eq!(report["new_groups"], 2);
    assert_eq!(report["new_streets"], 2);
    let created = report["summary"]["created"].as_u64().unwrap();
    assert!(created >= 2, "{report}");
    let n = f.ok("list_households", json!({})).as_array().unwrap().len() as u64;
    assert_eq!(n, created);
    assert_eq!(
        f.ok("search", json!({"query": "dao"}))[0]["full_name"],
        "Trần Thị Đào"
    );

    // The same list again changes nothing.
    let again = f.ok("import", json!({"path": path, "accept_valid_rows": true}));
    assert_eq!(
        again["summary"],
        json!({"created": 0, "updated": 0, "unchanged": created})
    );
    assert_eq!(
        (again["new_groups"].as_u64(), again["new_streets"].as_u64()),
        (Some(0), Some(0))
    );

    let e = f.err("import", json!({"path": dir.path().join("missing.csv")}));
    assert_eq!(e.code, "import_io");

    // Imports write the plan: volunteers are refused.
    f.ok("set_identity", json!({"role": "volunteer"}));
    let e = f.err("import", json!({"path": path}));
    assert_eq!(e.code, "forbidden");
}

#[test]
fn list_teams_gives_every_team_with_its_lead_and_members_and_no_phone_numbers() {
    let mut f = Fixture::demo();
    let teams = f.ok("list_teams", Value::Null);
    let teams = teams.as_array().unwrap();
    let plan_teams = f.app.store().teams().unwrap();
    assert_eq!(teams.len(), plan_teams.len());
    let volunteers = f.app.store().volunteers().unwrap();
    for t in teams {
        let id = t["id"].as_str().unwrap();
        let members: Vec<&str> = t["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = volunteers
            .iter()
            .filter(|v| v.team.as_ref().map(|t| t.as_str()) == Some(id))
            .map(|v| v.id.as_str())
            .collect();
        assert_eq!(members, expected, "members of {id}");
        assert!(!members.is_empty(), "{t}");
        if let Some(lead) = t["lead"].as_str() {
            assert!(
                members.contains(&lead),
                "the lead {lead} is a member of {id}"
            );
        }
    }
    assert!(
        !teams.iter().any(|t| t.to_string().contains("\"phone\"")),
        "the roster carries no phone numbers"
    );
}

#[test]
fn demo_households_n_makes_n_homes_and_counts_sites_apart() {
    let mut f = Fixture::new();
    let r = f.ok("generate_demo", json!({"seed": 4, "households": 40}));
    assert_eq!(r["homes"], 40, "{r}");
    let sites = r["sites"].as_u64().unwrap();
    assert_eq!(r["households"].as_u64().unwrap(), 40 + sites);
    let rows = f.ok("list_households", json!({"filter": {"limit": 100000}}));
    let rows = rows.as_array().unwrap();
    let homes = rows.iter().filter(|h| h["kind"] == "home").count();
    assert_eq!(homes, 40);
    assert_eq!(rows.len() as u64, 40 + sites);
}
