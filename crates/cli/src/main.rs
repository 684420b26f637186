//! The `gocua` command: every action of the command table from a terminal (create a ward,
//! import lists, record visits, progress and leaderboards), the demo ward, and the hub.

mod at_rest;
mod net;
mod output;
mod phone;
mod province;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use gocua_app::commands::{
    AssignHousehold, AssignStreet, BookRevisit, ByTeam, Correct, CreateWard, FlagHardCase,
    GenerateDemo, GetHousehold, Import, ListHouseholds, ListStreets, ProgressBy, RecordVisit,
    RemoveTeamSchedule, RevisitArgs, Search, SetIdentity, SetTeamSchedule, UnflagHardCase,
};
use gocua_app::queries::{Dimension, HouseholdFilter};
use gocua_app::{App, Command, CommandError, ProgressEvent, Response, Stage};
use gocua_domain::{
    Activation, Blocker, CccdStatus, Funnel, HouseholdOutcome, Lang, ResidentAction, Role, Targets,
    Timestamp,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Options every subcommand takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Replica file [default: gocua.sqlite; for `demo`, demo-data/ward.sqlite].
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Print the command's result as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Key file of an encrypted replica (the key itself never goes on the command line)
    /// [default: FILE.key beside --db, when it exists; `pair` makes it].
    #[arg(long, global = true, env = "GOCUA_KEY_FILE", value_name = "KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Language of messages and tables: vi or en [default: vi].
    #[arg(long, global = true, env = "GOCUA_LANG", value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Pins "now" (Vietnam local "YYYY-MM-DD HH:MM") for reproducible demos and tests.
    #[arg(long, global = true, env = "GOCUA_NOW", hide = true, value_parser = parse_time)]
    pub now: Option<Timestamp>,
}

impl Global {
    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_default()
    }

    pub fn db_or(&self, default: &str) -> PathBuf {
        self.db.clone().unwrap_or_else(|| PathBuf::from(default))
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "gocua",
    version,
    about = "Gõ Cửa: đi từng ngõ, gõ từng nhà — CCCD và VNeID cho mọi người dân"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create the ward and its campaign (tạo phường và chiến dịch).
    Init(InitArgs),
    /// Import a household list, .csv or .xlsx (nhập danh sách hộ).
    Import(ImportArgs),
    /// Create the realistic demo ward and show its progress (phường mẫu).
    Demo(DemoArgs),
    /// Write a generated household list, as the residence registry hands them out, to .xlsx
    /// or .csv, with planted broken rows (tạo danh sách mẫu).
    GenList(GenListArgs),
    /// Streets and alleys with their progress (đường, ngõ).
    Streets(StreetsArgs),
    /// Households, easy ones first (danh sách hộ, dễ làm trước).
    Households(HouseholdsArgs),
    /// One household: residents and visits (chi tiết hộ).
    Household { id: String },
    /// Record a visit (ghi lượt thăm).
    Visit(VisitArgs),
    /// Book a return visit (hẹn lại).
    Revisit(RevisitCmd),
    /// Correct a resident's progress; leads and the office only (điều chỉnh).
    Correct(CorrectArgs),
    /// Assign a street or a household to a team (phân công).
    Assign(AssignArgs),
    /// Progress against targets (tiến độ).
    Progress(ByArgs),
    /// Rankings between teams, volunteers or organisations (thi đua).
    Leaderboard(ByArgs),
    /// Figures for each day of the campaign (theo ngày).
    Daily,
    /// The steering committee's report as an XLSX workbook (báo cáo): every breakdown and the
    /// daily figures.
    Report {
        /// Where to write the workbook.
        #[arg(long)]
        xlsx: PathBuf,
    },
    /// Find residents by name, diacritics optional (tìm người dân).
    Search(SearchArgs),
    /// Rebuild the query tables from the documents (dựng lại).
    Rebuild,
    /// Hard cases: flag a household and route it to the mobile team, clear it, list them
    /// (hộ khó, tổ lưu động); flagging is for leads and the office.
    #[command(subcommand)]
    HardCase(HardCaseCmd),
    /// A team's schedule: add or change a session, remove one, list them (lịch làm việc).
    #[command(subcommand)]
    Schedule(ScheduleCmd),
    /// The team board: each member's households, visits, level-2 applications, activations
    /// and quota, and today's visits (bảng theo dõi của tổ).
    Board(TeamArg),
    /// Who this replica's user is (tôi là ai).
    Whoami,
    /// Set who uses an unpaired replica (đặt danh tính); a paired one is who the hub says.
    Identity(IdentityArgs),
    /// Run the ward-office hub (máy chủ phường).
    Hub(net::HubArgs),
    /// Pair this replica with a hub from its QR payload (ghép nối).
    Pair(net::PairArgs),
    /// Sync with the paired hub (đồng bộ).
    Sync(net::SyncArgs),
    /// Restore this replica from a backup file; it gets a new actor id (khôi phục).
    Restore(net::RestoreArgs),
    /// Encrypt this replica in place with --key-file, made if missing (mã hóa).
    Encrypt(at_rest::EncryptArgs),
    /// The phone app in a desktop browser: a phone replica and the UI on loopback (điện thoại).
    Phone(phone::PhoneArgs),
    /// Teams, their leads and volunteers (tổ công tác).
    Team(TeamArgs),
    /// The province's table: every ward's progress side by side, from the province's
    /// PostgreSQL that the ward hubs report into (toàn tỉnh).
    Province(province::ProvinceArgs),
}

