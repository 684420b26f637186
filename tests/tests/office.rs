//! The office dashboard's side of a real HTTPS hub on loopback: sign-in links, sessions and
//! their expiry, the command table as the office, pairing a phone from a code the dashboard
//! issued, revoking it, the import upload (preview, then accept), the XLSX report, the embedded
//! pages — and every refusal, each with its code and nothing changed.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use gocua_domain::{Role, Timestamp};
use gocua_store::queries::Dimension;
use gocua_tests::{Phone, TestHub, small_ward};
use serde_json::{Value, json};

/// The documents' heads, the projection and the number of devices.
type HubState = (
    Vec<(String, Vec<gocua_store::ChangeHash>, i64)>,
    String,
    usize,
);

/// Everything the hub holds that a refusal must leave alone.
fn hub_state(hub: &TestHub) -> HubState {
    hub.with_store(|s| {
        (
            s.manifest().expect("manifest"),
            s.projection_dump(None).expect("dump"),
            s.hub_devices().expect("devices").len(),
        )
    })
}

struct Office {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not json: {}", String::from_utf8_lossy(&self.body)))
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_string()
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Office {
    fn new(hub: &TestHub) -> Office {
        Office {
            client: gocua_client::tls::pinned_client(
                hub.fingerprint(),
                std::time::Duration::from_secs(60),
            )
            .expect("client"),
            base: format!("https://127.0.0.1:{}", hub.running().addr.port()),
            cookie: None,
        }
    }

    /// A request as the dashboard's page sends it, with `extra` headers on top.
    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("sec-fetch-site", "same-origin")
            .header("origin", &self.base)
            .body(body);
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", format!("gocua_office={c}"));
        }
        let mut req = rb.build().unwrap();
        for (k, v) in extra {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap();
            if v.is_empty() {
                req.headers_mut().remove(&name);
            } else {
                req.headers_mut().insert(name, v.parse().unwrap());
            }
        }
        let r = self.client.execute(req).await.expect("answer");
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().await.expect("body").to_vec(),
        }
    }

    async fn cmd(&self, name: &str, args: Value) -> Answer {
        self.send(
            "POST",
            &format!("/api/v1/command/{name}"),
            Some("application/json"),
            serde_json::to_vec(&args).unwrap(),
            &[],
        )
        .await
    }

    async fn ok(&self, name: &str, args: Value) -> Value {
        let a = self.cmd(name, args.clone()).await;
        assert_eq!(
            a.status,
            200,
            "{name} {args}: {}",
            String::from_utf8_lossy(&a.body)
        );
        a.json()
    }

    async fn sign_in_with(&mut self, token: &str) -> Answer {
        let a = self
            .send(
                "POST",
                "/api/v1/office/session",
                Some("application/json"),
                serde_json::to_vec(&json!({ "token": token })).unwrap(),
                &[],
            )
            .await;
        if a.status == 200 {
            let set = a.header("set-cookie");
            let value = set
                .strip_prefix("gocua_office=")
                .and_then(|r| r.split(';').next())
                .expect("cookie");
            self.cookie = Some(value.to_string());
        }
        a
    }

    async fn sign_in(&mut self, hub: &TestHub) {
        let token = new_token(hub);
        let a = self.sign_in_with(&token).await;
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    }
}

fn new_token(hub: &TestHub) -> String {
    hub.with_store(|s| gocua_hub::office::new_signin_token(s, gocua_hub::server::now()))
        .expect("token")
}

fn today() -> time::Date {
    Timestamp(gocua_hub::server::now()).local_date()
}

async fn hub() -> TestHub {
    TestHub::start(&small_ward(81, 40)).await
}

