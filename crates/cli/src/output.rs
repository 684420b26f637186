//! Human output: aligned tables and figures written the way ward reports write them
//! ("607.583 / 859.549 (70,68%)" in Vietnamese, "607,583 / 859,549 (70.68%)" in English).

use gocua_app::commands::{
    Assigned, DemoReport, HardCaseCleared, HardCaseFlagged, ImportReport, Rebuilt, Response,
    SessionRemoved, WardCreated, WhoAmI,
};
use gocua_app::queries::{
    DayRow, Dimension, HardCaseRow, HouseholdDetail, HouseholdRow, ProgressRow, ResidentHit,
    StreetRow, TeamBoard,
};
use gocua_domain::progress::format_count;
use gocua_domain::{
    Activation, Blocker, CccdStatus, Correction, Funnel, Lang, Timestamp, Visit, ratio_percent,
};
use gocua_domain::{HardCase, TeamSession};
use time::Date;

/// A count in the user's language.
pub fn count(n: u32, lang: Lang) -> String {
    format_count(u64::from(n), lang)
}

/// A percentage with two decimals, truncated like the domain's `ratio_percent`.
pub fn percent(part: u32, whole: u32, lang: Lang) -> String {
    let p = format!("{:.2}%", ratio_percent(part, whole));
    match lang {
        Lang::Vi => p.replace('.', ","),
        Lang::En => p,
    }
}

/// "607.583 / 859.549 (70,68%)".
pub fn fraction(part: u32, whole: u32, lang: Lang) -> String {
    format!(
        "{} / {} ({})",
        count(part, lang),
        count(whole, lang),
        percent(part, whole, lang)
    )
}

/// Columns padded to their widest cell; numbers right-aligned.
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// `columns`: header and whether the column holds numbers (right-aligned).
    pub fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            right: columns.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        // Stored text is NFC, where one Vietnamese letter is one char and one column.
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(width(c));
                }
            }
        }
        let line = |cells: &[String]| -> String {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0);
                let pad = " ".repeat(w.saturating_sub(width(c)));
                if i > 0 {
                    out.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    out.push_str(&pad);
                    out.push_str(c);
                } else {
                    out.push_str(c);
                    out.push_str(&pad);
                }
            }
            out.trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }
}

fn when(t: Option<Timestamp>) -> String {
    t.map(|t| t.format_local()).unwrap_or_default()
}

fn blockers(bs: &[Blocker], lang: Lang) -> String {
    bs.iter()
        .map(|b| b.label(lang))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The domain's label for a funnel stage 0–4.
pub fn stage_label(stage: u8, lang: Lang) -> &'static str {
    let f = match stage {
        0 => Funnel::default(),
        1 => Funnel {
            cccd: CccdStatus::Has,
            ..Funnel::default()
        },
        2 => Funnel {
            level2_collected: true,
            ..Funnel::default()
        },
        3 => Funnel {
            activation: Activation::Level1,
            ..Funnel::default()
        },
        _ => Funnel {
            guided: true,
            ..Funnel::default()
        },
    };
    f.stage_label(lang)
}

/// Renders a command's response for people. `by` is the cut of progress tables; `today`
/// bounds the daily table.
pub fn render(response: &Response, lang: Lang, ctx: &Context) -> String {
    match response {
        Response::Ward(w) => ward_created(w, lang),
        Response::Import(r) => import_report(r, lang),
        Response::Demo(r) => demo_report(r, lang),
        Response::Streets(rows) => streets(rows, lang),
        Response::Households(rows) => households(rows, lang),
        Response::Household(d) => household(&d.detail, lang),
        Response::Visit(v) => visit_recorded(v, lang),
        Response::Correction(c) => correction(c, lang),
        Response::Assigned(a) => assigned(a, lang),
        Response::Progress(rows) => progress(rows, ctx.by, ctx.ranked, lang),
        Response::Daily(rows) => daily(rows, ctx.today, lang),
        Response::Search(hits) => search(hits, lang),
        Response::Rebuilt(r) => rebuilt(r, lang),
        Response::Identity(w) => whoami(w, lang),
        Response::Teams(rows) => teams(rows, lang),
        Response::HardCaseFlagged(f) => hard_case_flagged(f, lang),
        Response::HardCaseCleared(c) => hard_case_cleared(c, lang),
        Response::HardCases(rows) => hard_cases(rows, lang),
        Response::Session(s) => schedule(std::slice::from_ref(s), lang),
        Response::SessionRemoved(r) => session_removed(r, lang),
        Response::Schedule(rows) => schedule(rows, lang),
        Response::Board(b) => board(b, lang),
        Response::Campaign(c) => campaign(c, lang),
        // Hub-only answers never reach the CLI's own replica; shown as JSON if they do.
        Response::Devices(_) | Response::Device(_) | Response::Pairing(_) => {
            serde_json::to_string_pretty(response).unwrap_or_default() + "\n"
        }
    }
}