#[derive(clap::Args, Debug)]
struct TeamArgs {
    #[command(subcommand)]
    cmd: TeamCmd,
}

#[derive(clap::Subcommand, Debug)]
enum TeamCmd {
    /// Every team with its lead and volunteers (and the volunteers in no team).
    List,
}

#[derive(clap::Args, Debug)]
struct InitArgs {
    /// e.g. "Phường Trúc Bạch".
    #[arg(long)]
    ward_name: String,
    /// e.g. "Quận Ba Đình, Hà Nội".
    #[arg(long, default_value = "")]
    district: String,
    /// e.g. "90 ngày, đêm".
    #[arg(long)]
    campaign: String,
    /// First day, YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    start: time::Date,
    /// Last day, YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    end: time::Date,
    #[arg(long, default_value_t = 0)]
    target_cccd: u32,
    #[arg(long, default_value_t = 0)]
    target_level2: u32,
    #[arg(long, default_value_t = 0)]
    target_activated: u32,
    /// Citizens this old or older count towards targets [default: 14].
    #[arg(long)]
    eligible_age: Option<u8>,
    /// Per-person quota, 20 for "1×20" [default: 20].
    #[arg(long)]
    quota: Option<u32>,
}

#[derive(clap::Args, Debug)]
struct ImportArgs {
    file: PathBuf,
    /// Import the valid rows even if some rows have errors.
    #[arg(long)]
    accept_valid_rows: bool,
}

#[derive(clap::Args, Debug)]
struct DemoArgs {
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Homes to generate [default: 10000].
    #[arg(long)]
    households: Option<usize>,
    /// Do not start the hub afterwards.
    #[arg(long)]
    no_serve: bool,
}

#[derive(clap::Args, Debug)]
struct GenListArgs {
    /// Only "registry" (DANH SÁCH NHÂN KHẨU: relationship column, one-string addresses).
    #[arg(long, default_value = "registry")]
    shape: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 200)]
    households: usize,
    /// Broken rows to plant; their row numbers and error codes are printed.
    #[arg(long, default_value_t = 0)]
    broken: usize,
    /// Leave out the relationship column: households come from addresses.
    #[arg(long)]
    no_relationship: bool,
    /// Clean text: no title rows, no merged cells, numbers as text, NFC names, text dates.
    #[arg(long)]
    clean: bool,
    /// .xlsx or .csv.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct StreetsArgs {
    #[arg(long)]
    team: Option<String>,
}

#[derive(clap::Args, Debug)]
struct HouseholdsArgs {
    #[arg(long)]
    team: Option<String>,
    #[arg(long)]
    volunteer: Option<String>,
    #[arg(long)]
    street: Option<String>,
    #[arg(long)]
    group: Option<String>,
    /// A resident's name or a house number.
    #[arg(long)]
    search: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(clap::Args, Debug)]
