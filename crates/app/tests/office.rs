//! The office's commands: the campaign's settings (read, rewrite, checked), the hub-only
//! commands a replica refuses, and the XLSX report read back with calamine, figure by figure
//! against `progress` and `daily_progress`.

mod support;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use gocua_app::queries::Dimension;
use gocua_app::report;
use gocua_domain::Lang;
use serde_json::{Value, json};
use support::Fixture;

fn office() -> Fixture {
    let mut f = Fixture::demo();
    f.ok("set_identity", json!({"role": "office"}));
    f
}

#[test]
fn campaign_reads_and_update_checks_every_rule() {
    let mut f = Fixture::demo();
    let info = f.ok("campaign", Value::Null);
    assert!(!info["ward"].as_str().unwrap().is_empty());
    let mut c = info["campaign"].clone();
    // A lead may not change it.
    let e = f.err("update_campaign", json!({"campaign": c}));
    assert_eq!(e.code, "forbidden");
    f.ok("set_identity", json!({"role": "office"}));

    c["targets"]["activated"] = json!(12345);
    c["eligible_age"] = json!(15);
    let back = f.ok("update_campaign", json!({"campaign": c}));
    assert_eq!(back["campaign"]["targets"]["activated"], 12345);
    assert_eq!(f.ok("campaign", Value::Null)["campaign"], back["campaign"]);

    let bad = |field: &str, v: Value| {
        let mut x = c.clone();
        let path: Vec<&str> = field.split('.').collect();
        match path.as_slice() {
            [a] => x[*a] = v,
            [a, b] => x[*a][*b] = v,
            _ => unreachable!(),
        }
        x
    };
    for (field, v) in [
        ("end", json!("2020-01-01")),
        ("targets.cccd", json!(0)),
        ("eligible_age", json!(13)),
        ("eligible_age", json!(19)),
        ("urban_window.end", json!("17:00")),
        ("rural_window.start", json!("20:00")),
        ("quota_per_volunteer", json!(0)),
        ("name", json!("  ")),
    ] {
        let e = f.err(
            "update_campaign",
            json!({"campaign": bad(field, v.clone())}),
        );
        assert_eq!(e.code, "invalid_campaign", "{field}={v}: {e:?}");
        f.app.set_lang(Lang::En);
        let en = f.err(
            "update_campaign",
            json!({"campaign": bad(field, v.clone())}),
        );
        f.app.set_lang(Lang::Vi);
        assert_ne!(e.message, en.message, "{field}: both languages");
    }
    // Nothing of the refused ones was written.
    assert_eq!(f.ok("campaign", Value::Null)["campaign"], back["campaign"]);
}

#[test]
fn hub_only_commands_are_refused_by_a_replica() {
    let mut f = office();
    for (cmd, args) in [
        ("list_devices", Value::Null),
        ("revoke_device", json!({"device": "d-1"})),
        ("issue_pairing", json!({"role": "lead"})),
    ] {
        let e = f.err(cmd, args);
        assert_eq!(e.code, "hub_only", "{cmd}");
        assert!(e.message.contains("máy chủ phường"), "{}", e.message);
    }
}

fn cell(r: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    r.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

fn num(r: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match cell(r, row, col) {
        Data::Float(x) => x,
        Data::Int(x) => x as f64,
        other => panic!("({row},{col}) is not a number: {other:?}"),
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    gocua_domain::progress::ratio_percent(part as u32, whole as u32) / 100.0
}

#[test]
fn xlsx_report_has_the_commands_figures() {
    let mut f = office();
    for lang in [Lang::Vi, Lang::En] {
        let bytes = f.app.report_xlsx(lang).unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let ward = f.ok("campaign", Value::Null)["ward"]
            .as_str()
            .unwrap()
            .to_string();
        let h = report::HEADER_ROW;
        for by in Dimension::ALL {
            let rows = f.ok("progress", json!({"by": by.as_str()}));
            let rows = rows.as_array().unwrap();
            let r = wb.worksheet_range(report::sheet_name(by, lang)).unwrap();
            let Data::String(title) = cell(&r, 0, 0) else {
                panic!("no title")
            };
            assert!(title.contains(&ward), "{title}");
            for (c, name) in report::breakdown_headers(by, lang).iter().enumerate() {
                assert_eq!(cell(&r, h, c as u32), Data::String(name.to_string()));
            }
            // Exactly the command's rows, in its order.
            assert_eq!(r.end().unwrap().0, h + rows.len() as u32, "{by:?}");
            for (i, row) in rows.iter().enumerate() {
                let x = h + 1 + i as u32;
                assert_eq!(
                    cell(&r, x, 1),
                    Data::String(row["key"].as_str().unwrap().into())
                );
                let p = &row["progress"];
                for (c, k) in [
                    "households",
                    "visited_households",
                    "eligible",
                    "cccd",
                    "level2",
                    "activated",
                    "guided",
                ]
                .iter()
                .enumerate()
                {
                    assert_eq!(
                        num(&r, x, 2 + c as u32),
                        p[k].as_f64().unwrap(),
                        "{by:?} {k}"
                    );
                }
                let (a, e) = (
                    p["activated"].as_u64().unwrap(),
                    p["eligible"].as_u64().unwrap(),
                );
                assert_eq!(num(&r, x, 9), pct(a, e));
                if by == Dimension::Ward {
                    let t = &row["target"];
                    assert_eq!(num(&r, x, 14), t["activated"].as_f64().unwrap());
                    assert_eq!(num(&r, x, 15), pct(a, t["activated"].as_u64().unwrap()));
                }
                if let Some(q) = row["quota"].as_object() {
                    assert_eq!(num(&r, x, 10), q["done"].as_f64().unwrap());
                    assert_eq!(num(&r, x, 11), q["quota"].as_f64().unwrap());
                }
            }
        }
        let days = f.ok("daily_progress", Value::Null);
        let days = days.as_array().unwrap();
        let r = wb.worksheet_range(report::daily_sheet_name(lang)).unwrap();
        assert_eq!(r.end().unwrap().0, h + days.len() as u32);
        for (i, d) in days.iter().enumerate() {
            let x = h + 1 + i as u32;
            for (c, k) in [
                "visits",
                "households_visited",
                "new_level2",
                "new_activations",
                "cumulative_activated",
            ]
            .iter()
            .enumerate()
            {
                assert_eq!(num(&r, x, 1 + c as u32), d[k].as_f64().unwrap(), "{k}");
            }
            let Data::DateTime(dt) = cell(&r, x, 0) else {
                panic!("no date")
            };
            let (y, m, dd, ..) = dt.to_ymd_hms_milli();
            assert_eq!(format!("{y:04}-{m:02}-{dd:02}"), d["day"].as_str().unwrap());
        }
    }
    assert_eq!(
        report::file_name("Phường Nghĩa Đô", time::macros::date!(2026 - 11 - 22)),
        "bao-cao-phuong-nghia-do-2026-11-22.xlsx"
    );
}