fn campaign(c: &gocua_app::commands::CampaignInfo, lang: Lang) -> String {
    let k = &c.campaign;
    let t = &k.targets;
    match lang {
        Lang::Vi => format!(
            "{} — {}\nChiến dịch: {} ({} – {})\nChỉ tiêu: CCCD {}, mức 2 {}, kích hoạt {}\nĐộ tuổi: từ {}; khung giờ: đô thị {}, nông thôn {}; chỉ tiêu mỗi người {}\n",
            c.ward,
            c.district,
            k.name,
            k.start,
            k.end,
            t.cccd,
            t.level2,
            t.activated,
            k.eligible_age,
            k.urban_window,
            k.rural_window,
            k.quota_per_volunteer
        ),
        Lang::En => format!(
            "{} — {}\nCampaign: {} ({} – {})\nTargets: CCCD {}, level 2 {}, activated {}\nEligible from age {}; windows: urban {}, rural {}; quota per volunteer {}\n",
            c.ward,
            c.district,
            k.name,
            k.start,
            k.end,
            t.cccd,
            t.level2,
            t.activated,
            k.eligible_age,
            k.urban_window,
            k.rural_window,
            k.quota_per_volunteer
        ),
    }
}

fn reasons(rs: impl IntoIterator<Item = HardCase>, lang: Lang) -> String {
    rs.into_iter()
        .map(|r| r.label(lang))
        .collect::<Vec<_>>()
        .join(", ")
}

fn hard_case_flagged(f: &HardCaseFlagged, lang: Lang) -> String {
    let why = reasons(f.reasons.iter().map(|m| m.reason), lang);
    let team = f.team.as_ref().map(|t| t.to_string()).unwrap_or_default();
    match (lang, &f.routed_to) {
        (Lang::Vi, Some(t)) => {
            format!(
                "Đã đánh dấu hộ {} là hộ khó ({why}), chuyển cho tổ lưu động {t}.\n",
                f.household
            )
        }
        (Lang::Vi, None) => {
            format!(
                "Đã đánh dấu hộ {} là hộ khó ({why}); hộ vẫn ở tổ {team}.\n",
                f.household
            )
        }
        (Lang::En, Some(t)) => format!(
            "Flagged household {} as a hard case ({why}) and handed it to mobile team {t}.\n",
            f.household
        ),
        (Lang::En, None) => format!(
            "Flagged household {} as a hard case ({why}); it stays with team {team}.\n",
            f.household
        ),
    }
}

fn hard_case_cleared(c: &HardCaseCleared, lang: Lang) -> String {
    let cleared = reasons(c.cleared.iter().copied(), lang);
    let left = reasons(c.remaining.iter().copied(), lang);
    let mut out = match lang {
        Lang::Vi => format!("Đã bỏ đánh dấu hộ {}: {cleared}.", c.household),
        Lang::En => format!("Cleared on household {}: {cleared}.", c.household),
    };
    if !c.remaining.is_empty() {
        out.push_str(&match lang {
            Lang::Vi => format!(" Còn: {left}."),
            Lang::En => format!(" Still flagged: {left}."),
        });
    }
    if c.handed_back {
        out.push_str(lang.pick(
            " Hộ trở lại tổ phụ trách đường/ngõ.",
            " The household went back to its street's team.",
        ));
    }
    out.push('\n');
    out
}