struct VisitArgs {
    household: String,
    /// met | nobody_home | refused | session
    #[arg(long, value_parser = parse_outcome)]
    outcome: HouseholdOutcome,
    /// RID:item,item… with items cccd=none|applied|has, level2, activation=level1|level2,
    /// guided, or a blocker code (no_smartphone, away, …).
    #[arg(long = "resident", value_name = "SPEC")]
    residents: Vec<String>,
    /// A household blocker code (nobody_home, refused, …).
    #[arg(long = "blocker", value_name = "CODE", value_parser = parse_blocker)]
    blockers: Vec<Blocker>,
    #[arg(long, default_value = "")]
    note: String,
    /// Local time "YYYY-MM-DD HH:MM" [default: now].
    #[arg(long, value_parser = parse_time)]
    at: Option<Timestamp>,
    /// Book a return at this local time.
    #[arg(long, value_parser = parse_time)]
    revisit_at: Option<Timestamp>,
    #[arg(long, default_value = "")]
    revisit_note: String,
    /// Record for another volunteer (leads and the office: paper forms).
    #[arg(long)]
    volunteer: Option<String>,
}

#[derive(clap::Args, Debug)]
struct RevisitCmd {
    household: String,
    /// Local time "YYYY-MM-DD HH:MM", inside the visiting window.
    #[arg(long, value_parser = parse_time)]
    at: Timestamp,
    #[arg(long, default_value = "")]
    note: String,
}

#[derive(clap::Args, Debug)]
struct CorrectArgs {
    household: String,
    resident: String,
    /// The true state: none, or items cccd=…, level2, activation=…, guided.
    #[arg(long)]
    set: String,
    #[arg(long)]
    reason: String,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum AssignKind {
    Street,
    Household,
}

#[derive(clap::Args, Debug)]
struct AssignArgs {
    kind: AssignKind,
    id: String,
    /// The team; for a household, leave out to hand it back to its street's team.
    #[arg(long)]
    team: Option<String>,
    #[arg(long)]
    volunteer: Option<String>,
}

#[derive(Subcommand, Debug)]
enum HardCaseCmd {
    /// Flag a household (đánh dấu hộ khó) and hand it to a mobile team.
    Flag {
        household: String,
        /// elderly | bedridden | disabled | needs_interpreter (repeat or separate by commas).
        #[arg(long = "reason", required = true, value_delimiter = ',', value_parser = parse_hard_case)]
        reasons: Vec<gocua_domain::HardCase>,
        #[arg(long, default_value = "")]
        note: String,
        /// The mobile team; needed when the ward has several.
        #[arg(long)]
        to_team: Option<String>,
    },
    /// Clear reasons (all without --reason); --hand-back returns it to its street's team.
    Unflag {
        household: String,
        #[arg(long = "reason", value_delimiter = ',', value_parser = parse_hard_case)]
        reasons: Vec<gocua_domain::HardCase>,
        #[arg(long)]
        hand_back: bool,
    },
    /// Flagged households, open ones first.
    List(TeamArg),
}

#[derive(Subcommand, Debug)]
enum ScheduleCmd {
    /// Add a session, or change one with --id.
    Set {
        #[arg(long)]
        team: String,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        date: time::Date,
        /// HH:MM.
        #[arg(long, value_parser = parse_hm)]
        start: time::Time,
        /// HH:MM.
        #[arg(long, value_parser = parse_hm)]
        end: time::Time,
        #[arg(long)]
        place: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        id: Option<String>,
    },
    /// Remove a session.
    Remove { id: String },
    /// Sessions by date and time.
    List(TeamArg),
}

#[derive(clap::Args, Debug)]
struct TeamArg {
    /// The team [default: every team; for `board`, this device's team].
    #[arg(long)]
    team: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ByArgs {
    /// ward | group | street | team | volunteer | org
    #[arg(long, value_parser = parse_dimension)]
    by: Option<Dimension>,
}

#[derive(clap::Args, Debug)]
struct SearchArgs {
    query: String,
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

#[derive(clap::Args, Debug)]
struct IdentityArgs {
    /// volunteer | lead | office
    #[arg(long, value_parser = parse_role)]
    role: Role,
    #[arg(long)]
    team: Option<String>,
    #[arg(long)]
    volunteer: Option<String>,
    #[arg(long)]
    device: Option<String>,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("expected vi or en, got {s:?}"))
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_local(s).map_err(|e| e.message(Lang::En))
}

fn parse_hm(s: &str) -> Result<time::Time, String> {
    gocua_domain::time::parse_hm(s).ok_or_else(|| format!("expected HH:MM, got {s:?}"))
}

fn parse_hard_case(s: &str) -> Result<gocua_domain::HardCase, String> {
    gocua_domain::HardCase::parse(s).ok_or_else(|| {
        let all: Vec<&str> = gocua_domain::HardCase::ALL
            .iter()
            .map(|c| c.code())
            .collect();
        format!("expected one of {}", all.join(", "))
    })
}

fn parse_date(s: &str) -> Result<time::Date, String> {
    gocua_domain::time::parse_date(s).map_err(|e| e.message(Lang::En))
}

fn parse_outcome(s: &str) -> Result<HouseholdOutcome, String> {
    HouseholdOutcome::parse(s)
        .ok_or_else(|| format!("expected met, nobody_home, refused or session, got {s:?}"))
}

fn parse_blocker(s: &str) -> Result<Blocker, String> {
    Blocker::parse(s).ok_or_else(|| {
        let codes: Vec<&str> = Blocker::ALL.iter().map(|b| b.code()).collect();
        format!("unknown blocker {s:?}; known: {}", codes.join(", "))
    })
}

fn parse_dimension(s: &str) -> Result<Dimension, String> {
    Dimension::parse(s)
        .ok_or_else(|| format!("expected ward, group, street, team, volunteer or org, got {s:?}"))
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("expected volunteer, lead or office, got {s:?}"))
}

/// Parses funnel items: `cccd=none|applied|has`, `level2`, `activation=none|level1|level2`,
/// `guided`, `none`; anything else is handed to `other` (blockers, for residents).
fn parse_funnel_items(items: &str, mut other: impl FnMut(&str) -> bool) -> Result<Funnel, String> {
    let mut f = Funnel::default();
    for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        match item.split_once('=') {
            Some(("cccd", v)) => {
                f.cccd = match v {
                    "none" => CccdStatus::None,
                    "applied" => CccdStatus::Applied,
                    "has" => CccdStatus::Has,
                    _ => return Err(format!("cccd={v}: expected none, applied or has")),
                }
            }
            Some(("activation", v)) => {
                f.activation = match v {
                    "none" => Activation::None,
                    "level1" => Activation::Level1,
                    "level2" => Activation::Level2,
                    _ => return Err(format!("activation={v}: expected none, level1 or level2")),
                }
            }
            None if item == "level2" => f.level2_collected = true,
            None if item == "guided" => f.guided = true,
            None if item == "none" => {}
            _ if other(item) => {}
            _ => return Err(format!("unknown item {item:?}")),
        }
    }
    Ok(f)
}