#[tokio::test]
async fn a_sign_in_link_works_once_and_sessions_end() {
    let hub = hub().await;
    let mut office = Office::new(&hub);
    let token = new_token(&hub);
    let a = office.sign_in_with(&token).await;
    assert_eq!(a.status, 200);
    let set = a.header("set-cookie").to_string();
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(set.contains(attr), "{set}");
    }
    let s = a.json();
    assert_eq!(s["ward"], hub.ward_name.as_str());
    let now = gocua_hub::server::now();
    assert!(
        (s["expires_at"].as_i64().unwrap() - (now + 2 * 3600)).abs() < 60,
        "{s}"
    );
    let info = office
        .send("GET", "/api/v1/office/session", None, vec![], &[])
        .await;
    assert_eq!(info.status, 200);
    assert_eq!(info.json()["ward"], hub.ward_name.as_str());

    // Once only; a wrong one and an expired one are refused the same way.
    let mut other = Office::new(&hub);
    assert_eq!(other.sign_in_with(&token).await.code(), "signin_invalid");
    assert_eq!(
        other.sign_in_with(&"ab".repeat(32)).await.code(),
        "signin_invalid"
    );
    let old = new_token(&hub);
    hub.with_store(|s| {
        s.debug_execute("UPDATE hub_office_signin SET expires_at = 1 WHERE used_at IS NULL")
    })
    .unwrap();
    let a = other.sign_in_with(&old).await;
    assert_eq!((a.status, a.code()), (401, "signin_invalid".into()));

    // Idle for more than 2 h: expired.
    hub.with_store(|s| {
        s.debug_execute("UPDATE hub_office_sessions SET last_used = last_used - 7201")
    })
    .unwrap();
    let a = office.cmd("progress", json!({"by": "ward"})).await;
    assert_eq!((a.status, a.code()), (401, "session_expired".into()));
    // And gone after that.
    assert_eq!(
        office.cmd("progress", Value::Null).await.code(),
        "no_session"
    );

    // 12 h after sign-in: expired however busy.
    office.sign_in(&hub).await;
    hub.with_store(|s| {
        s.debug_execute("UPDATE hub_office_sessions SET expires_at = created_at - 1")
    })
    .unwrap();
    assert_eq!(
        office.cmd("progress", Value::Null).await.code(),
        "session_expired"
    );

    // Sign-out ends the session and clears the cookie.
    office.sign_in(&hub).await;
    assert_eq!(office.cmd("progress", Value::Null).await.status, 200);
    let out = office
        .send("DELETE", "/api/v1/office/session", None, vec![], &[])
        .await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    let a = office
        .send("GET", "/api/v1/office/session", None, vec![], &[])
        .await;
    assert_eq!((a.status, a.code()), (401, "no_session".into()));

    // Sign-ins and refusals are in the audit log.
    let kinds: Vec<String> = hub.with_store(|s| {
        s.audit_recent(100)
            .unwrap()
            .into_iter()
            .map(|e| e.kind.as_str().to_string())
            .collect()
    });
    for k in [
        "office_sign_in",
        "office_sign_in_failed",
        "office_refused",
        "office_sign_in_link",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} not in {kinds:?}");
    }
}