fn hard_cases(rows: &[HardCaseRow], lang: Lang) -> String {
    let mut t = Table::new(&[
        (lang.pick("Mã hộ", "Id"), false),
        (lang.pick("Địa chỉ", "Address"), false),
        (lang.pick("Lý do", "Reasons"), false),
        (lang.pick("Tổ đang giữ", "With team"), false),
        (lang.pick("Còn lại", "Open"), true),
        (lang.pick("Xong", "Done"), false),
    ]);
    for r in rows {
        let team = match (&r.team_name, r.mobile_team) {
            (Some(n), true) => format!("{n} ({})", lang.pick("lưu động", "mobile")),
            (Some(n), false) => n.clone(),
            (None, _) => String::new(),
        };
        t.row(vec![
            r.household.id.to_string(),
            r.household.address.clone(),
            reasons(r.reasons.iter().map(|m| m.reason), lang),
            team,
            count(r.household.n_open, lang),
            if r.done {
                lang.pick("xong", "done")
            } else {
                lang.pick("chưa", "not yet")
            }
            .to_string(),
        ]);
    }
    t.render()
}

fn schedule(rows: &[TeamSession], lang: Lang) -> String {
    let hm = |t: time::Time| format!("{:02}:{:02}", t.hour(), t.minute());
    let mut t = Table::new(&[
        (lang.pick("Mã", "Id"), false),
        (lang.pick("Tổ", "Team"), false),
        (lang.pick("Ngày", "Date"), false),
        (lang.pick("Giờ", "Time"), false),
        (lang.pick("Địa điểm", "Place"), false),
        (lang.pick("Ghi chú", "Note"), false),
    ]);
    for s in rows {
        t.row(vec![
            s.id.to_string(),
            s.team.to_string(),
            gocua_domain::time::format_date(s.date),
            format!("{}–{}", hm(s.start), hm(s.end)),
            s.place.clone(),
            s.note.clone(),
        ]);
    }
    t.render()
}

fn session_removed(r: &SessionRemoved, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("Đã xoá buổi {} khỏi lịch của tổ {}.\n", r.id, r.team),
        Lang::En => format!(
            "Removed session {} from team {}'s schedule.\n",
            r.id, r.team
        ),
    }
}

fn board(b: &TeamBoard, lang: Lang) -> String {
    let mut out = format!(
        "{} ({}){} — {} {}\n",
        b.team_name,
        b.team,
        if b.mobile {
            lang.pick(", tổ lưu động", ", mobile team")
        } else {
            ""
        },
        lang.pick("ngày", "on"),
        gocua_domain::time::format_date(b.day)
    );
    let mut t = Table::new(&[
        (lang.pick("Tình nguyện viên", "Volunteer"), false),
        (lang.pick("Hộ được giao", "Assigned"), true),
        (lang.pick("Đã thăm", "Visited"), true),
        (lang.pick("Mức 2", "Level 2"), true),
        (lang.pick("Kích hoạt", "Activated"), true),
        (lang.pick("Chỉ tiêu", "Quota"), true),
        (lang.pick("Hôm nay", "Today"), true),
    ]);
    for v in &b.volunteers {
        t.row(vec![
            format!("{} ({})", v.name, v.volunteer),
            count(v.households_assigned, lang),
            count(v.households_visited, lang),
            count(v.level2_collected, lang),
            count(v.activated, lang),
            format!(
                "{}/{}",
                count(v.quota.done, lang),
                count(v.quota.quota, lang)
            ),
            count(v.visits_today, lang),
        ]);
    }
    let tot = &b.totals;
    t.row(vec![
        lang.pick("Cả tổ", "Whole team").to_string(),
        count(tot.progress.households, lang),
        count(tot.progress.visited_households, lang),
        count(tot.progress.level2, lang),
        count(tot.progress.activated, lang),
        format!(
            "{}/{}",
            count(tot.quota.done, lang),
            count(tot.quota.quota, lang)
        ),
        count(tot.visits_today, lang),
    ]);
    out.push_str(&t.render());
    out
}