/// `RID:item,item…` → what the visit did for that resident.
fn parse_resident(spec: &str) -> Result<ResidentAction, String> {
    let (rid, items) = spec.split_once(':').unwrap_or((spec, ""));
    let resident = gocua_domain::ResidentId::parse(rid).map_err(|e| e.message(Lang::En))?;
    let mut blockers = Vec::new();
    let reached = parse_funnel_items(items, |item| match Blocker::parse(item) {
        Some(b) => {
            blockers.push(b);
            true
        }
        None => false,
    })?;
    Ok(ResidentAction {
        resident,
        reached,
        blockers,
        note: String::new(),
    })
}

/// Why the command failed, and how to exit.
enum CliError {
    /// Bad usage: exit code 2.
    Usage(String),
    Command(CommandError),
    Other(anyhow::Error),
}

impl From<CommandError> for CliError {
    fn from(e: CommandError) -> Self {
        CliError::Command(e)
    }
}

impl From<gocua_app::Error> for CliError {
    fn from(e: gocua_app::Error) -> Self {
        CliError::Command(e.into())
    }
}

/// Parses an id argument, as a usage error in the user's language.
fn id<T: TryFrom<String, Error = gocua_domain::Error>>(s: &str, lang: Lang) -> Result<T, CliError> {
    T::try_from(s.trim().to_string()).map_err(|e| CliError::Usage(e.message(lang)))
}

fn opt_id<T: TryFrom<String, Error = gocua_domain::Error>>(
    s: Option<&String>,
    lang: Lang,
) -> Result<Option<T>, CliError> {
    s.map(|s| id(s, lang)).transpose()
}

