//! The province's view from the command line: `gocua hub report --to postgres://…` (a ward hub
//! pushes its report into the province's PostgreSQL), the `hub serve` options that make the hub
//! report by itself, and `gocua province` (the province's table of wards, in the reports' form).
//! Passwords come from `GOCUA_PROVINCE_PASSWORD` or a 0600 file, never from the command line.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use gocua_domain::{Lang, Timestamp};
use gocua_hub::Hub;
use gocua_province::{Outcome, Refusal, ReportOptions, Summary, Target};
use gocua_store::Store;

use crate::output::{Table, count, fraction};
use crate::{Global, at_rest};

fn t(lang: Lang, vi: &str, en: &str) -> String {
    lang.pick(vi, en).to_string()
}

/// A province error that keeps its own code for `--json` scripts.
fn coded(e: gocua_province::Error, lang: Lang) -> anyhow::Error {
    anyhow::Error::new(gocua_app::CommandError::new(e.code(), e.message(lang)))
}

/// `gocua hub report`.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The province's database: postgres://user@host:port/database[?sslmode=…&sslrootcert=…],
    /// without a password [default: $GOCUA_PROVINCE_URL].
    #[arg(long)]
    pub to: Option<String>,
    /// A file (mode 0600) holding the password [default: $GOCUA_PROVINCE_PASSWORD].
    #[arg(long, env = "GOCUA_PROVINCE_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Send every household row, even those the province already holds.
    #[arg(long)]
    pub full: bool,
}

/// The `hub serve` options for reporting by itself.
#[derive(Debug, Args, Clone, Default)]
pub struct ServeProvince {
    /// Report to this province database after each burst of syncs and on a timer (no password
    /// in it: see --province-password-file) [default: $GOCUA_PROVINCE_URL, when set].
    #[arg(long, env = "GOCUA_PROVINCE_URL", value_name = "POSTGRES_URL")]
    pub province: Option<String>,
    /// A file (mode 0600) holding that database's password [default: $GOCUA_PROVINCE_PASSWORD].
    #[arg(long, env = "GOCUA_PROVINCE_PASSWORD_FILE")]
    pub province_password_file: Option<PathBuf>,
    /// Report once syncing has been quiet this many seconds (0: not after syncs).
    #[arg(long, default_value_t = 120)]
    pub province_quiet: u64,
    /// Report at least every this many minutes (0: no timer).
    #[arg(long, default_value_t = 60)]
    pub province_every: u64,
}

fn now(g: &Global) -> Timestamp {
    g.now.unwrap_or_else(|| Timestamp(gocua_hub::server::now()))
}

fn summary_line(s: &Summary, lang: Lang) -> String {
    let kind = if s.full {
        t(lang, "đầy đủ", "full")
    } else {
        t(lang, "phần thay đổi", "changes only")
    };
    let tls = if s.tls {
        t(lang, "kết nối mã hóa TLS", "over TLS")
    } else {
        t(lang, "kết nối KHÔNG mã hóa", "NOT encrypted")
    };
    match &s.outcome {
        Outcome::Applied | Outcome::AlreadyApplied => format!(
            "{} {} ({kind}, {}): {} {} / {}, {} {}; {tls}.",
            t(lang, "Đã gửi báo cáo số", "Sent report"),
            s.seq,
            s.ward_code,
            count(s.households_sent as u32, lang),
            t(lang, "hộ gửi", "households sent"),
            count(s.households_total, lang),
            count(s.households_removed as u32, lang),
            t(lang, "hộ bỏ", "removed"),
        ),
        Outcome::Refused(Refusal::OlderData {
            held_seq,
            held_events,
        }) => format!(
            "{} {held_seq}, {held_events} {}",
            t(
                lang,
                "Tỉnh không nhận: dữ liệu của máy chủ này cũ hơn báo cáo tỉnh đang giữ (có thể máy chủ vừa khôi phục từ bản sao lưu cũ). Số liệu của tỉnh giữ nguyên; máy chủ sẽ báo lại khi đã đồng bộ đủ. Tỉnh đang giữ báo cáo số",
                "The province refused: this hub's data is older than the report it holds (a hub restored from an old backup?). The province's figures stay; the hub reports again once its phones have synced. Held: report",
            ),
            t(lang, "sự kiện.", "events."),
        ),
        Outcome::Refused(Refusal::OtherHub { .. }) => format!(
            "{} ({})",
            t(
                lang,
                "Tỉnh không nhận: một máy chủ khác đang báo cáo cho phường này. Hãy liên hệ tỉnh",
                "The province refused: another hub reports for this ward. Contact the province",
            ),
            s.ward_code
        ),
        Outcome::Refused(r) => format!(
            "{} ({})",
            t(
                lang,
                "Tỉnh không nhận báo cáo",
                "The province refused the report"
            ),
            r.code()
        ),
    }
}