/// What the renderer needs beyond the response itself.
pub struct Context {
    pub by: Dimension,
    pub ranked: bool,
    pub today: Date,
    /// `households --limit N`: rows beyond N are cut (and the user told).
    pub cut: Option<usize>,
}

fn ward_created(w: &WardCreated, lang: Lang) -> String {
    let c = &w.campaign;
    format!(
        "{} {} ({}) — {} {} → {}\n",
        lang.pick("Đã tạo", "Created"),
        w.ward.name,
        w.ward.id,
        c.name,
        gocua_domain::time::format_date(c.start),
        gocua_domain::time::format_date(c.end),
    )
}

fn import_report(r: &ImportReport, lang: Lang) -> String {
    let mut out = String::new();
    let n = |x: usize| format_count(x as u64, lang);
    if r.shape == gocua_app::import::ListShape::Registry {
        out.push_str(lang.pick(
            "Danh sách nhân khẩu (mẫu của đăng ký cư trú): hộ ghép theo quan hệ với chủ hộ (hoặc theo địa chỉ), địa chỉ tách thành số nhà và đường/ngõ.\n",
            "Registry list (danh sách nhân khẩu): households from the relationship column (or from addresses), addresses split into house number and street.\n",
        ));
    }
    out.push_str(&match lang {
        Lang::Vi => format!(
            "Đã đọc {} dòng: {} hộ, {} nhân khẩu, {} dòng lỗi.\n",
            n(r.rows),
            n(r.households),
            n(r.residents),
            n(r.errors.len())
        ),
        Lang::En => format!(
            "Read {} rows: {} households, {} residents, {} rows with errors.\n",
            n(r.rows),
            n(r.households),
            n(r.residents),
            n(r.errors.len())
        ),
    });
    if r.imported {
        let s = &r.summary;
        out.push_str(&match lang {
            Lang::Vi => format!(
                "Đã nhập: {} hộ mới, {} hộ cập nhật, {} hộ không đổi; {} tổ dân phố mới, {} đường/ngõ mới.\n",
                s.created, s.updated, s.unchanged, r.new_groups, r.new_streets
            ),
            Lang::En => format!(
                "Imported: {} new households, {} updated, {} unchanged; {} new groups, {} new streets.\n",
                s.created, s.updated, s.unchanged, r.new_groups, r.new_streets
            ),
        });
    } else {
        out.push_str(lang.pick(
            "Chưa nhập gì: hãy sửa các dòng lỗi rồi nhập lại, hoặc dùng --accept-valid-rows để chỉ nhập các dòng hợp lệ.\n",
            "Nothing was imported: fix the rows below and import again, or use --accept-valid-rows to import only the valid rows.\n",
        ));
    }
    if !r.errors.is_empty() {
        let mut t = Table::new(&[
            (lang.pick("Dòng", "Row"), true),
            (lang.pick("Cột", "Column"), false),
            (lang.pick("Mã lỗi", "Code"), false),
            (lang.pick("Nội dung", "Message"), false),
        ]);
        for e in &r.errors {
            t.row(vec![
                e.row.to_string(),
                e.column.clone().unwrap_or_default(),
                e.code.to_string(),
                e.message.clone(),
            ]);
        }
        out.push('\n');
        out.push_str(&t.render());
    }
    out
}

fn demo_report(r: &DemoReport, lang: Lang) -> String {
    let n = |x: usize| format_count(x as u64, lang);
    let mut out = match lang {
        Lang::Vi => format!(
            "Đã tạo phường mẫu {}: {} hộ gia đình và {} cơ quan, trường học, doanh nghiệp; {} nhân khẩu, {} lượt thăm, {} tổ công tác, {} tình nguyện viên.\n",
            r.ward,
            n(r.homes),
            n(r.sites),
            n(r.residents),
            n(r.visits),
            n(r.teams),
            n(r.volunteers)
        ),
        Lang::En => format!(
            "Created the demo ward {}: {} households and {} agencies, schools and businesses; {} residents, {} visits, {} teams, {} volunteers.\n",
            r.ward,
            n(r.homes),
            n(r.sites),
            n(r.residents),
            n(r.visits),
            n(r.teams),
            n(r.volunteers)
        ),
    };
    if let Some(id) = &r.identity {
        let v = id.volunteer.as_ref().map(|v| v.as_str()).unwrap_or("-");
        let t = id.team.as_ref().map(|t| t.as_str()).unwrap_or("-");
        out.push_str(&match lang {
            Lang::Vi => format!("Bạn đang dùng danh tính tổ trưởng {v} (tổ {t}).\n"),
            Lang::En => format!("You are team lead {v} (team {t}).\n"),
        });
    }
    out
}

