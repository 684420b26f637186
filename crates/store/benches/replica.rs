//! Benchmarks of the replica against the product's targets: recording a visit (compared with a
//! bare durable SQLite insert, on replicas of growing size, and encrypted against plain), search
//! as the user types over a full ward, and generating, importing and re-projecting a full ward.
//!
//! A plain timing binary rather than criterion: the targets are stated as medians, p95s and a
//! ratio, which it prints directly as a Markdown table. `cargo bench -p gocua-store` runs it in
//! full; run without `--bench` (as `cargo test --benches` does) it only smoke-tests each step on
//! a tiny ward.

use std::path::Path;
use std::time::{Duration, Instant};

use gocua_domain::{Household, Timestamp, Volunteer};
use gocua_store::{AutoCommit, Durability, Key, PlanEntry, Store, StoreOptions, household_doc};
use gocua_wardgen::{GeneratedWard, WardSpec, generate, random_visit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What each step does, scaled down in smoke mode.
struct Sizes {
    full: WardSpec,
    phone_households: usize,
    mid_households: usize,
    visits: usize,
    bare_inserts: usize,
    searches_per_query: usize,
    generations: usize,
    rebuilds: usize,
}

const QUERIES: &[&str] = &[
    "nguyen van",
    "dang",
    "bằng",
    "tran thi h",
    "le",
    "n",
    "nguyen",
    "pham minh",
    "hoang thi thu",
    "đức",
    "vu",
    "thi lan",
];
const SEARCH_LIMIT: usize = 50;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full_run = args.iter().any(|a| a == "--bench");
    let filter: Option<&str> = args
        .iter()
        .map(String::as_str)
        .find(|a| !a.starts_with("--"));
    let sizes = if full_run {
        Sizes {
            full: WardSpec::full(2026),
            phone_households: 300,
            mid_households: 3_000,
            visits: 1_000,
            bare_inserts: 2_000,
            searches_per_query: 200,
            generations: 7,
            rebuilds: 3,
        }
    } else {
        Sizes {
            full: WardSpec::small(2026),
            phone_households: 20,
            mid_households: 40,
            visits: 10,
            bare_inserts: 10,
            searches_per_query: 2,
            generations: 1,
            rebuilds: 1,
        }
    };
    let wanted = |section: &str| filter.is_none_or(|f| section.contains(f));
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut table = Table::default();

    let mut full_ward: Option<(GeneratedWard, Store)> = None;
    if wanted("ward") || wanted("search") || wanted("record") {
        full_ward = Some(ward_steps(&sizes, dir.path(), &mut table, wanted("ward")));
    }
    if let Some((w, store)) = full_ward.as_ref().filter(|_| wanted("search")) {
        search_steps(&sizes, w, store, &mut table);
    }
    if wanted("record") {
        record_steps(&sizes, dir.path(), full_ward.take(), &mut table);
    }
    table.print(full_run);
}

/// Generation, import, projection rebuild and stored size of the full ward. Returns the
/// imported replica for the search and the large visit-recording case.
fn ward_steps(
    sizes: &Sizes,
    dir: &Path,
    table: &mut Table,
    report: bool,
) -> (GeneratedWard, Store) {
    let mut times = Vec::new();
    let mut ward = None;
    for _ in 0..sizes.generations {
        let t = Instant::now();
        let w = generate(&sizes.full);
        times.push(t.elapsed());
        ward = Some(w);
    }
    let w = ward.expect("at least one generation");
    let residents = w.resident_count();
    let households = w.households.len();
    if report {
        let s = Stats::of(&mut times);
        table.row(
            "generate the full ward",
            format!(
                "{households} households, {residents} residents, {} visits",
                w.visits.len()
            ),
            format!("median {} (n={})", ms(s.p50), times.len()),
            "well under 1 s".into(),
        );
    }

    let path = dir.join("full.sqlite");
    let mut store = Store::open(&path).expect("open replica");
    let t = Instant::now();
    store.put_plan(&PlanEntry::for_ward(&w)).expect("put plan");
    let plan = t.elapsed();
    let t = Instant::now();
    store
        .upsert_households(&w.households, |_, _| {})
        .expect("import households");
    let import = t.elapsed();
    if report {
        table.row(
            "import the full ward into a fresh replica",
            format!(
                "put_plan ({} entries) + upsert_households ({households})",
                PlanEntry::for_ward(&w).len()
            ),
            format!(
                "{} (plan {}, households {})",
                secs(plan + import),
                ms(plan),
                secs(import)
            ),
            "seconds, not minutes".into(),
        );
        let docs = store.stored_size().expect("stored size");
        let file = file_size(&path);
        table.row(
            "stored size after import",
            format!("{} documents", store.doc_count().expect("doc count")),
            format!(
                "documents {} ({} B per household); SQLite file with projection {}",
                mb(docs),
                docs / households.max(1) as u64,
                mb(file)
            ),
            "—".into(),
        );
        let mut times = Vec::new();
        for _ in 0..sizes.rebuilds {
            let t = Instant::now();
            store
                .rebuild_projection(|_, _| {})
                .expect("rebuild projection");
            times.push(t.elapsed());
        }
        let s = Stats::of(&mut times);
        table.row(
            "rebuild the projection of the full ward",
            format!("{} documents", households + 1),
            format!("median {} (n={})", secs(s.p50), times.len()),
            "—".into(),
        );
    }
    (w, store)
}

