//! The household document: a flat Automerge map, so concurrent edits never hide an object.
//!
//! Keys: `schema`, `id`, `street`, `group`, `kind`, `house_no`, `address`, `head`;
//! `r.<resident>.<field>` for each resident field (a last-writer-wins register each);
//! `v.<visit>` → a visit as JSON (append-only, never edited); `c.<correction>` → a correction as
//! JSON; `hc.<reason>` → a hard-case mark as JSON (one register per reason, so leads flagging
//! different reasons concurrently keep both; clearing deletes the key). Nothing is nested: two
//! phones can never create the same object twice.

use automerge::{
    AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable,
};
use gocua_domain::{
    Correction, Funnel, Gender, GroupId, HardCase, HardCaseMark, Household, HouseholdId,
    HouseholdKind, Resident, ResidentId, StreetId, Visit,
};
use serde::{Deserialize, Serialize};

use crate::Result;

pub const SCHEMA: i64 = 1;
const RESIDENT_FIELDS: [&str; 6] = [
    "name",
    "birth_year",
    "gender",
    "cccd_number",
    "phone",
    "base",
];

/// Everything a household document says, read leniently: entries that do not parse (a forged or
/// future-schema value) are skipped and counted, never fatal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HouseholdState {
    pub household: Household,
    pub visits: Vec<Visit>,
    pub corrections: Vec<Correction>,
    /// Hard-case reasons flagged on the household, in `HardCase` order.
    #[serde(default)]
    pub hard_cases: Vec<HardCaseMark>,
    pub ignored_entries: u32,
}

fn put_str(doc: &mut AutoCommit, key: &str, value: &str) -> Result<()> {
    doc.put(ROOT, key, value)?;
    Ok(())
}