#[tokio::test]
async fn office_requests_are_refused_before_anything_runs() {
    let hub = hub().await;
    let team = hub.with_store(|s| s.teams().unwrap()[0].id.to_string());
    let mut phone = Phone::new("máy tình nguyện viên");
    phone
        .pair(&hub.pairing(Role::Volunteer, Some(&team)))
        .await
        .expect("pair");
    phone.sync().await.expect("sync");
    let mut office = Office::new(&hub);
    office.sign_in(&hub).await;
    let mut campaign = office.ok("campaign", Value::Null).await["campaign"].clone();
    campaign["targets"]["activated"] = json!(4242);
    let change = json!({ "campaign": campaign });
    let before = hub_state(&hub);

    let anonymous = Office {
        cookie: None,
        ..Office::new(&hub)
    };
    let expired = Office {
        cookie: Some("00".repeat(32)),
        ..Office::new(&hub)
    };
    let body = serde_json::to_vec(&change).unwrap();
    let json_ct = Some("application/json");
    let path = "/api/v1/command/update_campaign";
    let bearer = phone.auth();
    let cases: Vec<(&str, Answer, u16, &str)> = vec![
        (
            "no session",
            anonymous
                .send("POST", path, json_ct, body.clone(), &[])
                .await,
            401,
            "no_session",
        ),
        (
            "unknown session",
            expired.send("POST", path, json_ct, body.clone(), &[]).await,
            401,
            "no_session",
        ),
        (
            "a volunteer's device credential",
            anonymous
                .send(
                    "POST",
                    path,
                    json_ct,
                    body.clone(),
                    &[("authorization", &bearer)],
                )
                .await,
            401,
            "no_session",
        ),
        (
            "another site's Origin",
            office
                .send(
                    "POST",
                    path,
                    json_ct,
                    body.clone(),
                    &[("origin", "https://evil.example")],
                )
                .await,
            403,
            "cross_site",
        ),
        (
            "plain-http Origin of the same host",
            office
                .send(
                    "POST",
                    path,
                    json_ct,
                    body.clone(),
                    &[("origin", &office.base.replace("https", "http"))],
                )
                .await,
            403,
            "cross_site",
        ),
        (
            "Sec-Fetch-Site: cross-site",
            office
                .send(
                    "POST",
                    path,
                    json_ct,
                    body.clone(),
                    &[("sec-fetch-site", "cross-site"), ("origin", "")],
                )
                .await,
            403,
            "cross_site",
        ),
        (
            "Sec-Fetch-Site: same-site",
            office
                .send(
                    "POST",
                    path,
                    json_ct,
                    body.clone(),
                    &[("sec-fetch-site", "same-site")],
                )
                .await,
            403,
            "cross_site",
        ),
        (
            "a form's content type",
            office
                .send(
                    "POST",
                    path,
                    Some("application/x-www-form-urlencoded"),
                    body.clone(),
                    &[],
                )
                .await,
            415,
            "unsupported_media_type",
        ),
        (
            "text/plain",
            office
                .send("POST", path, Some("text/plain"), body.clone(), &[])
                .await,
            415,
            "unsupported_media_type",
        ),
        (
            "a demo on the real ward",
            office.cmd("generate_demo", json!({"seed": 1})).await,
            403,
            "not_over_web",
        ),
        (
            "an import from a path on the hub",
            office.cmd("import", json!({"path": "/etc/passwd"})).await,
            403,
            "not_over_web",
        ),
        (
            "the hub's identity",
            office
                .cmd("set_identity", json!({"role": "volunteer"}))
                .await,
            403,
            "not_over_web",
        ),
        (
            "an upload without a session",
            anonymous
                .send(
                    "POST",
                    "/api/v1/office/import?name=x.csv&accept_valid_rows=true",
                    Some("application/octet-stream"),
                    b"a,b\n".to_vec(),
                    &[],
                )
                .await,
            401,
            "no_session",
        ),
        (
            "an upload from another site",
            office
                .send(
                    "POST",
                    "/api/v1/office/import?name=x.csv&accept_valid_rows=true",
                    Some("application/octet-stream"),
                    b"a,b\n".to_vec(),
                    &[("origin", "https://evil.example")],
                )
                .await,
            403,
            "cross_site",
        ),
        (
            "the report without a session",
            anonymous
                .send("GET", "/api/v1/office/report.xlsx", None, vec![], &[])
                .await,
            401,
            "no_session",
        ),
        (
            "the report from another site",
            office
                .send(
                    "GET",
                    "/api/v1/office/report.xlsx",
                    None,
                    vec![],
                    &[("sec-fetch-site", "cross-site")],
                )
                .await,
            403,
            "cross_site",
        ),
        (
            "the page's session without one",
            anonymous
                .send("GET", "/api/v1/office/session", None, vec![], &[])
                .await,
            401,
            "no_session",
        ),
        (
            "revoking a device without a session",
            anonymous
                .send(
                    "POST",
                    "/api/v1/command/revoke_device",
                    json_ct,
                    serde_json::to_vec(
                        &json!({"device": phone.store.meta_get("device.id").unwrap().unwrap()}),
                    )
                    .unwrap(),
                    &[],
                )
                .await,
            401,
            "no_session",
        ),
    ];
    for (what, a, status, code) in &cases {
        assert_eq!(
            (a.status, a.code().as_str()),
            (*status, *code),
            "{what}: {}",
            String::from_utf8_lossy(&a.body)
        );
        let b = a.json();
        assert!(!b["message_vi"].as_str().unwrap().is_empty(), "{what}");
        assert!(!b["message_en"].as_str().unwrap().is_empty(), "{what}");
    }
    assert_eq!(hub_state(&hub), before, "a refused request changed the hub");
    // The phone was not revoked and still syncs.
    phone.sync().await.expect("sync after the refusals");
    // Without Origin and Sec-Fetch-Site (not a browser): the session alone decides.
    let a = office
        .send(
            "POST",
            path,
            json_ct,
            body.clone(),
            &[("origin", ""), ("sec-fetch-site", "")],
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["campaign"]["targets"]["activated"], 4242);
}

