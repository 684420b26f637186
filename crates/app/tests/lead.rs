//! A team lead's commands through `dispatch_json`: hard cases routed to the mobile team, the
//! team schedule and the team board, with the refusals that leave everything unchanged.

use gocua_domain::{Lang, Role, Team, TeamId};
use gocua_store::PlanEntry;
use serde_json::{Value, json};

mod support;

use support::Fixture;

/// The small generated ward ("today" 2026-11-22 19:00), used by the lead of t-01; t-04 is its
/// mobile team.
fn lead_demo() -> Fixture {
    let mut f = Fixture::demo();
    let who = f.ok("whoami", Value::Null);
    assert_eq!(who["identity"]["role"], "lead");
    assert_eq!(who["identity"]["team"], "t-01");
    f
}

impl Fixture {
    fn household_of(&mut self, team: &str) -> String {
        let rows = self.ok("list_households", json!({"filter": {"team": team}}));
        rows[0]["id"].as_str().unwrap().to_string()
    }

    fn team_of(&mut self, household: &str) -> Value {
        self.ok("household_detail", json!({"id": household}))["row"]["team"].clone()
    }

    fn be(&mut self, role: &str, volunteer: Option<&str>) {
        let mut args = json!({"role": role});
        if let Some(v) = volunteer {
            args["volunteer"] = json!(v);
        }
        self.ok("set_identity", args);
    }

    fn dump(&self) -> String {
        self.app.store().projection_dump(None).unwrap()
    }
}

#[test]
fn a_lead_flags_a_household_of_their_team_and_it_waits_with_the_mobile_team() {
    let mut f = lead_demo();
    let hid = f.household_of("t-01");
    let flagged = f.ok(
        "flag_hard_case",
        json!({"household": hid, "reasons": ["elderly", "bedridden", "elderly"],
               "note": "Bà cụ  92 tuổi, cần mang máy"}),
    );
    assert_eq!(flagged["routed_to"], "t-04");
    assert_eq!(flagged["team"], "t-04");
    let reasons: Vec<&str> = flagged["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["elderly", "bedridden"]);
    assert_eq!(flagged["reasons"][0]["by"], "p-01");
    assert_eq!(flagged["reasons"][0]["note"], "Bà cụ 92 tuổi, cần mang máy");
    assert_eq!(f.team_of(&hid), "t-04", "reassigned through the plan");

    let list = f.ok("hard_cases", json!({}));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["household"]["id"], json!(hid));
    assert_eq!(list[0]["team_name"], "Tổ lưu động");
    assert_eq!(list[0]["mobile_team"], true);
    assert_eq!(list[0]["done"], false);
    assert_eq!(f.ok("hard_cases", json!({"team": "t-04"})), list);
    assert_eq!(f.ok("hard_cases", json!({"team": "t-01"})), json!([]));

    // The mobile team's lead adds a reason: the household stays with them, both reasons kept.
    f.be("lead", Some("p-10"));
    let again = f.ok(
        "flag_hard_case",
        json!({"household": hid, "reasons": ["needs_interpreter"]}),
    );
    assert_eq!(again["routed_to"], Value::Null);
    assert_eq!(again["reasons"].as_array().unwrap().len(), 3);

    // Clearing one reason, then the rest and handing it back to its street's team.
    let cleared = f.ok(
        "unflag_hard_case",
        json!({"household": hid, "reasons": ["bedridden"]}),
    );
    assert_eq!(cleared["cleared"], json!(["bedridden"]));
    assert_eq!(
        cleared["remaining"],
        json!(["elderly", "needs_interpreter"])
    );
    assert_eq!(f.team_of(&hid), "t-04");
    let cleared = f.ok(
        "unflag_hard_case",
        json!({"household": hid, "hand_back": true}),
    );
    assert_eq!(cleared["cleared"], json!(["elderly", "needs_interpreter"]));
    assert_eq!(cleared["remaining"], json!([]));
    assert_eq!(f.team_of(&hid), "t-01");
    assert_eq!(f.ok("hard_cases", Value::Null), json!([]));

    // The projection says what the documents say.
    let before = f.dump();
    f.ok("rebuild_projection", Value::Null);
    assert_eq!(f.dump(), before);
}