/// An error from the network, hub or store side as `{code, message}`: each kind keeps its own
/// stable code for scripts (`--json`); only what none of them knows is `unexpected`.
fn stable_error(e: anyhow::Error, lang: Lang) -> CommandError {
    let e = match e.downcast::<CommandError>() {
        Ok(c) => return c,
        Err(e) => e,
    };
    let e = match e.downcast::<gocua_store::Error>() {
        Ok(s) => return CommandError::new(s.code(), s.message(lang)),
        Err(e) => e,
    };
    let e = match e.downcast::<gocua_hub::run::HubError>() {
        Ok(h) => return CommandError::new(h.code(), h.message(lang)),
        Err(e) => e,
    };
    match e.downcast::<gocua_client::ClientError>() {
        Ok(c) => CommandError::new(&c.code(), c.message(lang)),
        Err(e) => CommandError::new("unexpected", format!("{e:#}")),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let g = cli.global.clone();
    let lang = g.lang();
    let (code, status) = match run(cli) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(CliError::Usage(m)) => (CommandError::new("usage", m), 2),
        Err(CliError::Command(e)) => (e, 1),
        Err(CliError::Other(e)) => (stable_error(e, lang), 1),
    };
    if g.json {
        let body = serde_json::json!({ "error": { "code": code.code, "message": code.message } });
        println!("{body}");
    } else {
        eprintln!("{} {}", lang.pick("Lỗi:", "Error:"), code.message);
    }
    ExitCode::from(status)
}

fn run(cli: Cli) -> Result<(), CliError> {
    let g = &cli.global;
    let lang = g.lang();
    let (cmd, ctx) = match cli.cmd {
        Cmd::Hub(a) => return net::hub(a, g).map_err(CliError::Other),
        Cmd::Pair(a) => return net::pair(a, g).map_err(CliError::Other),
        Cmd::Sync(a) => return net::sync(a, g).map_err(CliError::Other),
        Cmd::Restore(a) => return net::restore(a, g).map_err(CliError::Other),
        Cmd::Encrypt(a) => return at_rest::encrypt(a, g).map_err(CliError::Other),
        Cmd::Phone(a) => return phone::run(a, g).map_err(CliError::Other),
        Cmd::Province(a) => return province::province(a, g).map_err(CliError::Other),
        Cmd::Demo(a) => return demo(a, g),
        Cmd::GenList(a) => return gen_list(a).map_err(CliError::Other),
        Cmd::Report { xlsx } => return report(&xlsx, g),
        other => to_command(other, lang)?,
    };
    let db = g.db_or("gocua.sqlite");
    let creates = matches!(
        cmd,
        Command::CreateWard(_) | Command::Import(_) | Command::SetIdentity(_)
    );
    if !creates && !db.exists() {
        return Err(CliError::Command(no_database(&db, lang)));
    }
    let mut app = open(&db, g)?;
    let ctx = output::Context {
        today: app.today(),
        ..ctx
    };
    let mut response = execute(&mut app, cmd, g)?;
    if let (Some(limit), Response::Households(rows)) = (ctx.cut, &mut response) {
        // One row more than asked was fetched: if it came, the list was cut, and the user is
        // told on stderr (stdout stays the rows, or a plain JSON array, for scripts).
        if rows.len() > limit {
            rows.truncate(limit);
            eprintln!(
                "{}",
                lang.pick(
                    &format!("Chỉ hiện {limit} hộ đầu tiên; còn nữa. Dùng --limit để xem thêm."),
                    &format!("Showing the first {limit} households; there are more. Use --limit to see more."),
                )
            );
        }
    }
    print(&response, g, &ctx);
    Ok(())
}

/// `gocua report --xlsx FILE`.
fn report(out: &Path, g: &Global) -> Result<(), CliError> {
    let lang = g.lang();
    let db = g.db_or("gocua.sqlite");
    if !db.exists() {
        return Err(CliError::Command(no_database(&db, lang)));
    }
    let app = open(&db, g)?;
    let bytes = app
        .report_xlsx(lang)
        .map_err(|e| CliError::Command(e.to_command_error(lang)))?;
    std::fs::write(out, bytes)
        .map_err(|e| CliError::Other(anyhow::anyhow!("{}: {e}", out.display())))?;
    if g.json {
        println!("{}", serde_json::json!({"xlsx": out.display().to_string()}));
    } else {
        println!(
            "{} {}",
            lang.pick("Đã ghi báo cáo:", "Report written:"),
            out.display()
        );
    }
    Ok(())
}