fn streets(rows: &[StreetRow], lang: Lang) -> String {
    let mut t = Table::new(&[
        (lang.pick("Mã", "Id"), false),
        (lang.pick("Đường/Ngõ", "Street"), false),
        (lang.pick("Tổ dân phố", "Group"), false),
        (lang.pick("Tổ công tác", "Team"), false),
        (lang.pick("Hộ", "Households"), true),
        (lang.pick("Đã thăm", "Visited"), true),
        (lang.pick("Đã kích hoạt", "Activated"), true),
    ]);
    for s in rows {
        t.row(vec![
            s.id.to_string(),
            s.name.clone(),
            s.group_name.clone(),
            s.team.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            count(s.households, lang),
            count(s.progress.visited_households, lang),
            fraction(s.progress.activated, s.progress.eligible, lang),
        ]);
    }
    t.render()
}

fn households(rows: &[HouseholdRow], lang: Lang) -> String {
    let mut t = Table::new(&[
        (lang.pick("Mã hộ", "Id"), false),
        (lang.pick("Địa chỉ", "Address"), false),
        (lang.pick("Chủ hộ", "Head"), false),
        (lang.pick("Đủ tuổi", "Eligible"), true),
        (lang.pick("Còn lại", "Open"), true),
        (lang.pick("Đã KH", "Activated"), true),
        (lang.pick("Lượt", "Visits"), true),
        (lang.pick("Hẹn lại", "Revisit"), false),
        (lang.pick("Trở ngại", "Blockers"), false),
    ]);
    for r in rows {
        t.row(vec![
            r.id.to_string(),
            r.address.clone(),
            r.head.clone(),
            count(r.n_eligible, lang),
            count(r.n_open, lang),
            count(r.n_activated, lang),
            count(r.n_visits, lang),
            when(r.revisit_at),
            blockers(&r.blockers, lang),
        ]);
    }
    t.render()
}

fn household(d: &HouseholdDetail, lang: Lang) -> String {
    let r = &d.row;
    let mut out = format!("{} — {}\n", r.id, r.address);
    let none = "-".to_string();
    for (label, value) in [
        (lang.pick("Chủ hộ", "Head"), r.head.clone()),
        (
            lang.pick("Đường/Ngõ", "Street"),
            format!("{} ({})", r.street_name, r.group_name),
        ),
        (
            lang.pick("Phân công", "Assigned to"),
            match (&r.team, &r.volunteer) {
                (Some(t), Some(v)) => format!("{t} / {v}"),
                (Some(t), None) => t.to_string(),
                _ => none.clone(),
            },
        ),
        (
            lang.pick("Đã kích hoạt", "Activated"),
            fraction(r.n_activated, r.n_eligible, lang),
        ),
        (
            lang.pick("Hẹn lại", "Revisit"),
            r.revisit_at
                .map(|t| t.format_local())
                .unwrap_or(none.clone()),
        ),
        (
            lang.pick("Trở ngại", "Blockers"),
            if r.blockers.is_empty() {
                none.clone()
            } else {
                blockers(&r.blockers, lang)
            },
        ),
    ] {
        out.push_str(&format!("  {label}: {value}\n"));
    }
    out.push('\n');
    let mut t = Table::new(&[
        (lang.pick("Mã", "Id"), false),
        (lang.pick("Họ và tên", "Name"), false),
        (lang.pick("Năm sinh", "Born"), true),
        (lang.pick("Tiến độ", "Progress"), false),
        (lang.pick("Tính chỉ tiêu", "Counts"), false),
        (lang.pick("Trở ngại", "Blockers"), false),
    ]);
    for p in &d.residents {
        t.row(vec![
            p.id.to_string(),
            p.full_name.clone(),
            p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            p.funnel.stage_label(lang).to_string(),
            if p.eligible {
                lang.pick("có", "yes")
            } else {
                lang.pick("không", "no")
            }
            .to_string(),
            blockers(&p.blockers, lang),
        ]);
    }
    out.push_str(&t.render());
    if !d.visits.is_empty() {
        out.push('\n');
        out.push_str(lang.pick("Lượt thăm (mới nhất trước):\n", "Visits (newest first):\n"));
        for v in &d.visits {
            out.push_str(&format!(
                "  {}  {}  {}{}\n",
                v.at.format_local(),
                v.volunteer,
                v.outcome.label(lang),
                if v.note.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", v.note)
                }
            ));
        }
    }
    out
}

