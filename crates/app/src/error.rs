//! Errors of the command table, and `CommandError`, the form every transport shows the user:
//! a stable code plus a message in the user's language.

use gocua_domain::Lang;
use serde::{Deserialize, Serialize};

use crate::import::ImportError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the user tried that their role does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Assigning streets or households to teams.
    Assign,
    /// Correcting a resident's funnel downwards.
    Correct,
    /// Creating the ward, importing lists: anything else in the ward plan.
    WritePlan,
    /// Recording a visit in another volunteer's name (entering paper forms at the office).
    ActForOthers,
    /// Flagging a household as a hard case, or clearing the flag.
    HardCase,
    /// Planning a team's schedule.
    Schedule,
    /// Changing the campaign's settings.
    Campaign,
}

/// What is wrong with a campaign's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignProblem {
    Name,
    Dates,
    Targets,
    EligibleAge,
    Window(gocua_domain::AreaKind),
    Quota,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] gocua_store::Error),
    #[error(transparent)]
    Domain(#[from] gocua_domain::Error),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("forbidden: {0:?} needs a team lead or the ward office")]
    Forbidden(Permission),
    #[error("no volunteer is set for this device: set the identity first")]
    NoIdentity,
    #[error("no such {kind}: {id}")]
    NotFound { kind: &'static str, id: String },
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    #[error("bad arguments for {command}: {detail}")]
    BadArgs { command: String, detail: String },
    #[error("the ward has no campaign yet: create the ward first")]
    NoCampaign,
    #[error(
        "this device is paired with a hub, which decides who uses it: pair again with a new code to change it"
    )]
    IdentityFromPairing,
    #[error("a team lead may do this only for their own team, not {team:?}")]
    NotYourTeam { team: String },
    #[error("team {team:?} is not a mobile team")]
    NotMobileTeam { team: String },
    #[error("the ward has several mobile teams ({}): choose one with to_team", teams.join(", "))]
    ChooseMobileTeam { teams: Vec<String> },
    #[error("no team given, and this device belongs to no team: choose a team")]
    NoTeam,
    #[error("choose at least one hard-case reason")]
    NoHardCaseReason,
    #[error("{0} is answered by the ward-office hub only")]
    HubOnly(&'static str),
    #[error("cannot write the report: {0}")]
    Report(String),
    #[error("invalid campaign settings: {0:?}")]
    InvalidCampaign(CampaignProblem),
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(e) => e.code(),
            Error::Domain(e) => e.code(),
            Error::Import(e) => e.code(),
            Error::Forbidden(_) => "forbidden",
            Error::NoIdentity => "no_identity",
            Error::NotFound { .. } => "not_found",
            Error::UnknownCommand(_) => "unknown_command",
            Error::BadArgs { .. } => "bad_args",
            Error::NoCampaign => "no_campaign",
            Error::IdentityFromPairing => "identity_from_pairing",
            Error::NotYourTeam { .. } => "not_your_team",
            Error::NotMobileTeam { .. } => "not_mobile_team",
            Error::ChooseMobileTeam { .. } => "choose_mobile_team",
            Error::NoTeam => "no_team",
            Error::NoHardCaseReason => "no_hard_case_reason",
            Error::HubOnly(_) => "hub_only",
            Error::Report(_) => "report",
            Error::InvalidCampaign(_) => "invalid_campaign",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            Error::Store(e) => e.message(lang),
            Error::Domain(e) => e.message(lang),
            Error::Import(e) => e.message(lang),
            Error::Forbidden(p) => match p {
                Permission::Assign => lang.pick(
                    "Chỉ tổ trưởng hoặc văn phòng phường được phân công lại",
                    "Only team leads and the ward office can reassign work",
                ),
                Permission::Correct => lang.pick(
                    "Chỉ tổ trưởng hoặc văn phòng phường được điều chỉnh kết quả của người dân",
                    "Only team leads and the ward office can correct a resident's progress",
                ),
                Permission::WritePlan => lang.pick(
                    "Chỉ tổ trưởng hoặc văn phòng phường được thay đổi kế hoạch của phường",
                    "Only team leads and the ward office can change the ward plan",
                ),
                Permission::ActForOthers => lang.pick(
                    "Chỉ tổ trưởng hoặc văn phòng phường được ghi lượt thăm thay người khác",
                    "Only team leads and the ward office can record visits for someone else",
                ),
                Permission::HardCase => lang.pick(
                    "Chỉ tổ trưởng hoặc văn phòng phường được đánh dấu hộ khó và chuyển cho tổ lưu động",
                    "Only team leads and the ward office can flag hard cases and route them to a mobile team",
                ),
                Permission::Schedule => lang.pick(
                    "Chỉ tổ trưởng hoặc văn phòng phường được lập lịch làm việc của tổ",
                    "Only team leads and the ward office can plan a team's schedule",
                ),
                Permission::Campaign => lang.pick(
                    "Chỉ văn phòng phường được thay đổi cài đặt chiến dịch",
                    "Only the ward office can change the campaign's settings",
                ),
            }
            .to_string(),
            Error::NoIdentity => lang
                .pick(
                    "Thiết bị này chưa gắn với tình nguyện viên nào: hãy ghép nối với máy chủ phường bằng mã của mình",
                    "No volunteer is set for this device: pair it with the hub using your own code",
                )
                .to_string(),
            Error::NotFound { kind, id } => match lang {
                Lang::Vi => format!("Không tìm thấy {} \"{id}\"", kind_vi(kind)),
                Lang::En => format!("No such {kind}: \"{id}\""),
            },
            Error::UnknownCommand(name) => match lang {
                Lang::Vi => format!("Không có lệnh \"{name}\""),
                Lang::En => format!("Unknown command \"{name}\""),
            },
            Error::BadArgs { command, detail } => match lang {
                Lang::Vi => format!("Tham số của lệnh {command} không hợp lệ: {detail}"),
                Lang::En => format!("Bad arguments for {command}: {detail}"),
            },
            Error::NoCampaign => lang
                .pick(
                    "Phường chưa có chiến dịch: hãy tạo phường trước",
                    "The ward has no campaign yet: create the ward first",
                )
                .to_string(),
            Error::IdentityFromPairing => lang
                .pick(
                    "Thiết bị đã ghép nối với máy chủ phường, nơi quyết định ai dùng máy: muốn đổi, hãy ghép nối lại bằng mã mới",
                    "This device is paired with a hub, which decides who uses it: pair again with a new code to change it",
                )
                .to_string(),
            Error::NotYourTeam { team } => match lang {
                Lang::Vi => format!(
                    "Tổ trưởng chỉ được làm việc này cho tổ của mình, không phải tổ \"{team}\""
                ),
                Lang::En => {
                    format!("A team lead may do this only for their own team, not \"{team}\"")
                }
            },
            Error::NotMobileTeam { team } => match lang {
                Lang::Vi => format!("Tổ \"{team}\" không phải tổ lưu động"),
                Lang::En => format!("Team \"{team}\" is not a mobile team"),
            },
            Error::ChooseMobileTeam { teams } => match lang {
                Lang::Vi => format!(
                    "Phường có nhiều tổ lưu động ({}): hãy chọn một tổ (to_team)",
                    teams.join(", ")
                ),
                Lang::En => format!(
                    "The ward has several mobile teams ({}): choose one (to_team)",
                    teams.join(", ")
                ),
            },
            Error::NoTeam => lang
                .pick(
                    "Chưa chọn tổ, và thiết bị này không thuộc tổ nào: hãy chọn tổ",
                    "No team given, and this device belongs to no team: choose a team",
                )
                .to_string(),
            Error::NoHardCaseReason => lang
                .pick(
                    "Hãy chọn ít nhất một lý do: người cao tuổi, nằm liệt giường, khuyết tật, cần người phiên dịch tiếng dân tộc",
                    "Choose at least one reason: elderly, bedridden, disabled, needs an interpreter",
                )
                .to_string(),
            Error::HubOnly(name) => match lang {
                Lang::Vi => format!("Lệnh {name} chỉ chạy trên máy chủ phường (trang quản lý của văn phòng)"),
                Lang::En => format!("{name} runs on the ward-office hub only (the office dashboard)"),
            },
            Error::Report(e) => match lang {
                Lang::Vi => format!("Không tạo được báo cáo: {e}"),
                Lang::En => format!("Cannot write the report: {e}"),
            },
            Error::InvalidCampaign(p) => {
                use gocua_domain::AreaKind;
                match p {
                    CampaignProblem::Name => lang.pick("Chiến dịch phải có tên", "The campaign needs a name"),
                    CampaignProblem::Dates => lang.pick(
                        "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu",
                        "The end date must not be before the start date",
                    ),
                    CampaignProblem::Targets => lang.pick(
                        "Chỉ tiêu CCCD, hồ sơ định danh mức 2 và kích hoạt phải lớn hơn 0",
                        "The CCCD, level-2 and activation targets must be above 0",
                    ),
                    CampaignProblem::EligibleAge => lang.pick(
                        "Độ tuổi bắt đầu vận động phải từ 14 đến 18",
                        "The eligible age must be between 14 and 18",
                    ),
                    CampaignProblem::Window(AreaKind::Urban) => lang.pick(
                        "Khung giờ đi vận động ở khu đô thị: giờ bắt đầu phải trước giờ kết thúc",
                        "Urban visiting window: the start must be before the end",
                    ),
                    CampaignProblem::Window(AreaKind::Rural) => lang.pick(
                        "Khung giờ đi vận động ở nông thôn: giờ bắt đầu phải trước giờ kết thúc",
                        "Rural visiting window: the start must be before the end",
                    ),
                    CampaignProblem::Quota => lang.pick(
                        "Chỉ tiêu mỗi người phải ít nhất là 1",
                        "The quota per volunteer must be at least 1",
                    ),
                }
                .to_string()
            }
        }
    }

    /// The form shown to users and sent over the wire.
    pub fn to_command_error(&self, lang: Lang) -> CommandError {
        CommandError {
            code: self.code().to_string(),
            message: self.message(lang),
        }
    }
}

fn kind_vi(kind: &str) -> &str {
    match kind {
        "household" => "hộ",
        "resident" => "nhân khẩu",
        "street" => "đường/ngõ",
        "team" => "tổ công tác",
        "volunteer" => "tình nguyện viên",
        "group" => "tổ dân phố",
        "session" => "buổi làm việc",
        other => other,
    }
}

/// An error as every transport shows it: a stable code for programs and a message in the
/// user's language for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

// Without a language at hand, Vietnamese: the product's first language.
impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        e.to_command_error(Lang::Vi)
    }
}

impl From<gocua_store::Error> for CommandError {
    fn from(e: gocua_store::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<gocua_domain::Error> for CommandError {
    fn from(e: gocua_domain::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<ImportError> for CommandError {
    fn from(e: ImportError) -> Self {
        Error::from(e).into()
    }
}