fn enum_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn enum_parse<T: for<'de> Deserialize<'de>>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn resident_values(r: &Resident) -> [(&'static str, ScalarValue); 6] {
    [
        ("name", ScalarValue::Str(r.full_name.as_str().into())),
        (
            "birth_year",
            r.birth_year
                .map(|y| ScalarValue::Int(i64::from(y)))
                .unwrap_or(ScalarValue::Null),
        ),
        (
            "gender",
            r.gender
                .map(|g| ScalarValue::Str(enum_str(&g).into()))
                .unwrap_or(ScalarValue::Null),
        ),
        (
            "cccd_number",
            ScalarValue::Str(r.cccd_number.as_str().into()),
        ),
        ("phone", ScalarValue::Str(r.phone.as_str().into())),
        (
            "base",
            ScalarValue::Str(serde_json::to_string(&r.base).unwrap_or_default().into()),
        ),
    ]
}

fn current(doc: &AutoCommit, key: &str) -> Option<ScalarValue> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

/// Writes the household skeleton, or on re-import only the fields that differ, so importing
/// the same list twice changes nothing. Residents absent from the new list are kept: removing
/// people is a decision for the ward office, not a side effect of an import.
pub fn upsert(doc: &mut AutoCommit, h: &Household) -> Result<()> {
    let fields: [(&str, ScalarValue); 8] = [
        ("schema", ScalarValue::Int(SCHEMA)),
        ("id", ScalarValue::Str(h.id.as_str().into())),
        ("street", ScalarValue::Str(h.street.as_str().into())),
        ("group", ScalarValue::Str(h.group.as_str().into())),
        ("kind", ScalarValue::Str(enum_str(&h.kind).into())),
        ("house_no", ScalarValue::Str(h.house_no.as_str().into())),
        ("address", ScalarValue::Str(h.address.as_str().into())),
        ("head", ScalarValue::Str(h.head.as_str().into())),
    ];
    for (k, v) in fields {
        if current(doc, k).as_ref() != Some(&v) {
            doc.put(ROOT, k, v)?;
        }
    }
    for r in &h.residents {
        for (field, v) in resident_values(r) {
            let key = format!("r.{}.{field}", r.id);
            let now = current(doc, &key);
            let absent_null = now.is_none() && v == ScalarValue::Null;
            if now.as_ref() != Some(&v) && !absent_null {
                doc.put(ROOT, key.as_str(), v)?;
            }
        }
    }
    Ok(())
}

/// Updates one resident's identity fields (a phone number fixed at the door, say).
pub fn put_resident(doc: &mut AutoCommit, r: &Resident) -> Result<()> {
    for (field, v) in resident_values(r) {
        let key = format!("r.{}.{field}", r.id);
        if current(doc, &key).as_ref() != Some(&v) {
            doc.put(ROOT, key.as_str(), v)?;
        }
    }
    Ok(())
}

pub fn put_visit(doc: &mut AutoCommit, v: &Visit) -> Result<()> {
    let json = serde_json::to_string(v)
        .map_err(|e| crate::Error::CorruptDoc(v.id.to_string(), e.to_string()))?;
    put_str(doc, &format!("v.{}", v.id), &json)
}

pub fn put_correction(doc: &mut AutoCommit, c: &Correction) -> Result<()> {
    let json = serde_json::to_string(c)
        .map_err(|e| crate::Error::CorruptDoc(c.id.to_string(), e.to_string()))?;
    put_str(doc, &format!("c.{}", c.id), &json)
}

/// Flags one hard-case reason (or rewrites its mark: the note, who, when).
pub fn put_hard_case(doc: &mut AutoCommit, m: &HardCaseMark) -> Result<()> {
    let json = serde_json::to_string(m)
        .map_err(|e| crate::Error::CorruptDoc(m.reason.code().to_string(), e.to_string()))?;
    put_str(doc, &format!("hc.{}", m.reason.code()), &json)
}

/// Clears one hard-case reason; whether it was set.
pub fn clear_hard_case(doc: &mut AutoCommit, reason: HardCase) -> Result<bool> {
    let key = format!("hc.{}", reason.code());
    if doc.get(ROOT, key.as_str())?.is_none() {
        return Ok(false);
    }
    doc.delete(ROOT, key.as_str())?;
    Ok(true)
}

/// Reads the document into domain values. Never fails: unknown or malformed entries are
/// skipped and counted in `ignored_entries`.
pub fn read(doc: &AutoCommit, fallback_id: &str) -> HouseholdState {
    let mut ignored = 0u32;
    let get = |k: &str| -> String {
        match doc.get(ROOT, k) {
            Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_string).unwrap_or_default(),
            _ => String::new(),
        }
    };
    // The document id is authoritative: a forged `id` value cannot move rows elsewhere.
    let id = HouseholdId::parse(fallback_id).or_else(|_| HouseholdId::parse(&get("id")));
    let street = StreetId::parse(&get("street")).unwrap_or_else(|_| StreetId::random(0));
    let group = GroupId::parse(&get("group")).unwrap_or_else(|_| GroupId::random(0));
    let kind: HouseholdKind = enum_parse(&get("kind")).unwrap_or_default();
    let house_no = get("house_no");
    let address = get("address");
    let head = get("head");

    let mut residents: std::collections::BTreeMap<String, Resident> = Default::default();
    let mut visits = Vec::new();
    let mut corrections = Vec::new();
    let mut hard_cases = Vec::new();
    for item in doc.map_range(ROOT, ..) {
        let key = item.key.to_string();
        let value = item.value.into_value();
        let text = match &value {
            Value::Scalar(s) => s.as_str().map(str::to_string),
            Value::Object(ObjType::Map) | Value::Object(_) => None,
        };
        if let Some(rest) = key.strip_prefix("r.") {
            let Some((rid, field)) = rest.rsplit_once('.') else {
                ignored += 1;
                continue;
            };
            let Ok(rid_parsed) = ResidentId::parse(rid) else {
                ignored += 1;
                continue;
            };
            if !RESIDENT_FIELDS.contains(&field) {
                ignored += 1;
                continue;
            }
            let r = residents
                .entry(rid.to_string())
                .or_insert_with(|| Resident {
                    id: rid_parsed,
                    full_name: String::new(),
                    birth_year: None,
                    gender: None,
                    cccd_number: String::new(),
                    phone: String::new(),
                    base: Funnel::default(),
                });
            match (field, &value) {
                ("name", _) => r.full_name = text.unwrap_or_default(),
                ("birth_year", Value::Scalar(s)) => {
                    r.birth_year = s.as_i64().and_then(|y| i32::try_from(y).ok())
                }
                ("gender", _) => r.gender = text.as_deref().and_then(enum_parse::<Gender>),
                ("cccd_number", _) => r.cccd_number = text.unwrap_or_default(),
                ("phone", _) => r.phone = text.unwrap_or_default(),
                ("base", _) => match text.as_deref().map(serde_json::from_str::<Funnel>) {
                    Some(Ok(f)) => r.base = f,
                    _ => ignored += 1,
                },
                _ => ignored += 1,
            }
        } else if let Some(vid) = key.strip_prefix("v.") {
            match text.as_deref().map(serde_json::from_str::<Visit>) {
                Some(Ok(v)) if v.id.as_str() == vid => visits.push(v),
                _ => ignored += 1,
            }
        } else if let Some(cid) = key.strip_prefix("c.") {
            match text.as_deref().map(serde_json::from_str::<Correction>) {
                Some(Ok(c)) if c.id.as_str() == cid => corrections.push(c),
                _ => ignored += 1,
            }
        } else if let Some(code) = key.strip_prefix("hc.") {
            match text.as_deref().map(serde_json::from_str::<HardCaseMark>) {
                Some(Ok(m)) if m.reason.code() == code => hard_cases.push(m),
                _ => ignored += 1,
            }
        } else if !matches!(
            key.as_str(),
            "schema" | "id" | "street" | "group" | "kind" | "house_no" | "address" | "head"
        ) {
            ignored += 1;
        }
    }
    // A resident entry without a name is a partial or forged write: not a person.
    let residents: Vec<Resident> = residents
        .into_values()
        .filter(|r| !r.full_name.is_empty())
        .collect();
    visits.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    hard_cases.sort_by_key(|m| m.reason);
    corrections.sort_by(|a, b| (a.at, a.id.as_str()).cmp(&(b.at, b.id.as_str())));
    let id = id.unwrap_or_else(|_| HouseholdId::random(0));
    // Visits must be about this household and its residents.
    let before = visits.len() + corrections.len();
    visits.retain(|v| v.household == id);
    corrections.retain(|c| residents.iter().any(|r| r.id == c.resident));
    ignored += (before - visits.len() - corrections.len()) as u32;
    HouseholdState {
        household: Household {
            id,
            street,
            group,
            kind,
            house_no,
            address,
            head,
            residents,
        },
        visits,
        corrections,
        hard_cases,
        ignored_entries: ignored,
    }
}