#[tokio::test]
async fn the_office_runs_the_command_table_and_pairs_phones() {
    let hub = hub().await;
    let mut office = Office::new(&hub);
    office.sign_in(&hub).await;

    // Each breakdown, exactly as the store computes it.
    for by in Dimension::ALL {
        let got = office.ok("progress", json!({"by": by.as_str()})).await;
        let want =
            hub.with_store(|s| serde_json::to_value(s.progress(by, today()).unwrap()).unwrap());
        assert_eq!(got, want, "{by:?}");
    }
    let daily = office.ok("daily_progress", Value::Null).await;
    assert_eq!(
        daily,
        hub.with_store(|s| serde_json::to_value(s.daily_progress(today()).unwrap()).unwrap())
    );

    // Campaign settings: checked, then written.
    let info = office.ok("campaign", Value::Null).await;
    assert_eq!(info["ward"], hub.ward_name.as_str());
    let mut c = info["campaign"].clone();
    c["eligible_age"] = json!(12);
    let a = office.cmd("update_campaign", json!({"campaign": c})).await;
    assert_eq!((a.status, a.code()), (422, "invalid_campaign".into()));
    assert!(a.json()["message_vi"].as_str().unwrap().contains("14"));
    c["eligible_age"] = json!(16);
    c["quota_per_volunteer"] = json!(25);
    let back = office.ok("update_campaign", json!({"campaign": c})).await;
    assert_eq!(back["campaign"]["quota_per_volunteer"], 25);
    assert_eq!(
        hub.with_store(|s| s.campaign().unwrap().unwrap().eligible_age),
        16
    );
    let a = office.cmd("no_such_command", Value::Null).await;
    assert_eq!((a.status, a.code()), (404, "unknown_command".into()));

    // A pairing code from the dashboard, scanned by a phone.
    let (team, volunteer) = hub.with_store(|s| {
        let v = s
            .volunteers()
            .unwrap()
            .into_iter()
            .find(|v| v.role == Role::Volunteer && v.team.is_some())
            .unwrap();
        (v.team.unwrap().to_string(), v.id.to_string())
    });
    let issued = office
        .ok(
            "issue_pairing",
            json!({"role": "volunteer", "volunteer": volunteer}),
        )
        .await;
    let payload = issued["payload"].as_str().unwrap();
    assert!(payload.starts_with("gocua://pair?"), "{payload}");
    assert!(issued["svg"].as_str().unwrap().contains("<svg"));
    assert!(issued["expires_at"].as_i64().unwrap() > gocua_hub::server::now());
    let a = office
        .cmd("issue_pairing", json!({"role": "volunteer"}))
        .await;
    assert_eq!((a.status, a.code()), (422, "volunteer_required".into()));
    let mut phone = Phone::new("máy chị Lan");
    phone
        .pair(payload)
        .await
        .expect("pair from the dashboard's code");
    phone.sync().await.expect("sync");

    let devices = office.ok("list_devices", Value::Null).await;
    let row = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "máy chị Lan")
        .expect("the new phone is listed")
        .clone();
    assert_eq!(row["role"], "volunteer");
    assert_eq!(row["team"], team.as_str());
    assert_eq!(row["volunteer"], volunteer.as_str());
    assert!(
        row["team_name"].is_string() && row["volunteer_name"].is_string(),
        "{row}"
    );
    assert!(row["last_sync"].is_number(), "{row}");
    assert_eq!(row["revoked"], false);

    // The office records a paper list's visit for that volunteer.
    let household = hub.with_store(|s| {
        s.households_of_team(&gocua_domain::TeamId::parse(&team).unwrap())
            .unwrap()[0]
            .clone()
    });
    let visit = office
        .ok(
            "record_visit",
            json!({"household": household, "outcome": "nobody_home", "volunteer": volunteer}),
        )
        .await;
    assert_eq!(visit["volunteer"], volunteer.as_str());

    let revoked = office
        .ok("revoke_device", json!({"device": row["id"]}))
        .await;
    assert_eq!(revoked["revoked"], true);
    let e = phone.sync().await.unwrap_err();
    assert_eq!(e.code(), "device_revoked");
    let a = office
        .cmd("revoke_device", json!({"device": row["id"]}))
        .await;
    assert_eq!((a.status, a.code()), (404, "unknown_device".into()));
}

