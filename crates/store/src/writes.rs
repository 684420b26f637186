//! Local writes: the ward plan, household imports, visits, corrections, resident edits and
//! hard-case flags.
//! Each goes through `Store::write_docs`, so change bytes and projection rows commit together.

use automerge::{ROOT, ReadDoc};
use gocua_domain::{
    Assignment, Correction, HardCase, HardCaseMark, Household, HouseholdId, Resident, Visit,
};
use serde::Serialize;

use crate::docs::Presence;
use crate::{DocKind, Error, PLAN_DOC_ID, PlanEntry, Result, Store, household_doc, plan_doc};

/// Households per SQLite transaction during bulk imports.
const IMPORT_BATCH: usize = 250;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UpsertSummary {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

impl Store {
    /// Creates the plan document (ward, campaign, ...) if missing, and writes the entries.
    pub fn put_plan(&mut self, entries: &[PlanEntry]) -> Result<bool> {
        // Every device receives the plan: volunteers' phone numbers stay in this replica.
        let mut entries = entries.to_vec();
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT OR REPLACE INTO volunteer_contacts (volunteer_id, phone) VALUES (?1, ?2)",
            )?;
            for e in &mut entries {
                if let PlanEntry::Volunteer(v) = e
                    && !v.phone.is_empty()
                {
                    stmt.execute(rusqlite::params![v.id.as_str(), v.phone])?;
                    v.phone.clear();
                }
            }
        }
        let out = self.write_docs(
            vec![(
                PLAN_DOC_ID.to_string(),
                DocKind::Plan,
                Presence::CreateIfMissing,
            )],
            |_, _, doc| plan_doc::put_entries(doc, &entries),
        )?;
        Ok(out[0].changed)
    }

    /// Imports households: one Automerge change per household, many households per SQLite
    /// transaction. Re-importing the same data changes nothing.
    pub fn upsert_households(
        &mut self,
        households: &[Household],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<UpsertSummary> {
        let mut summary = UpsertSummary::default();
        let total = households.len();
        for (b, chunk) in households.chunks(IMPORT_BATCH).enumerate() {
            let mut existed = Vec::with_capacity(chunk.len());
            for h in chunk {
                existed.push(self.has_doc(h.id.as_str())?);
            }
            let items = chunk
                .iter()
                .map(|h| {
                    (
                        h.id.to_string(),
                        DocKind::Household,
                        Presence::CreateIfMissing,
                    )
                })
                .collect();
            let outcomes =
                self.write_docs(items, |i, _, doc| household_doc::upsert(doc, &chunk[i]))?;
            for (o, e) in outcomes.iter().zip(existed) {
                match (o.changed, e) {
                    (true, false) => summary.created += 1,
                    (true, true) => summary.updated += 1,
                    (false, _) => summary.unchanged += 1,
                }
            }
            progress((b * IMPORT_BATCH + chunk.len()).min(total), total);
        }
        Ok(summary)
    }

    /// Loads a whole ward into this replica: the plan, the households (with progress), then the
    /// visits already made. Idempotent: loading the same ward again changes nothing.
    pub fn load_ward(
        &mut self,
        w: &gocua_domain::WardData,
        progress: impl FnMut(usize, usize),
    ) -> Result<UpsertSummary> {
        self.put_plan(&PlanEntry::for_ward(w))?;
        let summary = self.upsert_households(&w.households, progress)?;
        for v in &w.visits {
            self.record_visit(v)?;
        }
        Ok(summary)
    }

    /// Records a visit. Every resident it mentions must belong to the household.
    pub fn record_visit(&mut self, visit: &Visit) -> Result<()> {
        let hid = visit.household.to_string();
        let items = vec![(hid.clone(), DocKind::Household, Presence::Existing)];
        self.write_docs_with(
            items,
            crate::docs::Projection::NewVisit(visit),
            |_, _, doc| {
                for a in &visit.actions {
                    if doc
                        .get(ROOT, format!("r.{}.name", a.resident).as_str())?
                        .is_none()
                    {
                        return Err(Error::NoSuchResident {
                            household: hid.clone(),
                            resident: a.resident.to_string(),
                        });
                    }
                }
                household_doc::put_visit(doc, visit).map(|()| None)
            },
        )?;
        Ok(())
    }

    /// Records a lead's correction of one resident's funnel.
    pub fn add_correction(&mut self, household: &HouseholdId, c: &Correction) -> Result<()> {
        let hid = household.to_string();
        self.write_docs(
            vec![(hid.clone(), DocKind::Household, Presence::Existing)],
            |_, _, doc| {
                if doc
                    .get(ROOT, format!("r.{}.name", c.resident).as_str())?
                    .is_none()
                {
                    return Err(Error::NoSuchResident {
                        household: hid.clone(),
                        resident: c.resident.to_string(),
                    });
                }
                household_doc::put_correction(doc, c)
            },
        )?;
        Ok(())
    }

    /// Flags hard-case reasons on a household and, with `route`, hands the household to that
    /// team (the plan's single-household assignment) in the same transaction, so the household
    /// never carries a flag without its routing or the other way round.
    pub fn flag_hard_case(
        &mut self,
        household: &HouseholdId,
        marks: &[HardCaseMark],
        route: Option<Assignment>,
    ) -> Result<()> {
        let mut items = vec![(
            household.to_string(),
            DocKind::Household,
            Presence::Existing,
        )];
        let route = route.map(|a| PlanEntry::HouseholdAssignment {
            household: household.clone(),
            assignment: Some(a),
        });
        if route.is_some() {
            items.push((PLAN_DOC_ID.to_string(), DocKind::Plan, Presence::Existing));
        }
        self.write_docs(items, |i, _, doc| match (i, &route) {
            (0, _) => marks
                .iter()
                .try_for_each(|m| household_doc::put_hard_case(doc, m)),
            (_, Some(entry)) => plan_doc::put_entries(doc, std::slice::from_ref(entry)),
            _ => Ok(()),
        })?;
        Ok(())
    }

    /// Clears hard-case reasons of a household (all of them when `reasons` is empty) and
    /// returns those that were set. With `hand_back`, the household's own assignment is removed
    /// too, so it goes back to whoever has its street.
    pub fn clear_hard_cases(
        &mut self,
        household: &HouseholdId,
        reasons: &[HardCase],
        hand_back: bool,
    ) -> Result<Vec<HardCase>> {
        let reasons: Vec<HardCase> = if reasons.is_empty() {
            HardCase::ALL.to_vec()
        } else {
            reasons.to_vec()
        };
        let mut items = vec![(
            household.to_string(),
            DocKind::Household,
            Presence::Existing,
        )];
        let back = PlanEntry::HouseholdAssignment {
            household: household.clone(),
            assignment: None,
        };
        if hand_back {
            items.push((PLAN_DOC_ID.to_string(), DocKind::Plan, Presence::Existing));
        }
        let mut cleared = Vec::new();
        self.write_docs(items, |i, _, doc| {
            if i == 0 {
                cleared.clear();
                for r in &reasons {
                    if household_doc::clear_hard_case(doc, *r)? {
                        cleared.push(*r);
                    }
                }
                Ok(())
            } else {
                plan_doc::put_entries(doc, std::slice::from_ref(&back))
            }
        })?;
        Ok(cleared)
    }

    /// Adds or edits one resident of an existing household.
    pub fn put_resident(&mut self, household: &HouseholdId, r: &Resident) -> Result<()> {
        self.write_docs(
            vec![(
                household.to_string(),
                DocKind::Household,
                Presence::Existing,
            )],
            |_, _, doc| household_doc::put_resident(doc, r),
        )?;
        Ok(())
    }

    /// The household as its document says (not the projection).
    pub fn household_state(&mut self, id: &HouseholdId) -> Result<household_doc::HouseholdState> {
        let doc = self
            .take_doc(id.as_str())?
            .ok_or_else(|| Error::NoSuchHousehold(id.to_string()))?;
        let st = household_doc::read(&doc, id.as_str());
        self.put_back(id.as_str(), doc);
        Ok(st)
    }

    /// The plan as its document says.
    pub fn plan_state(&mut self) -> Result<plan_doc::PlanState> {
        let doc = self.take_doc(PLAN_DOC_ID)?.ok_or(Error::NoPlan)?;
        let st = plan_doc::read(&doc);
        self.put_back(PLAN_DOC_ID, doc);
        Ok(st)
    }

    /// Canonical dump of the projection; with `households`, only rows of those households (plus
    /// the plan tables), so replicas holding different subsets can be compared.
    pub fn projection_dump(&self, households: Option<&[String]>) -> Result<String> {
        crate::projection::dump(&self.conn, households)
    }
}