fn visit_recorded(v: &Visit, lang: Lang) -> String {
    let mut out = match lang {
        Lang::Vi => format!(
            "Đã ghi lượt thăm {} hộ {} ({}) lúc {}.\n",
            v.id,
            v.household,
            v.outcome.label(lang),
            v.at.format_local()
        ),
        Lang::En => format!(
            "Recorded visit {} to {} ({}) at {}.\n",
            v.id,
            v.household,
            v.outcome.label(lang),
            v.at.format_local()
        ),
    };
    if let Some(r) = &v.revisit {
        out.push_str(&format!(
            "{}: {}\n",
            lang.pick("Hẹn lại", "Revisit booked"),
            r.at.format_local()
        ));
    }
    out
}

fn correction(c: &Correction, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!(
            "Đã điều chỉnh {}: {} (lý do: {}).\n",
            c.resident,
            c.set.stage_label(lang),
            c.reason
        ),
        Lang::En => format!(
            "Corrected {}: {} (reason: {}).\n",
            c.resident,
            c.set.stage_label(lang),
            c.reason
        ),
    }
}

fn assigned(a: &Assigned, lang: Lang) -> String {
    let to = match (&a.team, &a.volunteer) {
        (Some(t), Some(v)) => format!("{t} / {v}"),
        (Some(t), None) => t.to_string(),
        (None, _) => lang
            .pick("tổ phụ trách đường/ngõ", "the street's team")
            .to_string(),
    };
    match lang {
        Lang::Vi => format!(
            "Đã giao {} {} cho {to}.\n",
            if a.kind == "street" {
                "đường/ngõ"
            } else {
                "hộ"
            },
            a.id
        ),
        Lang::En => format!("Assigned {} {} to {to}.\n", a.kind, a.id),
    }
}

fn progress(rows: &[ProgressRow], by: Dimension, ranked: bool, lang: Lang) -> String {
    if by == Dimension::Ward {
        return rows.iter().map(|r| ward_summary(r, lang)).collect();
    }
    let quota = matches!(by, Dimension::Volunteer | Dimension::Org);
    let name = match by {
        Dimension::Group => lang.pick("Tổ dân phố", "Group"),
        Dimension::Street => lang.pick("Đường/Ngõ", "Street"),
        Dimension::Team => lang.pick("Tổ công tác", "Team"),
        Dimension::Volunteer => lang.pick("Tình nguyện viên", "Volunteer"),
        Dimension::Org => lang.pick("Đơn vị", "Organisation"),
        Dimension::Ward => lang.pick("Phường", "Ward"),
    };
    let mut cols = vec![];
    if ranked {
        cols.push(("#", true));
    }
    cols.push((name, false));
    if quota {
        // People and organisations are measured by their quota; few have households of their own.
        cols.extend([
            (lang.pick("Chỉ tiêu cá nhân", "Quota"), true),
            (lang.pick("Hộ được giao", "Own households"), true),
            (lang.pick("Đã kích hoạt", "Activated"), true),
        ]);
    } else {
        cols.extend([
            (lang.pick("Hộ đã thăm", "Visited"), true),
            (lang.pick("Đủ tuổi", "Eligible"), true),
            (lang.pick("CCCD", "Chip ID"), true),
            (lang.pick("Hồ sơ mức 2", "Level 2"), true),
            (lang.pick("Đã kích hoạt", "Activated"), true),
        ]);
    }
    let mut t = Table::new(&cols);
    for (i, r) in rows.iter().enumerate() {
        let p = &r.progress;
        let mut cells = vec![];
        if ranked {
            cells.push((i + 1).to_string());
        }
        let label = if r.key.is_empty() {
            lang.pick("(chưa phân công)", "(unassigned)").to_string()
        } else {
            r.label.clone()
        };
        cells.push(label);
        if quota {
            let q = r.quota.unwrap_or_default();
            cells.extend([
                fraction(q.done, q.quota, lang),
                count(p.households, lang),
                if p.eligible > 0 {
                    fraction(p.activated, p.eligible, lang)
                } else {
                    String::new()
                },
            ]);
        } else {
            cells.extend([
                format!(
                    "{} / {}",
                    count(p.visited_households, lang),
                    count(p.households, lang)
                ),
                count(p.eligible, lang),
                count(p.cccd, lang),
                count(p.level2, lang),
                fraction(p.activated, p.eligible, lang),
            ]);
        }
        t.row(cells);
    }
    t.render()
}

