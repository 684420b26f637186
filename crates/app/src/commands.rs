//! The command table's wire types: one request struct per command, the `Command` enum that
//! names them (`{"cmd": "...", "args": {...}}`), and the responses. Every transport — the CLI,
//! the hub's HTTP API, the Tauri app — speaks exactly these.

use std::path::PathBuf;

use gocua_domain::{
    AreaKind, Blocker, Campaign, Correction, DeviceId, Funnel, HardCase, HardCaseMark, HouseholdId,
    HouseholdOutcome, ResidentAction, ResidentId, Role, SessionId, StreetId, Targets, TeamId,
    TeamSession, Timestamp, Visit, VisitId, VisitingWindow, VolunteerId,
    time::{date_serde, hm_serde},
};
use gocua_store::UpsertSummary;
use gocua_store::queries::{
    DayRow, Dimension, HardCaseRow, HouseholdDetail, HouseholdFilter, HouseholdRow, ProgressRow,
    ResidentHit, StreetRow, TeamBoard,
};
use serde::{Deserialize, Serialize};
use time::{Date, Time};
use ts_rs::TS;

use crate::identity::Identity;
use crate::import::{ListShape, RowError};

/// Every command by its wire name, in the order the enum lists them.
pub const COMMANDS: &[&str] = &[
    "create_ward",
    "import",
    "generate_demo",
    "list_streets",
    "list_households",
    "household_detail",
    "record_visit",
    "book_revisit",
    "correct",
    "assign_street",
    "assign_household",
    "progress",
    "leaderboard",
    "daily_progress",
    "search",
    "rebuild_projection",
    "set_identity",
    "whoami",
    "list_teams",
    "flag_hard_case",
    "unflag_hard_case",
    "hard_cases",
    "set_team_schedule",
    "remove_team_schedule",
    "team_schedule",
    "team_board",
    "campaign",
    "update_campaign",
    "list_devices",
    "revoke_device",
    "issue_pairing",
];

/// Commands only the hub answers: they need its devices table, its addresses and its
/// certificate. A replica's own [`crate::App`] refuses them (`hub_only`).
pub const HUB_ONLY_COMMANDS: &[&str] = &["list_devices", "revoke_device", "issue_pairing"];

/// Commands without arguments: `args` may be absent, `null` or `{}`.
pub(crate) const UNIT_COMMANDS: &[&str] = &[
    "daily_progress",
    "rebuild_projection",
    "whoami",
    "list_teams",
    "campaign",
    "list_devices",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "cmd", content = "args", rename_all = "snake_case")]
pub enum Command {
    CreateWard(CreateWard),
    Import(Import),
    GenerateDemo(GenerateDemo),
    ListStreets(ListStreets),
    ListHouseholds(ListHouseholds),
    HouseholdDetail(GetHousehold),
    RecordVisit(RecordVisit),
    BookRevisit(BookRevisit),
    Correct(Correct),
    AssignStreet(AssignStreet),
    AssignHousehold(AssignHousehold),
    Progress(ProgressBy),
    Leaderboard(ProgressBy),
    DailyProgress,
    Search(Search),
    RebuildProjection,
    SetIdentity(SetIdentity),
    Whoami,
    ListTeams,
    FlagHardCase(FlagHardCase),
    UnflagHardCase(UnflagHardCase),
    HardCases(ByTeam),
    SetTeamSchedule(SetTeamSchedule),
    RemoveTeamSchedule(RemoveTeamSchedule),
    TeamSchedule(ByTeam),
    TeamBoard(ByTeam),
    Campaign,
    UpdateCampaign(UpdateCampaign),
    ListDevices,
    RevokeDevice(RevokeDevice),
    IssuePairing(IssuePairing),
}