fn search_steps(sizes: &Sizes, w: &GeneratedWard, store: &Store, table: &mut Table) {
    let mut all = Vec::new();
    let mut worst_p95 = ("", Duration::ZERO);
    let mut per_query = Vec::new();
    for q in QUERIES {
        // One untimed call so the statement cache and the pages a query touches are warm, as
        // they are after the first keystroke.
        let hits = store
            .search_residents(q, SEARCH_LIMIT)
            .expect("search")
            .len();
        let mut times = Vec::with_capacity(sizes.searches_per_query);
        for _ in 0..sizes.searches_per_query {
            let t = Instant::now();
            let n = store
                .search_residents(q, SEARCH_LIMIT)
                .expect("search")
                .len();
            times.push(t.elapsed());
            assert_eq!(n, hits);
        }
        all.extend_from_slice(&times);
        let s = Stats::of(&mut times);
        if s.p95 > worst_p95.1 {
            worst_p95 = (q, s.p95);
        }
        per_query.push(format!("\"{q}\" {}/{} ({hits})", ms(s.p50), ms(s.p95)));
    }
    let s = Stats::of(&mut all);
    table.row(
        "search residents as the user types",
        format!(
            "{} residents, {} queries × {}, limit {SEARCH_LIMIT}",
            w.resident_count(),
            QUERIES.len(),
            sizes.searches_per_query
        ),
        format!(
            "p50 {}, p95 {}, max {}; worst p95 \"{}\" {}",
            ms(s.p50),
            ms(s.p95),
            ms(s.max),
            worst_p95.0,
            ms(worst_p95.1)
        ),
        "a few ms".into(),
    );
    table.detail(format!(
        "Search per query, p50/p95 (hits): {}",
        per_query.join(", ")
    ));
}