fn ward_summary(r: &ProgressRow, lang: Lang) -> String {
    let p = &r.progress;
    let mut t = Table::new(&[("", false), ("", true), ("", false)]);
    let vs_target = |done: u32, goal: Option<u32>| -> String {
        match goal {
            Some(goal) if goal > 0 => format!(
                "{} {}",
                lang.pick("so với chỉ tiêu:", "of target:"),
                fraction(done, goal, lang)
            ),
            _ => String::new(),
        }
    };
    let tg = r.target;
    t.row(vec![
        lang.pick("Hộ đã thăm", "Households visited").into(),
        fraction(p.visited_households, p.households, lang),
        String::new(),
    ]);
    t.row(vec![
        lang.pick("Công dân đủ tuổi", "Eligible residents").into(),
        count(p.eligible, lang),
        String::new(),
    ]);
    t.row(vec![
        lang.pick("Có CCCD gắn chip", "Chip ID card").into(),
        fraction(p.cccd, p.eligible, lang),
        vs_target(p.cccd, tg.map(|t| t.cccd)),
    ]);
    t.row(vec![
        lang.pick("Đã thu hồ sơ mức 2", "Level-2 applications")
            .into(),
        fraction(p.level2, p.eligible, lang),
        vs_target(p.level2, tg.map(|t| t.level2)),
    ]);
    t.row(vec![
        lang.pick("Đã kích hoạt tài khoản", "Accounts activated")
            .into(),
        fraction(p.activated, p.eligible, lang),
        vs_target(p.activated, tg.map(|t| t.activated)),
    ]);
    t.row(vec![
        lang.pick("Đã hướng dẫn DVC", "Guided to online services")
            .into(),
        fraction(p.guided, p.eligible, lang),
        String::new(),
    ]);
    let title = if r.label.is_empty() {
        lang.pick("Toàn phường", "Whole ward").to_string()
    } else {
        r.label.clone()
    };
    // The header row of this two-column table is empty: drop it and its rule.
    let body: String = t
        .render()
        .lines()
        .skip(2)
        .map(|l| format!("  {l}\n"))
        .collect();
    format!("{title}\n{body}")
}

fn daily(rows: &[DayRow], today: Date, lang: Lang) -> String {
    let mut t = Table::new(&[
        (lang.pick("Ngày", "Day"), false),
        (lang.pick("Lượt thăm", "Visits"), true),
        (lang.pick("Hộ đã thăm", "Households"), true),
        (lang.pick("Hồ sơ mức 2 mới", "New level 2"), true),
        (lang.pick("Kích hoạt mới", "New activations"), true),
        (lang.pick("Lũy kế kích hoạt", "Activated so far"), true),
    ]);
    let mut later = 0;
    for d in rows {
        if d.day > today {
            later += 1;
            continue;
        }
        t.row(vec![
            gocua_domain::time::format_date(d.day),
            count(d.visits, lang),
            count(d.households_visited, lang),
            count(d.new_level2, lang),
            count(d.new_activations, lang),
            count(d.cumulative_activated, lang),
        ]);
    }
    let mut out = t.render();
    if later > 0 {
        out.push_str(&match lang {
            Lang::Vi => format!("(còn {later} ngày của chiến dịch)\n"),
            Lang::En => format!("({later} campaign days to go)\n"),
        });
    }
    out
}