impl Command {
    /// The wire name, one of [`COMMANDS`].
    pub fn name(&self) -> &'static str {
        match self {
            Command::CreateWard(_) => "create_ward",
            Command::Import(_) => "import",
            Command::GenerateDemo(_) => "generate_demo",
            Command::ListStreets(_) => "list_streets",
            Command::ListHouseholds(_) => "list_households",
            Command::HouseholdDetail(_) => "household_detail",
            Command::RecordVisit(_) => "record_visit",
            Command::BookRevisit(_) => "book_revisit",
            Command::Correct(_) => "correct",
            Command::AssignStreet(_) => "assign_street",
            Command::AssignHousehold(_) => "assign_household",
            Command::Progress(_) => "progress",
            Command::Leaderboard(_) => "leaderboard",
            Command::DailyProgress => "daily_progress",
            Command::Search(_) => "search",
            Command::RebuildProjection => "rebuild_projection",
            Command::SetIdentity(_) => "set_identity",
            Command::Whoami => "whoami",
            Command::ListTeams => "list_teams",
            Command::FlagHardCase(_) => "flag_hard_case",
            Command::UnflagHardCase(_) => "unflag_hard_case",
            Command::HardCases(_) => "hard_cases",
            Command::SetTeamSchedule(_) => "set_team_schedule",
            Command::RemoveTeamSchedule(_) => "remove_team_schedule",
            Command::TeamSchedule(_) => "team_schedule",
            Command::TeamBoard(_) => "team_board",
            Command::Campaign => "campaign",
            Command::UpdateCampaign(_) => "update_campaign",
            Command::ListDevices => "list_devices",
            Command::RevokeDevice(_) => "revoke_device",
            Command::IssuePairing(_) => "issue_pairing",
        }
    }
}

/// Creates the ward and its campaign in an empty replica.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CreateWard {
    pub ward_name: String,
    #[serde(default)]
    pub district: String,
    pub campaign: String,
    /// `YYYY-MM-DD`.
    #[serde(with = "date_serde")]
    #[ts(type = "string")]
    pub start: Date,
    /// `YYYY-MM-DD`.
    #[serde(with = "date_serde")]
    #[ts(type = "string")]
    pub end: Date,
    #[serde(default)]
    pub targets: Targets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_per_volunteer: Option<u32>,
}

/// Imports a household list (.csv or .xlsx). With row errors nothing is imported unless
/// `accept_valid_rows`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Import {
    pub path: PathBuf,
    #[serde(default)]
    pub accept_valid_rows: bool,
}

/// Loads a generated, realistic ward into an empty replica.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct GenerateDemo {
    #[serde(default)]
    pub seed: u64,
    /// Homes to generate; 10,000 (a realistic ward) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub households: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ListStreets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ListHouseholds {
    #[serde(default)]
    pub filter: HouseholdFilter,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct GetHousehold {
    pub id: HouseholdId,
}

/// A time given either as unix seconds or as Vietnam local time "YYYY-MM-DD HH:MM".
pub mod when {
    use gocua_domain::Timestamp;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(i64),
        Local(String),
    }

    fn parse<E: serde::de::Error>(raw: Raw) -> Result<Timestamp, E> {
        match raw {
            Raw::Secs(s) => Ok(Timestamp(s)),
            Raw::Local(s) => Timestamp::parse_local(&s).map_err(|e| E::custom(e.to_string())),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        parse(Raw::deserialize(d)?)
    }

    pub fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<Raw>::deserialize(d)? {
            Some(raw) => parse(raw).map(Some),
            None => Ok(None),
        }
    }
}

/// A booked return, as the request gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RevisitArgs {
    /// Unix seconds, or Vietnam local time `YYYY-MM-DD HH:MM`.
    #[serde(deserialize_with = "when::deserialize")]
    #[ts(type = "number | string")]
    pub at: Timestamp,
    #[serde(default)]
    pub note: String,
}

/// Records one visit. Ids, time, device, volunteer and team are filled in from the identity
/// when absent; `volunteer` other than one's own is for leads and the office only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RecordVisit {
    pub household: HouseholdId,
    pub outcome: HouseholdOutcome,
    #[serde(default)]
    pub residents: Vec<ResidentAction>,
    #[serde(default)]
    pub household_blockers: Vec<Blocker>,
    #[serde(default)]
    pub note: String,
    #[serde(
        default,
        deserialize_with = "when::deserialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    /// When the visit happened (unix seconds or `YYYY-MM-DD HH:MM`); now when absent.
    #[ts(type = "number | string")]
    pub at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisit: Option<RevisitArgs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer: Option<VolunteerId>,
    /// Lets a client that retries after a lost reply record the visit once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<VisitId>,
}