fn record_steps(
    sizes: &Sizes,
    dir: &Path,
    full: Option<(GeneratedWard, Store)>,
    table: &mut Table,
) {
    // The replica commits with synchronous=FULL (a visit survives a power cut); the baseline is
    // the same durable commit of one bare row. NORMAL is measured too, for comparison.
    let bare = bare_inserts(&dir.join("bare.sqlite"), sizes.bare_inserts, "FULL");
    table.row(
        "bare durable SQLite insert (baseline)",
        format!(
            "fresh file, WAL, synchronous=FULL, one ~300-byte row per transaction, n={}",
            bare.n
        ),
        format!("median {}, p95 {}", ms(bare.p50), ms(bare.p95)),
        "—".into(),
    );
    let bare_normal = bare_inserts(
        &dir.join("bare-normal.sqlite"),
        sizes.bare_inserts,
        "NORMAL",
    );
    table.row(
        "bare SQLite insert, synchronous=NORMAL",
        format!("same, synchronous=NORMAL, n={}", bare_normal.n),
        format!(
            "median {}, p95 {}",
            ms(bare_normal.p50),
            ms(bare_normal.p95)
        ),
        "—".into(),
    );
    {
        let w = generate(&sizes.full.clone().with_households(sizes.phone_households));
        let opts = gocua_store::StoreOptions {
            durability: gocua_store::Durability::Normal,
            ..Default::default()
        };
        let mut store =
            Store::open_with(&dir.join("replica-normal.sqlite"), opts).expect("open replica");
        store.load_ward(&w, |_, _| {}).expect("load");
        let s = record_visits(&mut store, &w, sizes.visits);
        let ratio = s.p50.as_secs_f64() / bare_normal.p50.as_secs_f64().max(1e-9);
        table.row(
            &format!(
                "record a visit, replica of {} households, synchronous=NORMAL",
                sizes.phone_households
            ),
            format!("same as below with Durability::Normal, n={}", s.n),
            format!(
                "median {}, p95 {}; {ratio:.1}× the NORMAL bare insert",
                ms(s.p50),
                ms(s.p95)
            ),
            "—".into(),
        );
    }
    // Encryption (SQLCipher, raw 256-bit key) against a plain file: the same visits into two
    // replicas of the same ward, alternating.
    for durability in [Durability::Full, Durability::Normal] {
        let w = generate(&sizes.full.clone().with_households(sizes.phone_households));
        let name = format!("{durability:?}").to_lowercase();
        let key = Key::random();
        let open = |file: &str, key: Option<Key>| {
            let mut s = Store::open_with(
                &dir.join(file),
                StoreOptions {
                    durability,
                    key,
                    ..Default::default()
                },
            )
            .expect("open replica");
            s.load_ward(&w, |_, _| {}).expect("load");
            s
        };
        let mut plain = open(&format!("plain-{name}.sqlite"), None);
        let mut encrypted = open(&format!("encrypted-{name}.sqlite"), Some(key.clone()));
        let (p, e) = record_visits_plain_vs_encrypted(&mut plain, &mut encrypted, &w, sizes.visits);
        let sync = match durability {
            Durability::Full => "synchronous=FULL",
            Durability::Normal | Durability::Grouped => "synchronous=NORMAL",
        };
        table.row(
            &format!(
                "record a visit, encrypted vs plain, replica of {} households, {sync}",
                sizes.phone_households
            ),
            format!(
                "the same random_visit into a plain and an encrypted (SQLCipher 4, raw key) replica, alternating, n={}",
                p.n
            ),
            format!(
                "plain median {}, p95 {}; encrypted median {}, p95 {}; encrypted {:.2}× plain",
                ms(p.p50),
                ms(p.p95),
                ms(e.p50),
                ms(e.p95),
                e.p50.as_secs_f64() / p.p50.as_secs_f64().max(1e-9)
            ),
            "—".into(),
        );
        if durability == Durability::Full {
            drop((plain, encrypted));
            let opens = 20;
            let po = open_time(&dir.join(format!("plain-{name}.sqlite")), None, opens);
            let eo = open_time(
                &dir.join(format!("encrypted-{name}.sqlite")),
                Some(&key),
                opens,
            );
            table.row(
                &format!(
                    "open a replica of {} households, encrypted vs plain",
                    sizes.phone_households
                ),
                format!("Store::open_with, key checked on page 1, median of {opens}"),
                format!("plain {}; encrypted {}", ms(po), ms(eo)),
                "—".into(),
            );
        }
    }
    let mut replicas: Vec<(usize, GeneratedWard, Store)> = Vec::new();
    for (i, n) in [sizes.phone_households, sizes.mid_households]
        .into_iter()
        .enumerate()
    {
        let w = generate(&sizes.full.clone().with_households(n));
        let mut store =
            Store::open(&dir.join(format!("replica-{i}.sqlite"))).expect("open replica");
        store.put_plan(&PlanEntry::for_ward(&w)).expect("put plan");
        store
            .upsert_households(&w.households, |_, _| {})
            .expect("import");
        replicas.push((n, w, store));
    }
    if let Some((w, store)) = full {
        replicas.push((sizes.full.households, w, store));
    }
    for (n, w, mut store) in replicas {
        if n == sizes.phone_households {
            let (change, read) = automerge_only(&store, &w, sizes.visits);
            table.row(
                "… of which the Automerge change",
                format!("household_doc::put_visit + commit + save_after on loaded documents, in memory, n={}", change.n),
                format!("median {}, p95 {}", ms(change.p50), ms(change.p95)),
                "—".into(),
            );
            table.row(
                "… of which reading the document back",
                format!(
                    "household_doc::read of the same documents, in memory, n={}",
                    read.n
                ),
                format!("median {}, p95 {}", ms(read.p50), ms(read.p95)),
                "—".into(),
            );
        }
        let s = record_visits(&mut store, &w, sizes.visits);
        let ratio = s.p50.as_secs_f64() / bare.p50.as_secs_f64().max(1e-9);
        table.row(
            &format!("record a visit, replica of {n} households"),
            format!(
                "Store::record_visit(random_visit) on random households, n={}",
                s.n
            ),
            format!(
                "median {}, p95 {}, max {}; {ratio:.1}× bare insert",
                ms(s.p50),
                ms(s.p95),
                ms(s.max)
            ),
            if n == sizes.phone_households {
                "a couple of ms; median ≤ 10× bare insert".into()
            } else {
                "flat in ward size".into()
            },
        );
    }
}

