//! Ward hubs reporting into a real PostgreSQL (a throwaway cluster on loopback, TLS verified):
//! the province's views equal the sum of each hub's own progress tables, figure for figure; an
//! incremental report after an evening's sync sends only what changed; a report killed half way
//! and sent again leaves one copy; a hub restored from an old backup does not move the
//! province's figures backwards; a hub whose province database is down keeps its report queued.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use gocua_domain::Progress;
use gocua_province::testing::{Cluster, CutProxy, PASSWORD, distinct_ward_seeds, ward_hub};
use gocua_province::{Outcome, Refusal, ReportOptions, Target};
use gocua_store::Store;
use gocua_store::queries::{Dimension, HouseholdFilter};
use gocua_wardgen::WardSpec;
use time::Date;
use tokio_postgres::Client;

const AS_OF: Date = time::macros::date!(2026 - 11 - 22);

fn opts(full: bool) -> ReportOptions {
    ReportOptions {
        as_of: AS_OF,
        now: 1_795_000_000,
        full,
    }
}

fn spec(seed: u64, households: usize) -> WardSpec {
    WardSpec::small(seed).with_households(households)
}

struct Hub {
    store: Arc<Mutex<Store>>,
    held_back: Vec<gocua_domain::Visit>,
    code: String,
}

fn hubs(dir: &std::path::Path, n: usize, households: usize) -> Vec<Hub> {
    distinct_ward_seeds(n, |s| spec(s, households))
        .into_iter()
        .map(|seed| {
            let (store, g, held_back) = ward_hub(
                &dir.join(format!("hub-{seed}.sqlite")),
                &spec(seed, households),
            );
            Hub {
                store: Arc::new(Mutex::new(store)),
                held_back,
                code: g.ward.id.to_string(),
            }
        })
        .collect()
}

fn p_of(row: &tokio_postgres::Row, from: usize) -> Progress {
    let n = |i: usize| row.get::<_, i32>(from + i) as u32;
    Progress {
        households: n(0),
        visited_households: n(1),
        eligible: n(2),
        cccd: n(3),
        level2: n(4),
        activated: n(5),
        guided: n(6),
    }
}