/// Books a return inside the area's visiting window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct BookRevisit {
    pub household: HouseholdId,
    /// Unix seconds, or Vietnam local time `YYYY-MM-DD HH:MM`.
    #[serde(deserialize_with = "when::deserialize")]
    #[ts(type = "number | string")]
    pub at: Timestamp,
    #[serde(default)]
    pub note: String,
}

/// A lead's correction of one resident's funnel: the only way down.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Correct {
    pub household: HouseholdId,
    pub resident: ResidentId,
    pub set: Funnel,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AssignStreet {
    pub street: StreetId,
    pub team: TeamId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer: Option<VolunteerId>,
}

/// Gives one household to a team (and volunteer), or with no team hands it back to whoever
/// has its street.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct AssignHousehold {
    pub household: HouseholdId,
    #[serde(default)]
    pub team: Option<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer: Option<VolunteerId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ProgressBy {
    #[serde(default = "ward_dimension")]
    pub by: Dimension,
}

fn ward_dimension() -> Dimension {
    Dimension::Ward
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Search {
    pub query: String,
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    20
}

/// Who uses this replica. The hub decides what a device may sync; this decides what the local
/// app offers and stamps on visits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct SetIdentity {
    pub role: Role,
    #[serde(default)]
    pub volunteer: Option<VolunteerId>,
    /// Defaults to the volunteer's team in the plan.
    #[serde(default)]
    pub team: Option<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
}

/// Flags a household as a hard case ("khó làm sau") and routes it to a mobile team: `to_team`,
/// else the ward's only mobile team. A lead may flag the households of their own team; the
/// office, any. Reasons already flagged keep their register, rewritten with this note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct FlagHardCase {
    pub household: HouseholdId,
    pub reasons: Vec<HardCase>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The mobile team to hand the household to; needed when the ward has several.
    #[serde(default)]
    pub to_team: Option<TeamId>,
}

/// Clears hard-case reasons (all when `reasons` is empty or absent). With `hand_back`, the
/// household also goes back to whoever has its street.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct UnflagHardCase {
    pub household: HouseholdId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<HardCase>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hand_back: bool,
}

/// A query about one team, or (for `hard_cases`, `team_schedule`) every team when absent;
/// `team_board` defaults to this device's own team.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct ByTeam {
    #[serde(default)]
    pub team: Option<TeamId>,
}

/// Adds a session to a team's schedule, or with the `id` of an existing one, rewrites it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SetTeamSchedule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<SessionId>,
    pub team: TeamId,
    /// `YYYY-MM-DD`, a day of the campaign.
    #[serde(with = "date_serde")]
    #[ts(type = "string")]
    pub date: Date,
    /// `HH:MM`.
    #[serde(with = "hm_serde")]
    #[ts(type = "string")]
    pub start: Time,
    /// `HH:MM`, after `start`.
    #[serde(with = "hm_serde")]
    #[ts(type = "string")]
    pub end: Time,
    pub place: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RemoveTeamSchedule {
    pub id: SessionId,
}

/// Rewrites the campaign's settings (the office only): dates in order, targets above zero,
/// eligible age 14 to 18, each visiting window's start before its end, a quota of at least 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    pub campaign: Campaign,
}

/// Cuts a paired device off (hub only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RevokeDevice {
    pub device: String,
}

/// A one-time pairing code for a new device (hub only): a role, a team, and for volunteers the
/// volunteer its visits are credited to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct IssuePairing {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer: Option<VolunteerId>,
}

// ---------------------------------------------------------------------------------------------
// Responses.

/// What a command returns. Serialised without a tag: each command has one response shape.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(untagged)]
pub enum Response {
    Ward(WardCreated),
    Import(ImportReport),
    Demo(DemoReport),
    Streets(Vec<StreetRow>),
    Households(Vec<HouseholdRow>),
    Household(Box<HouseholdView>),
    Visit(Box<Visit>),
    Correction(Correction),
    Assigned(Assigned),
    /// Progress and leaderboard tables.
    Progress(Vec<ProgressRow>),
    Daily(Vec<DayRow>),
    Search(Vec<ResidentHit>),
    Rebuilt(Rebuilt),
    Identity(WhoAmI),
    Teams(Vec<TeamRow>),
    HardCaseFlagged(HardCaseFlagged),
    HardCaseCleared(HardCaseCleared),
    HardCases(Vec<HardCaseRow>),
    Session(TeamSession),
    SessionRemoved(SessionRemoved),
    Schedule(Vec<TeamSession>),
    Board(Box<TeamBoard>),
    Campaign(CampaignInfo),
    Devices(Vec<DeviceRow>),
    Device(DeviceRow),
    Pairing(PairingIssued),
}