fn search(hits: &[ResidentHit], lang: Lang) -> String {
    if hits.is_empty() {
        return lang
            .pick("Không tìm thấy ai.\n", "Nobody found.\n")
            .to_string();
    }
    let mut t = Table::new(&[
        (lang.pick("Mã", "Id"), false),
        (lang.pick("Họ và tên", "Name"), false),
        (lang.pick("Năm sinh", "Born"), true),
        (lang.pick("Hộ", "Household"), false),
        (lang.pick("Địa chỉ", "Address"), false),
        (lang.pick("Tiến độ", "Progress"), false),
    ]);
    for h in hits {
        t.row(vec![
            h.id.to_string(),
            h.full_name.clone(),
            h.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            h.household_id.to_string(),
            h.address.clone(),
            stage_label(h.stage, lang).to_string(),
        ]);
    }
    t.render()
}

fn rebuilt(r: &Rebuilt, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!(
            "Đã dựng lại dữ liệu tra cứu từ {} tài liệu.\n",
            format_count(r.documents, lang)
        ),
        Lang::En => format!(
            "Rebuilt the projection from {} documents.\n",
            format_count(r.documents, lang)
        ),
    }
}

fn whoami(w: &WhoAmI, lang: Lang) -> String {
    let id = &w.identity;
    let named = |id: Option<String>, name: &Option<String>| match (id, name) {
        (Some(i), Some(n)) => format!("{n} ({i})"),
        (Some(i), None) => i,
        _ => "-".to_string(),
    };
    let mut out = String::new();
    for (label, value) in [
        (
            lang.pick("Vai trò", "Role"),
            id.role.label(lang).to_string(),
        ),
        (
            lang.pick("Người dùng", "Volunteer"),
            named(
                id.volunteer.as_ref().map(|v| v.to_string()),
                &w.volunteer_name,
            ),
        ),
        (
            lang.pick("Tổ công tác", "Team"),
            named(id.team.as_ref().map(|t| t.to_string()), &w.team_name),
        ),
        (
            lang.pick("Thiết bị", "Device"),
            id.device
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or("-".into()),
        ),
        (
            lang.pick("Phường", "Ward"),
            w.ward.clone().unwrap_or("-".into()),
        ),
        (
            lang.pick("Chiến dịch", "Campaign"),
            w.campaign.clone().unwrap_or("-".into()),
        ),
    ] {
        out.push_str(&format!("{label}: {value}\n"));
    }
    out
}

/// `gocua team list`: each team, then its members (the lead marked).
fn teams(rows: &[gocua_app::commands::TeamRow], lang: Lang) -> String {
    let mut out = String::new();
    for t in rows {
        out.push_str(&format!("{}  {}  ({})\n", t.id, t.name, t.members.len()));
        for m in &t.members {
            let lead = if t.lead.as_ref() == Some(&m.id) {
                lang.pick(" · tổ trưởng", " · lead")
            } else {
                ""
            };
            out.push_str(&format!("    {}  {}{lead}\n", m.id, m.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_like_ward_reports() {
        assert_eq!(
            fraction(607_583, 859_549, Lang::Vi),
            "607.583 / 859.549 (70,68%)"
        );
        assert_eq!(
            fraction(607_583, 859_549, Lang::En),
            "607,583 / 859,549 (70.68%)"
        );
        assert_eq!(percent(0, 0, Lang::Vi), "0,00%");
    }

    #[test]
    fn tables_align_vietnamese_text() {
        let mut t = Table::new(&[("Tên", false), ("Số", true)]);
        t.row(vec!["Đặng Thị Hoa".into(), "1.234".into()]);
        t.row(vec!["An".into(), "5".into()]);
        expect_test::expect![[r#"
            Tên              Số
            ────────────  ─────
            Đặng Thị Hoa  1.234
            An                5
        "#]]
        .assert_eq(&t.render());
    }
}