const HEADER: &str = "STT,Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Năm sinh,Giới tính,Số CCCD,Số điện thoại,Loại,CCCD,Hồ sơ mức 2,Tài khoản,Hướng dẫn DVC";

#[tokio::test]
async fn an_uploaded_list_is_previewed_then_imported() {
    let hub = hub().await;
    let mut office = Office::new(&hub);
    office.sign_in(&hub).await;
    let csv = format!(
        "{HEADER}
1,9,Ngõ 77 Hoàng Hoa Thám,3,Đặng Văn Quý,Đặng Văn Quý,1961,Nam,001061000077,,,đã có,có,mức 2,có
2,9,Ngõ 77 Hoàng Hoa Thám,3,Đặng Văn Quý,Lý Thị Sen,1966,Nữ,,,,đã có,,,
3,9,Ngõ 77 Hoàng Hoa Thám,5,Bùi Văn Tài,Bùi Văn Tài,19x0,Nam,,,,,,,
4,9,Ngõ 77 Hoàng Hoa Thám,7,Chu Thị Uyên,Chu Thị Uyên,1979,Nữ,,,,,,,
"
    );
    let households = || hub.with_store(|s| s.hub_all_households().unwrap().len());
    let n0 = households();
    let before = hub_state(&hub);
    let upload = |accept: bool| {
        let body = csv.clone().into_bytes();
        let office = &office;
        async move {
            office
                .send(
                    "POST",
                    &format!("/api/v1/office/import?accept_valid_rows={accept}&name=danh-sach.csv"),
                    Some("application/octet-stream"),
                    body,
                    &[("accept-language", "vi")],
                )
                .await
        }
    };
    let preview = upload(false).await;
    assert_eq!(
        preview.status,
        200,
        "{}",
        String::from_utf8_lossy(&preview.body)
    );
    let r = preview.json();
    assert_eq!(r["imported"], false);
    assert_eq!(r["rows"], 4);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0]["row"], 4, "{r}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("Năm sinh"),
        "{r}"
    );
    assert_eq!(hub_state(&hub), before, "the preview wrote something");

    let done = upload(true).await.json();
    assert_eq!(done["imported"], true, "{done}");
    assert_eq!(done["households"], 2);
    assert_eq!(households(), n0 + 2);
    // No temporary copy is left beside the replica.
    let left: Vec<_> = std::fs::read_dir(hub.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".gocua-import-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let a = office
        .send(
            "POST",
            "/api/v1/office/import?name=list.pdf",
            Some("application/octet-stream"),
            b"%PDF".to_vec(),
            &[],
        )
        .await;
    assert_eq!((a.status, a.code()), (415, "unknown_format".into()));
}

#[tokio::test]
async fn the_xlsx_report_has_the_dashboards_figures() {
    let hub = hub().await;
    let mut office = Office::new(&hub);
    office.sign_in(&hub).await;
    let a = office
        .send(
            "GET",
            "/api/v1/office/report.xlsx?lang=vi",
            None,
            vec![],
            &[("sec-fetch-site", "none"), ("origin", "")],
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(a.header("content-type").contains("spreadsheetml"));
    let disposition = a.header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"bao-cao-")
            && disposition.ends_with(&format!(
                "{}.xlsx\"",
                gocua_domain::time::format_date(today())
            )),
        "{disposition}"
    );
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(a.body.clone())).unwrap();
    for by in Dimension::ALL {
        let rows = office.ok("progress", json!({"by": by.as_str()})).await;
        let rows = rows.as_array().unwrap();
        let sheet = gocua_app::report::sheet_name(by, gocua_domain::Lang::Vi);
        let r = wb.worksheet_range(sheet).unwrap();
        let h = gocua_app::report::HEADER_ROW;
        assert_eq!(r.end().unwrap().0, h + rows.len() as u32, "{sheet}");
        for (i, row) in rows.iter().enumerate() {
            let x = h + 1 + i as u32;
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
                    r.get_value((x, 2 + c as u32)),
                    Some(&Data::Float(p[k].as_f64().unwrap())),
                    "{sheet} row {i} {k}"
                );
            }
        }
    }
    let days = office.ok("daily_progress", Value::Null).await;
    let r = wb.worksheet_range("Theo ngày").unwrap();
    for (i, d) in days.as_array().unwrap().iter().enumerate() {
        let x = gocua_app::report::HEADER_ROW + 1 + i as u32;
        assert_eq!(
            r.get_value((x, 5)),
            Some(&Data::Float(d["cumulative_activated"].as_f64().unwrap()))
        );
    }
    let en = office
        .send(
            "GET",
            "/api/v1/office/report.xlsx?lang=en",
            None,
            vec![],
            &[],
        )
        .await;
    let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(en.body)).unwrap();
    assert!(
        wb.sheet_names().contains(&"Volunteers".to_string()),
        "{:?}",
        wb.sheet_names()
    );
}