/// The ward's campaign with the ward it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct CampaignInfo {
    pub ward: String,
    pub district: String,
    pub campaign: Campaign,
}

/// A device paired with the hub, as the office's device list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub team_name: Option<String>,
    pub volunteer: Option<VolunteerId>,
    pub volunteer_name: Option<String>,
    /// Unix seconds.
    pub paired_at: i64,
    pub last_sync: Option<i64>,
    pub revoked: bool,
}

/// A pairing code issued by the hub: the payload a phone scans, as text and as a QR code.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct PairingIssued {
    pub payload: String,
    /// The QR code as SVG markup.
    pub svg: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// What flagging did: every reason the household carries now, and where it went.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct HardCaseFlagged {
    pub household: HouseholdId,
    pub reasons: Vec<HardCaseMark>,
    /// The mobile team the household was handed to; `None` when it stayed where it was (it is
    /// already with a mobile team, or the ward has none).
    pub routed_to: Option<TeamId>,
    /// The team that has the household now.
    pub team: Option<TeamId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct HardCaseCleared {
    pub household: HouseholdId,
    /// Reasons that were set and are cleared now.
    pub cleared: Vec<HardCase>,
    /// Reasons still flagged.
    pub remaining: Vec<HardCase>,
    pub handed_back: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct SessionRemoved {
    pub id: SessionId,
    pub team: TeamId,
}

/// A household as the app shows it: the store's detail (ID and phone numbers masked for
/// volunteers) plus what the visit form needs to offer only valid revisit times.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct HouseholdView {
    #[serde(flatten)]
    pub detail: HouseholdDetail,
    /// Urban or rural, from the household's residential group (urban when unknown).
    pub area: AreaKind,
    /// The campaign's visiting window for that area: a booked revisit must fall inside it.
    /// `None` while the replica has no campaign.
    pub window: Option<VisitingWindow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WardCreated {
    pub ward: gocua_domain::Ward,
    pub campaign: gocua_domain::Campaign,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
    /// Households and residents in the valid rows.
    pub households: usize,
    pub residents: usize,
    /// Groups and streets the plan did not have before.
    pub new_groups: usize,
    pub new_streets: usize,
    /// What the store did with the households (all zero when nothing was imported).
    pub summary: UpsertSummary,
    pub errors: Vec<RowError>,
    /// False when row errors stopped the import.
    pub imported: bool,
    /// The shape the file was read as: our template or the registry's list.
    pub shape: ListShape,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct DemoReport {
    pub ward: String,
    /// Everything visited: homes and sites together.
    pub households: usize,
    /// Homes (hộ gia đình): what `--households N` asks for.
    pub homes: usize,
    /// Agencies, schools and businesses visited as one (cơ quan, trường học, doanh nghiệp).
    pub sites: usize,
    pub residents: usize,
    pub visits: usize,
    pub teams: usize,
    pub volunteers: usize,
    /// The identity the demo set (a team lead), when the replica had none.
    pub identity: Option<Identity>,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Assigned {
    /// "street" or "household".
    pub kind: &'static str,
    pub id: String,
    /// `None`: the household went back to its street's team.
    pub team: Option<TeamId>,
    pub volunteer: Option<VolunteerId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Rebuilt {
    pub documents: u64,
}

/// A team of the ward's plan with its lead and members: whom a street can be given to. No phone
/// numbers: the roster is for choosing, not for calling.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct TeamRow {
    pub id: TeamId,
    pub name: String,
    pub lead: Option<VolunteerId>,
    /// A mobile team (tổ lưu động): where hard cases are routed.
    pub mobile: bool,
    pub members: Vec<TeamMember>,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct TeamMember {
    pub id: VolunteerId,
    pub name: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WhoAmI {
    pub identity: Identity,
    pub volunteer_name: Option<String>,
    pub team_name: Option<String>,
    pub ward: Option<String>,
    pub campaign: Option<String>,
}