/// Every progress table the province holds for `code` equals the hub's own, row for row, and
/// so do its daily rows, its household count and its open households by blocker.
async fn assert_province_holds(client: &Client, hub: &Hub) {
    let (own_progress, own_days, own_rows) = {
        let store = hub.store.lock().unwrap();
        let progress: Vec<_> = gocua_province::report::DIMENSIONS
            .iter()
            .map(|by| (*by, store.progress(*by, AS_OF).unwrap()))
            .collect();
        (
            progress,
            store.daily_progress(AS_OF).unwrap(),
            store
                .households(&HouseholdFilter::default(), AS_OF)
                .unwrap(),
        )
    };
    for (by, own) in own_progress {
        let rows = client
            .query(
                "SELECT key, label, households, visited_households, eligible, cccd, level2,
                        activated, guided, target_activated, quota_done, quota
                 FROM province.ward_progress WHERE ward_code = $1 AND dimension = $2
                 ORDER BY position",
                &[&hub.code, &by.as_str()],
            )
            .await
            .unwrap();
        assert_eq!(
            rows.len(),
            own.len(),
            "{} rows of {}",
            by.as_str(),
            hub.code
        );
        for (r, o) in rows.iter().zip(&own) {
            assert_eq!(r.get::<_, String>(0), o.key);
            assert_eq!(r.get::<_, String>(1), o.label);
            assert_eq!(p_of(r, 2), o.progress, "{} {}", by.as_str(), o.key);
            assert_eq!(
                r.get::<_, Option<i32>>(9).map(|t| t as u32),
                o.target.map(|t| t.activated)
            );
            assert_eq!(
                r.get::<_, Option<i32>>(10).map(|t| t as u32),
                o.quota.map(|q| q.done)
            );
        }
    }
    let days = client
        .query(
            "SELECT day, visits, households_visited, new_level2, new_activations, cumulative_activated
             FROM province.ward_daily WHERE ward_code = $1 ORDER BY day",
            &[&hub.code],
        )
        .await
        .unwrap();
    assert_eq!(days.len(), own_days.len());
    for (r, o) in days.iter().zip(&own_days) {
        assert_eq!(r.get::<_, Date>(0), o.day);
        let got: Vec<u32> = (1..6).map(|i| r.get::<_, i32>(i) as u32).collect();
        assert_eq!(
            got,
            vec![
                o.visits,
                o.households_visited,
                o.new_level2,
                o.new_activations,
                o.cumulative_activated
            ]
        );
    }
    let held: Vec<(i64, i64, i64)> = client
        .query(
            "SELECT count(*), COALESCE(sum(n_open), 0), COALESCE(sum(n_visits), 0)
             FROM province.household_status WHERE ward_code = $1",
            &[&hub.code],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let open: u32 = own_rows.iter().map(|h| h.n_open).sum();
    let visits: u32 = own_rows.iter().map(|h| h.n_visits).sum();
    assert_eq!(
        held,
        vec![(own_rows.len() as i64, i64::from(open), i64::from(visits))]
    );
    let mut own_blockers: BTreeMap<String, i32> = BTreeMap::new();
    for h in own_rows.iter().filter(|h| h.n_open > 0) {
        for b in &h.blockers {
            *own_blockers.entry(b.code().to_string()).or_default() += 1;
        }
    }
    let blockers: BTreeMap<String, i32> = client
        .query(
            "SELECT blocker, households FROM province.ward_blockers WHERE ward_code = $1",
            &[&hub.code],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(blockers, own_blockers);
}

/// The province's totals and trend equal the sums of the hubs' own ward and daily rows.
async fn assert_province_adds_up(client: &Client, hubs: &[Hub]) {
    let mut sum = Progress::default();
    let mut target: i64 = 0;
    let mut days: BTreeMap<Date, [i64; 5]> = BTreeMap::new();
    for h in hubs {
        let store = h.store.lock().unwrap();
        let ward = &store.progress(Dimension::Ward, AS_OF).unwrap()[0];
        sum.add(&ward.progress);
        target += i64::from(ward.target.unwrap().activated);
        for d in store.daily_progress(AS_OF).unwrap() {
            let e = days.entry(d.day).or_default();
            for (i, v) in [
                d.visits,
                d.households_visited,
                d.new_level2,
                d.new_activations,
                d.cumulative_activated,
            ]
            .into_iter()
            .enumerate()
            {
                e[i] += i64::from(v);
            }
        }
    }
    let t = gocua_province::view::totals(client).await.unwrap();
    assert_eq!(t.wards, hubs.len() as i64);
    assert_eq!(
        [
            t.households,
            t.visited_households,
            t.eligible,
            t.cccd,
            t.level2,
            t.activated,
            t.guided,
            t.target_activated
        ],
        [
            i64::from(sum.households),
            i64::from(sum.visited_households),
            i64::from(sum.eligible),
            i64::from(sum.cccd),
            i64::from(sum.level2),
            i64::from(sum.activated),
            i64::from(sum.guided),
            target
        ]
    );
    let trend = gocua_province::view::trend(client).await.unwrap();
    let got: BTreeMap<Date, [i64; 5]> = trend
        .iter()
        .map(|d| {
            (
                d.day,
                [
                    d.visits,
                    d.households_visited,
                    d.new_level2,
                    d.new_activations,
                    d.cumulative_activated,
                ],
            )
        })
        .collect();
    assert_eq!(got, days);
    // The ranking orders wards as a ward orders its teams: by share activated.
    let ranking = gocua_province::view::ranking(client).await.unwrap();
    assert_eq!(ranking.len(), hubs.len());
    let share = |w: &gocua_province::view::WardLine| {
        if w.eligible == 0 {
            0
        } else {
            w.activated * 10_000 / w.eligible
        }
    };
    for pair in ranking.windows(2) {
        assert!(share(&pair[0]) >= share(&pair[1]), "{ranking:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_wards_report_and_the_province_adds_up_figure_for_figure() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let hubs = hubs(dir.path(), 3, 120);
    for h in &hubs {
        let s = gocua_province::report(&h.store, &target, opts(false))
            .await
            .expect("report");
        assert_eq!(s.outcome, Outcome::Applied);
        assert!(s.full, "a first report is a full one");
        assert!(
            s.tls,
            "the connection is encrypted when the server offers TLS"
        );
        assert_eq!(s.households_sent as u32, s.households_total);
    }
    let client = target.connect().await.unwrap();
    for h in &hubs {
        assert_province_holds(&client, h).await;
    }
    assert_province_adds_up(&client, &hubs).await;

    // The evening's sync reaches the first hub: an incremental report sends only what changed.
    let (visited, sent) = {
        let h = &hubs[0];
        let changed = {
            let mut store = h.store.lock().unwrap();
            let before: BTreeMap<String, _> = store
                .households(&HouseholdFilter::default(), AS_OF)
                .unwrap()
                .into_iter()
                .map(|r| (r.id.to_string(), r))
                .collect();
            for v in &h.held_back {
                store.record_visit(v).unwrap();
            }
            let after = store
                .households(&HouseholdFilter::default(), AS_OF)
                .unwrap();
            after
                .iter()
                .filter(|r| before.get(r.id.as_str()) != Some(r))
                .count()
        };
        let s = gocua_province::report(&h.store, &target, opts(false))
            .await
            .unwrap();
        assert_eq!(s.outcome, Outcome::Applied);
        assert!(!s.full);
        (changed, s.households_sent)
    };
    assert!(visited > 0, "the held-back evening changed some households");
    assert_eq!(sent, visited, "only the households that changed travel");
    for h in &hubs {
        assert_province_holds(&client, h).await;
    }
    assert_province_adds_up(&client, &hubs).await;

    // Nothing changed: a report carries no household at all and changes no figure.
    let s = gocua_province::report(&hubs[1].store, &target, opts(false))
        .await
        .unwrap();
    assert_eq!(
        (s.outcome, s.households_sent, s.full),
        (Outcome::Applied, 0, false)
    );
    assert_province_adds_up(&client, &hubs).await;
}

async fn held(client: &Client, code: &str) -> (i64, i64, i64, i64) {
    let r = client
        .query_one(
            "SELECT w.report_seq, w.events,
                    (SELECT count(*) FROM province.household_status h WHERE h.ward_code = w.ward_code),
                    (SELECT count(*) FROM province.report_log l WHERE l.ward_code = w.ward_code)
             FROM province.wards w WHERE ward_code = $1",
            &[&code],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// Waits until the proxy's last connection closed with a count other than `previous`.
async fn last_bytes_up(proxy: &CutProxy, previous: i64) -> i64 {
    for _ in 0..250 {
        let n = proxy.last_bytes_up();
        if n != previous && n > 0 {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the proxy's connection did not close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_killed_half_way_and_sent_again_leaves_exactly_one_copy() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let hub = hubs(dir.path(), 1, 1_500).pop().unwrap();
    let client = target.connect().await.unwrap();
    let first = gocua_province::report(&hub.store, &target, opts(false))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Applied);
    let before = held(&client, &hub.code).await;

    // The evening's visits, then a full report whose connection dies after 40 KB from the hub:
    // past the login, well before the end of ~1,500 household rows.
    {
        let mut store = hub.store.lock().unwrap();
        for v in &hub.held_back {
            store.record_visit(v).unwrap();
        }
    }
    let proxy = CutProxy::start(pg.port);
    let via = Target::parse(
        &pg.url_via(proxy.port, "province"),
        Some(PASSWORD.to_string()),
    )
    .unwrap();
    // What a login and a query cost through the proxy: far below the cut.
    {
        let c = via.connect().await.unwrap();
        gocua_province::conn::is_tls(&c).await.unwrap();
        drop(c);
    }
    let login = last_bytes_up(&proxy, 0).await;
    assert!(login > 0 && login < 10_000, "a login costs {login} bytes");
    proxy.cut_next_after(40_000);
    let cut = gocua_province::report(&hub.store, &via, opts(true)).await;
    assert!(cut.is_err(), "the cut report must fail: {cut:?}");
    let cut_at = last_bytes_up(&proxy, login).await;
    assert_eq!(cut_at, 40_000);
    assert_eq!(
        held(&client, &hub.code).await,
        before,
        "a report cut half way changes nothing"
    );
    let queued = hub.store.lock().unwrap().province_pending().unwrap();
    let queued = queued.expect("the cut report stays queued");
    assert_eq!(queued.attempts, 1);

    // Sent again from the queue: committed once.
    let again = gocua_province::job::send_queued(&hub.store, &via)
        .await
        .unwrap();
    assert_eq!(again, Some(Outcome::Applied));
    let whole = last_bytes_up(&proxy, cut_at).await;
    assert!(
        whole > 80_000,
        "the whole report took {whole} bytes: the cut at 40,000 was half way"
    );
    let after = held(&client, &hub.code).await;
    let total = hub
        .store
        .lock()
        .unwrap()
        .households(&HouseholdFilter::default(), AS_OF)
        .unwrap()
        .len() as i64;
    assert_eq!(after.0, queued.seq);
    assert_eq!(after.2, total, "exactly one row per household");
    assert_eq!(after.3, 2, "two reports committed, each once");
    assert_province_holds(&client, &hub).await;
    assert_eq!(hub.store.lock().unwrap().province_queued().unwrap(), 0);

    // A commit whose answer was lost: the hub sends the same report again, PostgreSQL knows it.
    {
        let mut store = hub.store.lock().unwrap();
        let v = hub.held_back[0].clone();
        let mut again = v.clone();
        again.id = gocua_domain::VisitId::parse("v-lostanswer").unwrap();
        store.record_visit(&again).unwrap();
    }
    let (report, _, _) = gocua_province::job::build_and_queue(&hub.store, opts(false), 0)
        .await
        .unwrap();
    let mut direct = target.connect().await.unwrap();
    assert_eq!(
        gocua_province::send::apply(&mut direct, &report)
            .await
            .unwrap(),
        Outcome::Applied
    );
    let committed = held(&client, &hub.code).await;
    assert_eq!(
        gocua_province::job::send_queued(&hub.store, &target)
            .await
            .unwrap(),
        Some(Outcome::Applied)
    );
    assert_eq!(held(&client, &hub.code).await, committed, "applied once");
    assert_province_holds(&client, &hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_restored_from_an_old_backup_does_not_move_the_figures_backwards() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let hub = hubs(dir.path(), 1, 150).pop().unwrap();
    let path = hub.store.lock().unwrap().path().to_path_buf();
    gocua_province::report(&hub.store, &target, opts(false))
        .await
        .unwrap();

    // The backup: the replica as it was after the first report.
    let backup = dir.path().join("backup.sqlite");
    {
        // Closed first, so the copy is whole (the WAL checkpointed into the file).
        let mut store = hub.store.lock().unwrap();
        *store = Store::open(&dir.path().join("scratch-1.sqlite")).unwrap();
        std::fs::copy(&path, &backup).unwrap();
        *store = Store::open(&path).unwrap();
    }
    // The evening's sync, and its report.
    let half = hub.held_back.len() / 2;
    {
        let mut store = hub.store.lock().unwrap();
        for v in &hub.held_back[..half] {
            store.record_visit(v).unwrap();
        }
    }
    let s = gocua_province::report(&hub.store, &target, opts(false))
        .await
        .unwrap();
    assert_eq!(s.outcome, Outcome::Applied);
    let client = target.connect().await.unwrap();
    let newer = held(&client, &hub.code).await;
    let newer_totals = gocua_province::view::totals(&client).await.unwrap();

    // The hub's disk dies; the office restores the old backup and the hub reports.
    {
        let mut store = hub.store.lock().unwrap();
        *store = Store::open(&dir.path().join("scratch.sqlite")).unwrap();
    }
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", path.display()));
    }
    std::fs::copy(&backup, &path).unwrap();
    *hub.store.lock().unwrap() = Store::open(&path).unwrap();
    let s = gocua_province::report(&hub.store, &target, opts(false))
        .await
        .unwrap();
    assert!(
        matches!(s.outcome, Outcome::Refused(Refusal::OlderData { .. })),
        "{:?}",
        s.outcome
    );
    assert_eq!(held(&client, &hub.code).await, newer);
    assert_eq!(
        gocua_province::view::totals(&client).await.unwrap(),
        newer_totals,
        "the province's figures did not move backwards"
    );
    let refusals: i64 = client
        .query_one(
            "SELECT count(*) FROM province.report_refusals WHERE ward_code = $1 AND reason = 'older_data'",
            &[&hub.code],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(refusals, 1, "the province sees the refusal");

    // The phones bring back what the backup lacked, and more: the restored hub is ahead again,
    // numbers its report above the one held and sends it in full.
    {
        let mut store = hub.store.lock().unwrap();
        for v in &hub.held_back {
            store.record_visit(v).unwrap();
        }
    }
    let s = gocua_province::report(&hub.store, &target, opts(false))
        .await
        .unwrap();
    assert_eq!(s.outcome, Outcome::Applied);
    assert!(s.full);
    assert!(s.seq > newer.0, "{} > {}", s.seq, newer.0);
    assert_province_holds(&client, &hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_province_leaves_the_report_queued_and_the_hub_working() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let hub = hubs(dir.path(), 1, 80).pop().unwrap();
    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Target::parse(&pg.url_via(port, "province"), Some(PASSWORD.into())).unwrap();
    let e = gocua_province::report(&hub.store, &down, opts(false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "province_unreachable");
    assert_eq!(hub.store.lock().unwrap().province_queued().unwrap(), 1);
    // The hub's store is free and works.
    {
        let mut store = hub.store.lock().unwrap();
        store.record_visit(&hub.held_back[0]).unwrap();
    }
    // The database is back: the queued report goes.
    assert_eq!(
        gocua_province::job::send_queued(&hub.store, &target)
            .await
            .unwrap(),
        Some(Outcome::Applied)
    );
    assert_eq!(hub.store.lock().unwrap().province_queued().unwrap(), 0);
    // A wrong password is refused by the server and said so.
    let wrong = Target::parse(&pg.url("province"), Some("not-it".into())).unwrap();
    let e = gocua_province::report(&hub.store, &wrong, opts(false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "province_unreachable");
    assert!(e.to_string().contains("28P01"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_reports_by_itself_after_a_burst_of_syncs() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let hub = hubs(dir.path(), 1, 80).pop().unwrap();
    let schedule = gocua_province::Schedule {
        after_quiet: Some(std::time::Duration::from_millis(300)),
        every: None,
        retry: std::time::Duration::from_millis(300),
        tick: std::time::Duration::from_millis(50),
    };
    let job = gocua_province::spawn_reporter(
        hub.store.clone(),
        target.clone(),
        schedule,
        || (AS_OF, 1_795_000_000),
        |_| {},
    );
    let client = target.connect().await.unwrap();
    let wait_for = |events: i64| {
        let client = &client;
        let code = hub.code.clone();
        async move {
            for _ in 0..600 {
                let got: Option<i64> = client
                    .query_opt(
                        "SELECT events FROM province.wards WHERE ward_code = $1",
                        &[&code],
                    )
                    .await
                    .ok()
                    .flatten()
                    .map(|r| r.get(0));
                if got == Some(events) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the hub did not report {events} events in 30 s");
        }
    };
    let events = hub.store.lock().unwrap().province_mark().unwrap().events;
    wait_for(events).await;
    {
        let mut store = hub.store.lock().unwrap();
        for v in &hub.held_back {
            store.record_visit(v).unwrap();
        }
    }
    let events = hub.store.lock().unwrap().province_mark().unwrap().events;
    wait_for(events).await;
    job.abort();
    assert_province_holds(&client, &hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_hub_claiming_the_same_ward_is_refused() {
    let pg = Cluster::start();
    let target = pg.database("province").await;
    let dir = tempfile::tempdir().unwrap();
    let seed = distinct_ward_seeds(1, |s| spec(s, 60))[0];
    let (a, g, _) = ward_hub(&dir.path().join("a.sqlite"), &spec(seed, 60));
    // The same ward installed a second time: same code, its own secret, other figures.
    let (mut b, _, held) = ward_hub(&dir.path().join("b.sqlite"), &spec(seed, 60));
    for v in &held {
        b.record_visit(v).unwrap();
    }
    let (a, b) = (Arc::new(Mutex::new(a)), Arc::new(Mutex::new(b)));
    let first = gocua_province::report(&a, &target, opts(false))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Applied);
    let client = target.connect().await.unwrap();
    let code = g.ward.id.to_string();
    let before = held_of(&client, &code).await;
    let s = gocua_province::report(&b, &target, opts(false))
        .await
        .unwrap();
    assert!(
        matches!(s.outcome, Outcome::Refused(Refusal::OtherHub { .. })),
        "{:?}",
        s.outcome
    );
    assert_eq!(
        held_of(&client, &code).await,
        before,
        "the first hub's figures stay"
    );
    let hub = Hub {
        store: a,
        held_back: Vec::new(),
        code,
    };
    assert_province_holds(&client, &hub).await;
}

async fn held_of(client: &Client, code: &str) -> (i64, i64, i64, i64) {
    held(client, code).await
}