/// Times `n` visits, each to a random household by a member of the team holding its street, at
/// a random minute of today's visiting window. A few untimed visits first open the file's pages.
fn record_visits(store: &mut Store, w: &GeneratedWard, n: usize) -> Stats {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..(n / 20).max(1) {
        let (h, v, at) = pick_visit(&mut rng, w);
        store
            .record_visit(&random_visit(&mut rng, &h, &v, at))
            .expect("record visit");
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let (h, v, at) = pick_visit(&mut rng, w);
        let visit = random_visit(&mut rng, &h, &v, at);
        let t = Instant::now();
        store.record_visit(&visit).expect("record visit");
        times.push(t.elapsed());
    }
    Stats::of(&mut times)
}

/// A random household, a member of the team holding its street, and a minute of today's
/// visiting window.
fn pick_visit(rng: &mut StdRng, w: &GeneratedWard) -> (Household, Volunteer, Timestamp) {
    let today = WardSpec::full(0).today;
    let evening = Timestamp::from_local(today, time::Time::MIDNIGHT).0 + 18 * 3600;
    let h = &w.households[rng.gen_range(0..w.households.len())];
    let team = w
        .street_assignments
        .iter()
        .find(|(s, _)| *s == h.street)
        .map(|(_, a)| &a.team);
    let members: Vec<&Volunteer> = w
        .volunteers
        .iter()
        .filter(|v| v.team.as_ref() == team)
        .collect();
    let v = if members.is_empty() {
        &w.volunteers[0]
    } else {
        members[rng.gen_range(0..members.len())]
    };
    (
        h.clone(),
        v.clone(),
        Timestamp(evening + rng.gen_range(0..3 * 3600 + 1800)),
    )
}

/// The same `n` visits recorded into a plain and an encrypted replica of the same ward, one
/// after the other and in alternating order, so both see the same load: (plain, encrypted).
fn record_visits_plain_vs_encrypted(
    plain: &mut Store,
    encrypted: &mut Store,
    w: &GeneratedWard,
    n: usize,
) -> (Stats, Stats) {
    let mut rng = StdRng::seed_from_u64(11);
    let mut tp = Vec::with_capacity(n);
    let mut te = Vec::with_capacity(n);
    for i in 0..n + (n / 20).max(1) {
        let (h, v, at) = pick_visit(&mut rng, w);
        let visit = random_visit(&mut rng, &h, &v, at);
        let time = |store: &mut Store| {
            let t = Instant::now();
            store.record_visit(&visit).expect("record visit");
            t.elapsed()
        };
        let (p, e) = if i % 2 == 0 {
            let p = time(plain);
            (p, time(encrypted))
        } else {
            let e = time(encrypted);
            (time(plain), e)
        };
        // The first few only open the files' pages.
        if i >= (n / 20).max(1) {
            tp.push(p);
            te.push(e);
        }
    }
    (Stats::of(&mut tp), Stats::of(&mut te))
}

/// Median time to open a replica (and, encrypted, check its key), over `n` opens.
fn open_time(path: &Path, key: Option<&Key>, n: usize) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            let s = Store::open_with(
                path,
                StoreOptions {
                    key: key.cloned(),
                    ..Default::default()
                },
            )
            .expect("open");
            let d = t.elapsed();
            drop(s);
            d
        })
        .collect();
    Stats::of(&mut times).p50
}