/// `gocua hub report --to …`: builds the report from the hub's replica (also while the hub
/// serves: SQLite's WAL lets both work), queues it, sends it.
pub fn hub_report(a: ReportArgs, g: &Global) -> Result<()> {
    let lang = g.lang();
    let target = Target::from_env(a.to.as_deref(), a.password_file.as_deref())
        .map_err(|e| coded(e, lang))?;
    let db = g.db_or("gocua.sqlite");
    let store: Arc<Mutex<Store>> = Arc::new(Mutex::new(at_rest::open_store(g, &db)?));
    let at = now(g);
    let opts = ReportOptions {
        as_of: at.local_date(),
        now: at.0,
        full: a.full,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let summary = rt
        .block_on(gocua_province::report(&store, &target, opts))
        .map_err(|e| coded(e, lang))?;
    if g.json {
        println!(
            "{}",
            serde_json::json!({
                "ward": summary.ward_code,
                "seq": summary.seq,
                "full": summary.full,
                "households_sent": summary.households_sent,
                "households_removed": summary.households_removed,
                "households_total": summary.households_total,
                "outcome": match &summary.outcome {
                    Outcome::Applied => "applied",
                    Outcome::AlreadyApplied => "already_applied",
                    Outcome::Refused(r) => r.code(),
                },
                "tls": summary.tls,
                "migrated": summary.migrated,
            })
        );
    } else {
        for m in &summary.migrated {
            println!(
                "{} {m}",
                t(
                    lang,
                    "Đã cập nhật lược đồ tỉnh:",
                    "Province schema migrated:"
                )
            );
        }
        println!("{}", summary_line(&summary, lang));
    }
    Ok(())
}

/// The hub's store, as the report job reaches it.
struct HubStore(Arc<Hub>);

impl gocua_province::StoreAccess for HubStore {
    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut guard = self.0.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

/// Starts the hub's report job when `hub serve` was given a province database.
pub fn spawn_for_hub(
    hub: Arc<Hub>,
    p: &ServeProvince,
    pinned_now: Option<Timestamp>,
    lang: Lang,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(url) = &p.province else {
        return Ok(None);
    };
    let target = Target::from_env(Some(url), p.province_password_file.as_deref())
        .map_err(|e| coded(e, lang))?;
    let schedule = gocua_province::Schedule {
        after_quiet: (p.province_quiet > 0).then(|| Duration::from_secs(p.province_quiet)),
        every: (p.province_every > 0).then(|| Duration::from_secs(p.province_every * 60)),
        ..Default::default()
    };
    println!(
        "{} {}",
        t(lang, "Báo cáo lên tỉnh:", "Reporting to the province:"),
        target.shown
    );
    let handle = gocua_province::spawn_reporter(
        Arc::new(HubStore(hub)),
        target,
        schedule,
        move || {
            let at = pinned_now.unwrap_or_else(|| Timestamp(gocua_hub::server::now()));
            (at.local_date(), at.0)
        },
        move |r| match r {
            Ok(s) => println!("{}", summary_line(s, lang)),
            Err(e) => eprintln!(
                "{} {}",
                t(
                    lang,
                    "Báo cáo lên tỉnh chưa gửi được:",
                    "Province report not sent:"
                ),
                e.message(lang)
            ),
        },
    );
    Ok(Some(handle))
}

/// `gocua province`.
#[derive(Debug, Args, Clone)]
pub struct ProvinceArgs {
    /// The province's database [default: $GOCUA_PROVINCE_URL].
    #[arg(long)]
    pub url: Option<String>,
    /// A file (mode 0600) holding the password [default: $GOCUA_PROVINCE_PASSWORD].
    #[arg(long, env = "GOCUA_PROVINCE_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Also print the province's figures day by day.
    #[arg(long)]
    pub daily: bool,
    /// Only create or update the schema (the province's first step), then stop.
    #[arg(long)]
    pub migrate: bool,
}

fn n(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// Prints the province's table of wards, ranked, in the reports' form.
pub fn province(a: ProvinceArgs, g: &Global) -> Result<()> {
    let lang = g.lang();
    let target = Target::from_env(a.url.as_deref(), a.password_file.as_deref())
        .map_err(|e| coded(e, lang))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let table = rt
        .block_on(async {
            let mut client = target.connect().await?;
            let applied = gocua_province::schema::migrate(&mut client).await?;
            if a.migrate {
                return Ok(Err(applied));
            }
            gocua_province::view::table(&client).await.map(Ok)
        })
        .map_err(|e| coded(e, lang))?;
    let table = match table {
        Ok(t) => t,
        Err(applied) => {
            println!(
                "{} {} ({})",
                t(
                    lang,
                    "Lược đồ tỉnh ở phiên bản",
                    "Province schema at version"
                ),
                gocua_province::schema::LATEST,
                if applied.is_empty() {
                    t(lang, "không cần cập nhật", "nothing to do")
                } else {
                    applied.join(", ")
                }
            );
            return Ok(());
        }
    };
    if g.json {
        println!("{}", serde_json::to_string(&table)?);
        return Ok(());
    }
    let mut tb = Table::new(&[
        ("#", true),
        (&t(lang, "Phường, xã", "Ward"), false),
        (&t(lang, "Hộ đã thăm", "Visited"), true),
        (&t(lang, "Đủ tuổi", "Eligible"), true),
        (&t(lang, "CCCD", "Chip ID"), true),
        (&t(lang, "Hồ sơ mức 2", "Level 2"), true),
        (&t(lang, "Đã kích hoạt", "Activated"), true),
        (&t(lang, "So với chỉ tiêu", "Of target"), true),
        (&t(lang, "Hộ còn việc", "Open households"), true),
        (&t(lang, "Số liệu ngày", "As of"), false),
        ("", false),
    ]);
    let behind = t(lang, "chậm tiến độ", "behind");
    for w in &table.wards {
        tb.row(vec![
            w.rank.to_string(),
            w.ward_name.clone(),
            format!(
                "{} / {}",
                count(n(w.visited_households), lang),
                count(n(w.households), lang)
            ),
            count(n(w.eligible), lang),
            count(n(w.cccd), lang),
            count(n(w.level2), lang),
            fraction(n(w.activated), n(w.eligible), lang),
            w.target_activated
                .map(|tg| fraction(n(w.activated), n(tg), lang))
                .unwrap_or_default(),
            count(n(w.open_households), lang),
            gocua_domain::time::format_date(w.as_of),
            if w.behind {
                behind.clone()
            } else {
                String::new()
            },
        ]);
    }
    let s = &table.totals;
    tb.row(vec![
        String::new(),
        format!(
            "{} ({} {})",
            t(lang, "Toàn tỉnh", "Province"),
            count(n(s.wards), lang),
            t(lang, "phường, xã", "wards")
        ),
        format!(
            "{} / {}",
            count(n(s.visited_households), lang),
            count(n(s.households), lang)
        ),
        count(n(s.eligible), lang),
        count(n(s.cccd), lang),
        count(n(s.level2), lang),
        fraction(n(s.activated), n(s.eligible), lang),
        fraction(n(s.activated), n(s.target_activated), lang),
        count(n(s.open_households), lang),
        String::new(),
        String::new(),
    ]);
    print!("{}", tb.render());
    if a.daily {
        println!();
        let mut d = Table::new(&[
            (&t(lang, "Ngày", "Day"), false),
            (&t(lang, "Số phường", "Wards"), true),
            (&t(lang, "Lượt thăm", "Visits"), true),
            (&t(lang, "Hộ được thăm", "Households visited"), true),
            (&t(lang, "Hồ sơ mức 2 mới", "New level 2"), true),
            (&t(lang, "Kích hoạt mới", "New activations"), true),
            (&t(lang, "Kích hoạt lũy kế", "Activated so far"), true),
        ]);
        for r in &table.trend {
            d.row(vec![
                gocua_domain::time::format_date(r.day),
                count(n(r.wards), lang),
                count(n(r.visits), lang),
                count(n(r.households_visited), lang),
                count(n(r.new_level2), lang),
                count(n(r.new_activations), lang),
                count(n(r.cumulative_activated), lang),
            ]);
        }
        print!("{}", d.render());
    }
    Ok(())
}
