//! Ward geography and people: groups, streets, households and sites, residents, organisations,
//! teams, volunteers, roles and assignments.

use serde::{Deserialize, Serialize};

use crate::{
    AreaKind, Error, Funnel, GroupId, HouseholdId, Lang, OrgId, ResidentId, Result, StreetId,
    TeamId, Timestamp, VolunteerId, WardId,
};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ward {
    pub id: WardId,
    /// e.g. "Phường Trúc Bạch".
    pub name: String,
    /// e.g. "Quận Ba Đình, Hà Nội".
    pub district: String,
}

/// Residential group: tổ dân phố in towns, thôn or ấp in the countryside.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    ToDanPho,
    Thon,
    Ap,
}

impl GroupKind {
    pub fn area(self) -> AreaKind {
        match self {
            GroupKind::ToDanPho => AreaKind::Urban,
            GroupKind::Thon | GroupKind::Ap => AreaKind::Rural,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::ToDanPho => "Tổ dân phố",
            GroupKind::Thon => "Thôn",
            GroupKind::Ap => "Ấp",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub kind: GroupKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreetKind {
    Duong,
    Pho,
    Ngo,
    Ngach,
    Hem,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Street {
    pub id: StreetId,
    pub group: GroupId,
    /// Full name as written on signs: "Ngõ 12 Trúc Bạch", "Đường Phan Đình Phùng".
    pub name: String,
    pub kind: StreetKind,
}

/// Besides homes, teams visit sites that serve many people in one session.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdKind {
    #[default]
    Home,
    Agency,
    School,
    Business,
    IndustrialZone,
}

impl HouseholdKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            HouseholdKind::Home => lang.pick("Hộ gia đình", "Household"),
            HouseholdKind::Agency => lang.pick("Cơ quan", "Agency"),
            HouseholdKind::School => lang.pick("Trường học", "School"),
            HouseholdKind::Business => lang.pick("Doanh nghiệp", "Business"),
            HouseholdKind::IndustrialZone => lang.pick("Khu công nghiệp", "Industrial zone"),
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Other,
}

impl Gender {
    /// Accepts the words household lists use: Nam/Nữ, M/F, male/female.
    pub fn parse(s: &str) -> Option<Gender> {
        match crate::text::fold(s).as_str() {
            "nam" | "m" | "male" | "1" => Some(Gender::Male),
            "nu" | "f" | "female" | "2" => Some(Gender::Female),
            "khac" | "other" | "x" => Some(Gender::Other),
            _ => None,
        }
    }
}

/// One resident as imported or edited: identity plus the imported baseline of the funnel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    pub id: ResidentId,
    pub full_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// 12-digit citizen number, when known.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cccd_number: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    /// Progress already known at import time.
    #[serde(default)]
    pub base: Funnel,
}

/// A household (or a site) with its residents, as imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub id: HouseholdId,
    pub street: StreetId,
    pub group: GroupId,
    #[serde(default)]
    pub kind: HouseholdKind,
    /// House number within the street, e.g. "12", "5/3".
    pub house_no: String,
    /// Full postal address for display.
    pub address: String,
    /// Name of the head of household (chủ hộ) or of the site.
    pub head: String,
    pub residents: Vec<Resident>,
}

/// Validates a 12-digit CCCD number; empty means unknown.
pub fn parse_cccd_number(s: &str) -> Result<String> {
    let digits: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    if digits.is_empty() || (digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit())) {
        Ok(digits)
    } else {
        Err(Error::InvalidValue {
            field: "cccd_number",
            value: s.to_string(),
        })
    }
}

/// Validates a Vietnamese mobile number (10 digits starting with 0, or +84…); empty is allowed.
pub fn parse_phone(s: &str) -> Result<String> {
    let mut digits: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if let Some(rest) = digits.strip_prefix("+84") {
        digits = format!("0{rest}");
    } else if digits.starts_with("84") && digits.len() == 11 {
        digits = format!("0{}", &digits[2..]);
    }
    if digits.is_empty()
        || (digits.len() == 10
            && digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(digits)
    } else {
        Err(Error::InvalidValue {
            field: "phone",
            value: s.to_string(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Police,
    YouthUnion,
    WomensUnion,
    School,
    University,
    WardOffice,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<VolunteerId>,
    /// A mobile team (tổ lưu động): it visits elderly, bedridden and disabled residents with
    /// the equipment, and takes the hard cases other teams flag. Absent in older plans: false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mobile: bool,
}

/// Who may do what. Decided by the hub, outside the CRDT.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Volunteer,
    Lead,
    Office,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match crate::text::fold(s).as_str() {
            "volunteer" | "tinh nguyen vien" | "tnv" => Some(Role::Volunteer),
            "lead" | "to truong" => Some(Role::Lead),
            "office" | "van phong" | "ubnd" => Some(Role::Office),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Volunteer => "volunteer",
            Role::Lead => "lead",
            Role::Office => "office",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Volunteer => lang.pick("Tình nguyện viên", "Volunteer"),
            Role::Lead => lang.pick("Tổ trưởng", "Team lead"),
            Role::Office => lang.pick("Văn phòng phường", "Ward office"),
        }
    }

    /// Only leads and the office write the ward plan.
    pub fn may_write_plan(self) -> bool {
        self >= Role::Lead
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volunteer {
    pub id: VolunteerId,
    pub name: String,
    pub org: OrgId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
}

/// Who a street or a single household is assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub team: TeamId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volunteer: Option<VolunteerId>,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<VolunteerId>,
}

/// A whole ward as one value: what a generator produces and what a replica is loaded with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardData {
    pub ward: Ward,
    pub campaign: crate::Campaign,
    pub groups: Vec<Group>,
    pub streets: Vec<Street>,
    pub orgs: Vec<Org>,
    pub teams: Vec<Team>,
    pub volunteers: Vec<Volunteer>,
    pub street_assignments: Vec<(StreetId, Assignment)>,
    pub households: Vec<Household>,
    /// Visits already made, sorted by time then id.
    pub visits: Vec<crate::Visit>,
}

impl WardData {
    pub fn resident_count(&self) -> usize {
        self.households.iter().map(|h| h.residents.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_validated_and_normalised() {
        assert_eq!(
            parse_cccd_number("001 099 012 345").unwrap(),
            "001099012345"
        );
        assert!(parse_cccd_number("12345").is_err());
        assert_eq!(parse_cccd_number("").unwrap(), "");
        assert_eq!(parse_phone("+84 912 345 678").unwrap(), "0912345678");
        assert_eq!(parse_phone("0912.345.678").unwrap(), "0912345678");
        assert!(parse_phone("12345").is_err());
    }

    #[test]
    fn teams_of_older_plans_load_and_stay_byte_identical() {
        let old = r#"{"id":"t-01","name":"Tổ công tác 1","lead":"p-01"}"#;
        let t: Team = serde_json::from_str(old).unwrap();
        assert!(!t.mobile);
        assert_eq!(serde_json::to_string(&t).unwrap(), old);
        let m = Team { mobile: true, ..t };
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.ends_with(r#","mobile":true}"#), "{json}");
        assert_eq!(serde_json::from_str::<Team>(&json).unwrap(), m);
    }

    #[test]
    fn words_from_household_lists_parse() {
        assert_eq!(Gender::parse("Nữ"), Some(Gender::Female));
        assert_eq!(Gender::parse("NAM"), Some(Gender::Male));
        assert_eq!(Gender::parse("?"), None);
        assert_eq!(Role::parse("Tổ trưởng"), Some(Role::Lead));
        assert!(Role::Office.may_write_plan() && !Role::Volunteer.may_write_plan());
    }
}