/// The in-memory shares of a visit, with no SQLite at all: the change and its incremental bytes,
/// then reading the document into domain values, which the projection does on every write.
fn automerge_only(store: &Store, w: &GeneratedWard, n: usize) -> (Stats, Stats) {
    let mut rng = StdRng::seed_from_u64(11);
    let mut docs: Vec<(&Household, AutoCommit)> = w
        .households
        .iter()
        .take(64)
        .map(|h| {
            (
                h,
                store
                    .load(h.id.as_str())
                    .expect("load")
                    .expect("imported document"),
            )
        })
        .collect();
    let v = &w.volunteers[0];
    let at = Timestamp::from_local(WardSpec::full(0).today, time::Time::MIDNIGHT);
    let mut times = Vec::with_capacity(n);
    let mut reads = Vec::with_capacity(n);
    for _ in 0..n {
        let k = rng.gen_range(0..docs.len());
        let (h, doc) = &mut docs[k];
        let visit = random_visit(&mut rng, h, v, Timestamp(at.0 + 19 * 3600));
        let t = Instant::now();
        let before = doc.get_heads();
        household_doc::put_visit(doc, &visit).expect("put visit");
        doc.commit();
        std::hint::black_box(doc.save_after(&before));
        times.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(household_doc::read(doc, h.id.as_str()));
        reads.push(t.elapsed());
    }
    (Stats::of(&mut times), Stats::of(&mut reads))
}

/// The floor any durable local write pays: one small row per WAL transaction.
fn bare_inserts(path: &Path, n: usize, synchronous: &str) -> Stats {
    let conn = rusqlite::Connection::open(path).expect("open bare database");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.pragma_update(None, "synchronous", synchronous)
        .expect("synchronous");
    conn.execute_batch("CREATE TABLE visits (id TEXT PRIMARY KEY, household TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL)")
        .expect("create table");
    let mut rng = StdRng::seed_from_u64(1);
    let insert = |rng: &mut StdRng| {
        let id = format!("v-{:012x}", rng.r#gen::<u64>() >> 16);
        let household = format!("h-{:05}", rng.gen_range(1..10_000));
        let body: String = (0..270)
            .map(|_| char::from(b'a' + rng.gen_range(0..26)))
            .collect();
        let t = Instant::now();
        let tx = conn.unchecked_transaction().expect("begin");
        tx.execute(
            "INSERT INTO visits (id, household, at, body) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![id, household, 1_790_000_000i64, body],
        )
        .expect("insert");
        tx.commit().expect("commit");
        t.elapsed()
    };
    for _ in 0..(n / 20).max(1) {
        insert(&mut rng);
    }
    let mut times: Vec<Duration> = (0..n).map(|_| insert(&mut rng)).collect();
    Stats::of(&mut times)
}

/// The database file and its WAL.
fn file_size(path: &Path) -> u64 {
    let wal = path.with_extension("sqlite-wal");
    [path, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

struct Stats {
    n: usize,
    p50: Duration,
    p95: Duration,
    max: Duration,
}

impl Stats {
    fn of(times: &mut [Duration]) -> Stats {
        times.sort_unstable();
        let at = |q: f64| {
            times
                .get(((times.len().saturating_sub(1)) as f64 * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        Stats {
            n: times.len(),
            p50: at(0.5),
            p95: at(0.95),
            max: at(1.0),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[derive(Default)]
struct Table {
    rows: Vec<[String; 4]>,
    details: Vec<String>,
}

impl Table {
    fn row(&mut self, what: &str, setup: String, measured: String, target: String) {
        eprintln!("{what}: {measured}");
        self.rows.push([what.to_string(), setup, measured, target]);
    }

    fn detail(&mut self, line: String) {
        self.details.push(line);
    }

    fn print(&self, full_run: bool) {
        if !full_run {
            println!(
                "smoke run on a small ward (pass --bench, as `cargo bench` does, for figures)"
            );
        }
        println!("| step | setup | measured | target |");
        println!("| --- | --- | --- | --- |");
        for r in &self.rows {
            println!("| {} | {} | {} | {} |", r[0], r[1], r[2], r[3]);
        }
        for d in &self.details {
            println!("\n{d}");
        }
    }
}