fn no_database(db: &Path, lang: Lang) -> CommandError {
    let p = db.display();
    CommandError::new(
        "no_database",
        match lang {
            Lang::Vi => format!(
                "Chưa có tệp dữ liệu {p}: hãy chạy \"gocua init\" hoặc \"gocua demo\", hoặc chọn tệp bằng --db"
            ),
            Lang::En => format!(
                "No replica at {p}: run \"gocua init\" or \"gocua demo\", or pick a file with --db"
            ),
        },
    )
}

fn open(db: &Path, g: &Global) -> Result<App, CliError> {
    let store = at_rest::open_store(g, db).map_err(CliError::Other)?;
    let mut app = App::new(store, g.lang())?;
    app.set_clock(g.now);
    Ok(app)
}

/// Runs a command with progress bars on stderr.
fn execute(app: &mut App, cmd: Command, g: &Global) -> Result<Response, CliError> {
    let lang = g.lang();
    let mut bar: Option<(Stage, ProgressBar)> = None;
    let mut on_progress = |e: ProgressEvent| {
        if bar.as_ref().map(|(s, _)| *s) != Some(e.stage) {
            if let Some((_, b)) = bar.take() {
                b.finish();
            }
            let b = ProgressBar::new(e.total).with_style(
                ProgressStyle::with_template("{msg:24} [{bar:30}] {pos}/{len} {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.set_message(e.stage.label(lang));
            bar = Some((e.stage, b));
        }
        if let Some((_, b)) = &bar {
            b.set_length(e.total);
            b.set_position(e.done);
        }
    };
    let result = app.execute(cmd, &mut on_progress);
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
    Ok(result?)
}

fn print(response: &Response, g: &Global, ctx: &output::Context) {
    let text = if g.json {
        let mut s = serde_json::to_string_pretty(response)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    } else {
        output::render(response, g.lang(), ctx)
    };
    // A closed pipe (`gocua households | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// Turns a subcommand into a command of the table, with what its output needs.
fn to_command(cmd: Cmd, lang: Lang) -> Result<(Command, output::Context), CliError> {
    let mut ctx = output::Context {
        by: Dimension::Ward,
        ranked: false,
        today: time::Date::MIN,
        cut: None,
    };
    let cmd = match cmd {
        Cmd::Init(a) => Command::CreateWard(CreateWard {
            ward_name: a.ward_name,
            district: a.district,
            campaign: a.campaign,
            start: a.start,
            end: a.end,
            targets: Targets {
                cccd: a.target_cccd,
                level2: a.target_level2,
                activated: a.target_activated,
            },
            eligible_age: a.eligible_age,
            quota_per_volunteer: a.quota,
        }),
        Cmd::Import(a) => Command::Import(Import {
            path: a.file,
            accept_valid_rows: a.accept_valid_rows,
        }),
        Cmd::Streets(a) => Command::ListStreets(ListStreets {
            team: opt_id(a.team.as_ref(), lang)?,
        }),
        Cmd::Households(a) => {
            ctx.cut = Some(a.limit);
            Command::ListHouseholds(ListHouseholds {
                filter: HouseholdFilter {
                    team: opt_id(a.team.as_ref(), lang)?,
                    volunteer: opt_id(a.volunteer.as_ref(), lang)?,
                    street: opt_id(a.street.as_ref(), lang)?,
                    group: opt_id(a.group.as_ref(), lang)?,
                    search: a.search,
                    // One more than shown, to know whether the list was cut.
                    limit: Some(a.limit.saturating_add(1)),
                },
            })
        }
        Cmd::Household { id: h } => Command::HouseholdDetail(GetHousehold { id: id(&h, lang)? }),
        Cmd::Visit(a) => {
            let residents = a
                .residents
                .iter()
                .map(|s| {
                    parse_resident(s).map_err(|e| CliError::Usage(format!("--resident {s}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Command::RecordVisit(RecordVisit {
                household: id(&a.household, lang)?,
                outcome: a.outcome,
                residents,
                household_blockers: a.blockers,
                note: a.note,
                at: a.at,
                revisit: a.revisit_at.map(|at| RevisitArgs {
                    at,
                    note: a.revisit_note,
                }),
                volunteer: opt_id(a.volunteer.as_ref(), lang)?,
                id: None,
            })
        }
        Cmd::Revisit(a) => Command::BookRevisit(BookRevisit {
            household: id(&a.household, lang)?,
            at: a.at,
            note: a.note,
        }),
        Cmd::Correct(a) => Command::Correct(Correct {
            household: id(&a.household, lang)?,
            resident: id(&a.resident, lang)?,
            set: parse_funnel_items(&a.set, |_| false)
                .map_err(|e| CliError::Usage(format!("--set: {e}")))?,
            reason: a.reason,
        }),
        Cmd::Assign(a) => match a.kind {
            AssignKind::Street => {
                let team = a.team.as_ref().ok_or_else(|| {
                    CliError::Usage(
                        lang.pick(
                            "Giao đường/ngõ cần --team",
                            "Assigning a street needs --team",
                        )
                        .to_string(),
                    )
                })?;
                Command::AssignStreet(AssignStreet {
                    street: id(&a.id, lang)?,
                    team: id(team, lang)?,
                    volunteer: opt_id(a.volunteer.as_ref(), lang)?,
                })
            }
            AssignKind::Household => Command::AssignHousehold(AssignHousehold {
                household: id(&a.id, lang)?,
                team: opt_id(a.team.as_ref(), lang)?,
                volunteer: opt_id(a.volunteer.as_ref(), lang)?,
            }),
        },
        Cmd::Progress(a) => {
            ctx.by = a.by.unwrap_or(Dimension::Ward);
            Command::Progress(ProgressBy { by: ctx.by })
        }
        Cmd::Leaderboard(a) => {
            ctx.by = a.by.unwrap_or(Dimension::Team);
            ctx.ranked = true;
            Command::Leaderboard(ProgressBy { by: ctx.by })
        }
        Cmd::Daily => Command::DailyProgress,
        Cmd::Search(a) => Command::Search(Search {
            query: a.query,
            limit: a.limit,
        }),
        Cmd::Rebuild => Command::RebuildProjection,
        Cmd::HardCase(HardCaseCmd::Flag {
            household,
            reasons,
            note,
            to_team,
        }) => Command::FlagHardCase(FlagHardCase {
            household: id(&household, lang)?,
            reasons,
            note,
            to_team: opt_id(to_team.as_ref(), lang)?,
        }),
        Cmd::HardCase(HardCaseCmd::Unflag {
            household,
            reasons,
            hand_back,
        }) => Command::UnflagHardCase(UnflagHardCase {
            household: id(&household, lang)?,
            reasons,
            hand_back,
        }),
        Cmd::HardCase(HardCaseCmd::List(a)) => Command::HardCases(ByTeam {
            team: opt_id(a.team.as_ref(), lang)?,
        }),
        Cmd::Schedule(ScheduleCmd::Set {
            team,
            date,
            start,
            end,
            place,
            note,
            id: sid,
        }) => Command::SetTeamSchedule(SetTeamSchedule {
            id: opt_id(sid.as_ref(), lang)?,
            team: id(&team, lang)?,
            date,
            start,
            end,
            place,
            note,
        }),
        Cmd::Schedule(ScheduleCmd::Remove { id: sid }) => {
            Command::RemoveTeamSchedule(RemoveTeamSchedule {
                id: id(&sid, lang)?,
            })
        }
        Cmd::Schedule(ScheduleCmd::List(a)) => Command::TeamSchedule(ByTeam {
            team: opt_id(a.team.as_ref(), lang)?,
        }),
        Cmd::Board(a) => Command::TeamBoard(ByTeam {
            team: opt_id(a.team.as_ref(), lang)?,
        }),
        Cmd::Whoami => Command::Whoami,
        Cmd::Team(TeamArgs { cmd: TeamCmd::List }) => Command::ListTeams,
        Cmd::Identity(a) => Command::SetIdentity(SetIdentity {
            role: a.role,
            volunteer: opt_id(a.volunteer.as_ref(), lang)?,
            team: opt_id(a.team.as_ref(), lang)?,
            device: opt_id(a.device.as_ref(), lang)?,
        }),
        Cmd::Demo(_)
        | Cmd::GenList(_)
        | Cmd::Report { .. }
        | Cmd::Hub(_)
        | Cmd::Pair(_)
        | Cmd::Sync(_)
        | Cmd::Restore(_)
        | Cmd::Encrypt(_)
        | Cmd::Phone(_)
        | Cmd::Province(_) => {
            return Err(CliError::Usage("not a command of the table".into()));
        }
    };
    Ok((cmd, ctx))
}

/// `gocua demo`: creates the demo ward if the file has none, then shows its progress.
/// Writes a registry-shaped list and prints what the importer should say about it: one line
/// per broken row ("row 12 missing_value"), then the totals, as JSON for scripts.
fn gen_list(a: GenListArgs) -> anyhow::Result<()> {
    use gocua_wardgen::{RegistrySpec, registry_list};
    anyhow::ensure!(
        a.shape == "registry",
        "unknown shape {:?}: only \"registry\" is generated",
        a.shape
    );
    let base = if a.clean {
        RegistrySpec::clean(a.seed, a.households)
    } else {
        RegistrySpec::messy(a.seed, a.households)
    };
    let spec = RegistrySpec {
        broken: a.broken,
        relationship_column: !a.no_relationship,
        ..base
    };
    let list = registry_list(&spec);
    let ext = a
        .out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" => list
            .write_xlsx(&a.out)
            .map_err(|e| anyhow::anyhow!("{}: {e}", a.out.display()))?,
        "csv" => std::fs::write(&a.out, list.to_csv())
            .map_err(|e| anyhow::anyhow!("{}: {e}", a.out.display()))?,
        _ => anyhow::bail!("--out must end in .xlsx or .csv"),
    }
    let broken: Vec<serde_json::Value> = list
        .broken
        .iter()
        .map(|b| serde_json::json!({"row": b.row, "code": b.code}))
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "path": a.out,
            "rows": list.rows.len(),
            "households": list.households.len(),
            "residents": list.residents(),
            "broken": broken,
        })
    );
    Ok(())
}

fn demo(a: DemoArgs, g: &Global) -> Result<(), CliError> {
    let lang = g.lang();
    let db = g.db_or("demo-data/ward.sqlite");
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Other(anyhow::anyhow!("{}: {e}", dir.display())))?;
    }
    let mut app = open(&db, g)?;
    let created = if app
        .store()
        .ward()
        .map_err(gocua_app::Error::from)?
        .is_none()
    {
        let cmd = Command::GenerateDemo(GenerateDemo {
            seed: a.seed,
            households: a.households,
        });
        Some(execute(&mut app, cmd, g)?)
    } else {
        None
    };
    let today = app.today();
    let ward = execute(
        &mut app,
        Command::Progress(ProgressBy {
            by: Dimension::Ward,
        }),
        g,
    )?;
    let teams = execute(
        &mut app,
        Command::Leaderboard(ProgressBy {
            by: Dimension::Team,
        }),
        g,
    )?;
    if g.json {
        let body =
            serde_json::json!({ "created": created, "db": db, "progress": ward, "teams": teams });
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    } else {
        let ctx = |by, ranked| output::Context {
            by,
            ranked,
            today,
            cut: None,
        };
        let mut out = match &created {
            Some(r) => output::render(r, lang, &ctx(Dimension::Ward, false)),
            None => match lang {
                Lang::Vi => format!("Phường mẫu đã có sẵn trong {}.\n", db.display()),
                Lang::En => format!("The demo ward is already in {}.\n", db.display()),
            },
        };
        out.push('\n');
        out.push_str(&output::render(&ward, lang, &ctx(Dimension::Ward, false)));
        out.push('\n');
        out.push_str(&output::render(&teams, lang, &ctx(Dimension::Team, true)));
        let _ = std::io::stdout().write_all(out.as_bytes());
    }
    if !a.no_serve {
        net::serve_demo(&db, g).map_err(CliError::Other)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_specs_parse() {
        let a =
            parse_resident("r-1:cccd=has,level2,activation=level2,guided,no_smartphone").unwrap();
        assert_eq!(a.resident.as_str(), "r-1");
        assert_eq!(
            a.reached,
            Funnel {
                cccd: CccdStatus::Has,
                level2_collected: true,
                activation: Activation::Level2,
                guided: true
            }
        );
        assert_eq!(a.blockers, [Blocker::NoSmartphone]);
        assert_eq!(parse_resident("r-2").unwrap().reached, Funnel::default());
        assert!(parse_resident("r-1:cccd=maybe").is_err());
        assert!(parse_resident("r-1:dancing").is_err());
        assert!(parse_resident("bad id:level2").is_err());
        assert_eq!(
            parse_funnel_items("none", |_| false).unwrap(),
            Funnel::default()
        );
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