#[test]
fn flagging_is_refused_to_volunteers_and_other_teams_leads_and_changes_nothing() {
    let mut f = lead_demo();
    let mine = f.household_of("t-01");
    let theirs = f.household_of("t-02");
    let before = f.dump();

    let e = f.err(
        "flag_hard_case",
        json!({"household": theirs, "reasons": ["disabled"]}),
    );
    assert_eq!(e.code, "not_your_team");
    assert!(e.message.contains("t-02"), "{}", e.message);
    let e = f.err("flag_hard_case", json!({"household": mine, "reasons": []}));
    assert_eq!(e.code, "no_hard_case_reason");
    let e = f.err(
        "flag_hard_case",
        json!({"household": mine, "reasons": ["disabled"], "to_team": "t-02"}),
    );
    assert_eq!(e.code, "not_mobile_team");
    assert_eq!(e.message, "Tổ \"t-02\" không phải tổ lưu động");
    let e = f.err(
        "flag_hard_case",
        json!({"household": "h-nowhere", "reasons": ["disabled"]}),
    );
    assert_eq!(e.code, "not_found");
    let e = f.err(
        "flag_hard_case",
        json!({"household": mine, "reasons": ["too_far"]}),
    );
    assert_eq!(e.code, "bad_args");

    f.be("volunteer", Some("p-02"));
    for (cmd, args) in [
        (
            "flag_hard_case",
            json!({"household": mine, "reasons": ["disabled"]}),
        ),
        ("unflag_hard_case", json!({"household": mine})),
    ] {
        let e = f.err(cmd, args);
        assert_eq!(e.code, "forbidden");
        assert_eq!(
            e.message,
            "Chỉ tổ trưởng hoặc văn phòng phường được đánh dấu hộ khó và chuyển cho tổ lưu động"
        );
    }
    f.app.set_lang(Lang::En);
    let e = f.err(
        "flag_hard_case",
        json!({"household": mine, "reasons": ["disabled"]}),
    );
    assert_eq!(
        e.message,
        "Only team leads and the ward office can flag hard cases and route them to a mobile team"
    );
    assert_eq!(f.dump(), before, "nothing changed");

    // The office may flag any household.
    f.be("office", None);
    let flagged = f.ok(
        "flag_hard_case",
        json!({"household": theirs, "reasons": ["disabled"]}),
    );
    assert_eq!(flagged["routed_to"], "t-04");
}

#[test]
fn with_several_mobile_teams_the_lead_chooses_one() {
    let mut f = lead_demo();
    f.app
        .store_mut()
        .put_plan(&[PlanEntry::Team(Team {
            id: TeamId::parse("t-09").unwrap(),
            name: "Tổ lưu động 2".into(),
            lead: None,
            mobile: true,
        })])
        .unwrap();
    let hid = f.household_of("t-01");
    let e = f.err(
        "flag_hard_case",
        json!({"household": hid, "reasons": ["bedridden"]}),
    );
    assert_eq!(e.code, "choose_mobile_team");
    assert!(
        e.message.contains("t-09") && e.message.contains("t-04"),
        "{}",
        e.message
    );
    assert_eq!(f.team_of(&hid), "t-01");
    let flagged = f.ok(
        "flag_hard_case",
        json!({"household": hid, "reasons": ["bedridden"], "to_team": "t-09"}),
    );
    assert_eq!(flagged["routed_to"], "t-09");
    assert_eq!(f.team_of(&hid), "t-09");
}