#[tokio::test]
async fn the_dashboard_pages_are_served_with_their_headers() {
    let hub = hub().await;
    let office = Office::new(&hub);
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dist.path().join("assets")).unwrap();
    std::fs::write(
        dist.path().join("office.html"),
        "<!doctype html><title>Văn phòng</title>",
    )
    .unwrap();
    std::fs::write(dist.path().join("index.html"), "phone").unwrap();
    std::fs::write(
        dist.path().join("assets/office-abc123.js"),
        "console.log(1)",
    )
    .unwrap();
    std::fs::write(dist.path().join("secret.txt"), "").unwrap();
    hub.running()
        .hub
        .serve_office_ui_from(Some(dist.path().to_path_buf()));

    // `/` sends the browser to the dashboard (read raw: the client would follow it).
    let mut tls = gocua_tests::raw_tls(hub.running().addr, hub.fingerprint()).await;
    tokio::io::AsyncWriteExt::write_all(&mut tls, b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let root = gocua_tests::read_answer(&mut tls, std::time::Duration::from_secs(10))
        .await
        .expect("answer");
    assert_eq!(root.status, 303);
    assert_eq!(root.header("location"), Some("/office/"));

    // Pages need no session (the sign-in happens on them); their data does.
    for path in ["/office/", "/office/devices", "/office/office.html"] {
        let a = office
            .send(
                "GET",
                path,
                None,
                vec![],
                &[("sec-fetch-site", "none"), ("origin", "")],
            )
            .await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(
            String::from_utf8_lossy(&a.body),
            "<!doctype html><title>Văn phòng</title>"
        );
        assert_eq!(a.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(a.header("cache-control"), "no-cache");
        assert_eq!(
            a.header("content-security-policy"),
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'"
        );
        assert_eq!(a.header("x-frame-options"), "DENY");
        assert_eq!(a.header("referrer-policy"), "no-referrer");
    }
    let js = office
        .send("GET", "/office/assets/office-abc123.js", None, vec![], &[])
        .await;
    assert_eq!(js.status, 200);
    assert_eq!(js.header("content-type"), "text/javascript; charset=utf-8");
    for path in [
        "/office/../hub.sqlite",
        "/office/%2e%2e/hub.sqlite",
        "/office/assets/missing.js",
    ] {
        let a = office.send("GET", path, None, vec![], &[]).await;
        assert_eq!(a.status, 404, "{path}");
    }

    // A binary built without the UI says how to build it.
    let empty = tempfile::tempdir().unwrap();
    hub.running()
        .hub
        .serve_office_ui_from(Some(empty.path().to_path_buf()));
    let a = office.send("GET", "/office/", None, vec![], &[]).await;
    assert_eq!(a.status, 503);
    assert!(a.header("content-type").starts_with("text/html"));
    let page = String::from_utf8_lossy(&a.body);
    assert!(
        page.contains("npm run build") && page.contains("Chưa có trang quản lý"),
        "{page}"
    );
    hub.running().hub.serve_office_ui_from(None);
    let a = office.send("GET", "/office/", None, vec![], &[]).await;
    assert_eq!(
        a.status,
        if gocua_hub::office::embedded_ui() {
            200
        } else {
            503
        }
    );
}