#[test]
fn a_team_schedule_is_kept_sorted_updated_and_removed_by_its_lead() {
    let mut f = lead_demo();
    let late = f.ok(
        "set_team_schedule",
        json!({"team": "t-01", "date": "2026-11-25", "start": "18:00", "end": "21:30",
               "place": "Nhà văn hóa tổ 1"}),
    );
    let early = f.ok(
        "set_team_schedule",
        json!({"team": "t-01", "date": "2026-11-25", "start": "08:00", "end": "11:00",
               "place": "  Nhà bà Lan,  số 12 ", "note": "mang máy thu nhận"}),
    );
    assert_eq!(early["place"], "Nhà bà Lan, số 12");
    assert_eq!(early["by"], "p-01");
    let first = f.ok(
        "set_team_schedule",
        json!({"team": "t-01", "date": "2026-11-23", "start": "19:00", "end": "20:00",
               "place": "Ngõ 3"}),
    );
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let sched = f.ok("team_schedule", json!({"team": "t-01"}));
    assert_eq!(
        ids(&sched),
        [&first, &early, &late].map(|s| s["id"].as_str().unwrap().to_string())
    );
    assert_eq!(f.ok("team_schedule", json!({"team": "t-02"})), json!([]));

    // Updating by id moves it; removing takes it off.
    let moved = f.ok(
        "set_team_schedule",
        json!({"id": late["id"], "team": "t-01", "date": "2026-11-22", "start": "18:30",
               "end": "21:00", "place": "Nhà văn hóa tổ 1"}),
    );
    assert_eq!(moved["id"], late["id"]);
    let sched = f.ok("team_schedule", Value::Null);
    assert_eq!(sched.as_array().unwrap().len(), 3);
    assert_eq!(sched[0]["id"], late["id"]);
    assert_eq!(sched[0]["start"], "18:30");
    let removed = f.ok("remove_team_schedule", json!({"id": first["id"]}));
    assert_eq!(removed["team"], "t-01");
    assert_eq!(
        f.ok("team_schedule", Value::Null).as_array().unwrap().len(),
        2
    );
    let e = f.err("remove_team_schedule", json!({"id": first["id"]}));
    assert_eq!(e.code, "not_found");
    assert!(e.message.contains("buổi làm việc"), "{}", e.message);

    let before = f.dump();
    // Validation, in both languages.
    let bad = |date: &str, start: &str, end: &str, place: &str| json!({"team": "t-01", "date": date, "start": start, "end": end, "place": place});
    let e = f.err(
        "set_team_schedule",
        bad("2026-11-25", "11:00", "08:00", "x"),
    );
    assert_eq!(e.code, "session_times");
    assert_eq!(e.message, "Giờ kết thúc phải sau giờ bắt đầu (11:00–08:00)");
    let e = f.err(
        "set_team_schedule",
        bad("2027-03-01", "08:00", "09:00", "x"),
    );
    assert_eq!(e.code, "session_outside_campaign");
    assert!(e.message.contains("2027-01-25"), "{}", e.message);
    let e = f.err(
        "set_team_schedule",
        bad("2026-11-25", "08:00", "09:00", "   "),
    );
    assert_eq!(e.code, "session_without_place");
    assert_eq!(e.message, "Buổi làm việc phải có địa điểm");
    f.app.set_lang(Lang::En);
    let e = f.err("set_team_schedule", bad("2026-11-25", "08:00", "09:00", ""));
    assert_eq!(e.message, "a session needs a place");
    let e = f.err("set_team_schedule", bad("2026-11-25", "8h", "09:00", "x"));
    assert_eq!(e.code, "bad_args");
    f.app.set_lang(Lang::Vi);

    // Another team's schedule is not this lead's; volunteers plan none.
    let e = f.err(
        "set_team_schedule",
        json!({"team": "t-02", "date": "2026-11-25", "start": "08:00", "end": "09:00",
               "place": "x"}),
    );
    assert_eq!(e.code, "not_your_team");
    f.be("volunteer", Some("p-02"));
    let e = f.err(
        "set_team_schedule",
        json!({"team": "t-01", "date": "2026-11-25", "start": "08:00", "end": "09:00",
               "place": "x"}),
    );
    assert_eq!(e.code, "forbidden");
    assert_eq!(
        e.message,
        "Chỉ tổ trưởng hoặc văn phòng phường được lập lịch làm việc của tổ"
    );
    let e = f.err("remove_team_schedule", json!({"id": early["id"]}));
    assert_eq!(e.code, "forbidden");
    assert_eq!(f.dump(), before, "nothing changed");
    // Everyone reads it.
    assert_eq!(
        f.ok("team_schedule", Value::Null).as_array().unwrap().len(),
        2
    );
}

#[test]
fn the_team_board_counts_each_members_work_and_today() {
    let mut f = lead_demo();
    let board = f.ok("team_board", Value::Null);
    assert_eq!(board["team"], "t-01");
    assert_eq!(board["day"], "2026-11-22");
    let members: Vec<&str> = board["volunteers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["volunteer"].as_str().unwrap())
        .collect();
    let mut sorted = members.clone();
    sorted.sort();
    assert_eq!(sorted, ["p-01", "p-02", "p-03"]);
    assert_eq!(board["totals"]["quota"]["quota"], 60, "3 × 20");
    let row = |b: &Value, v: &str| -> Value {
        b["volunteers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["volunteer"] == v)
            .unwrap()
            .clone()
    };
    let p02 = row(&board, "p-02");

    // p-02 gets a household of their own and activates someone in it today.
    let hid = f.household_of("t-01");
    f.ok(
        "assign_household",
        json!({"household": hid, "team": "t-01", "volunteer": "p-02"}),
    );
    let detail = f.ok("household_detail", json!({"id": hid}));
    let open = detail["residents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["eligible"] == json!(true) && r["funnel"]["activation"] == json!("none"))
        .unwrap()["id"]
        .clone();
    f.be("volunteer", Some("p-02"));
    f.ok(
        "record_visit",
        json!({"household": hid, "outcome": "met",
               "residents": [{"resident": open, "reached": {"level2_collected": true, "activation": "level2"}}]}),
    );
    // A visit yesterday counts in the work, not in today's.
    f.ok(
        "record_visit",
        json!({"household": hid, "outcome": "nobody_home", "at": "2026-11-21 19:00"}),
    );
    let after = f.ok("team_board", json!({}));
    let now = row(&after, "p-02");
    assert_eq!(now["households_assigned"], 1);
    assert_eq!(now["assigned_visited"], 1);
    assert_eq!(now["visits_today"], 1);
    assert_eq!(
        after["totals"]["visits_today"],
        board["totals"]["visits_today"].as_u64().unwrap() + 1
    );
    for k in ["level2_collected", "activated"] {
        assert_eq!(
            now[k].as_u64().unwrap(),
            p02[k].as_u64().unwrap() + 1,
            "{k}"
        );
    }
    assert_eq!(
        now["quota"]["done"].as_u64().unwrap(),
        p02["quota"]["done"].as_u64().unwrap() + 1
    );
    assert_eq!(
        after["totals"]["progress"]["activated"].as_u64().unwrap(),
        board["totals"]["progress"]["activated"].as_u64().unwrap() + 1
    );
    assert_eq!(
        after["totals"]["unassigned_households"].as_u64().unwrap(),
        board["totals"]["unassigned_households"].as_u64().unwrap() - 1
    );
    // The team's figures agree with the progress table cut by team.
    let by_team = f.ok("progress", json!({"by": "team"}));
    let t01 = by_team
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "t-01")
        .unwrap();
    assert_eq!(after["totals"]["progress"], t01["progress"]);

    // Another team's board by name; none for a device without a team, or an unknown team.
    let mobile = f.ok("team_board", json!({"team": "t-04"}));
    assert_eq!(mobile["mobile"], true);
    assert_eq!(mobile["volunteers"].as_array().unwrap().len(), 3);
    f.be("office", None);
    assert_eq!(f.app.identity().role, Role::Office);
    let e = f.err("team_board", json!({}));
    assert_eq!(e.code, "no_team");
    let e = f.err("team_board", json!({"team": "t-99"}));
    assert_eq!(e.code, "not_found");
}

#[test]
fn list_teams_says_which_team_is_mobile() {
    let mut f = lead_demo();
    let teams = f.ok("list_teams", Value::Null);
    let mobile: Vec<&str> = teams
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["mobile"] == json!(true))
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(mobile, ["t-04"], "{teams}");
}
