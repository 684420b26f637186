//! The one command table of Gõ Cửa: every user action as a typed command, with the rules that
//! go with it (who may do what, ids and times filled in, visiting windows checked). The CLI,
//! the hub's HTTP API and the Tauri app are thin adapters over [`App::execute`] and
//! [`App::dispatch_json`].

pub mod commands;
pub mod demo;
mod error;
mod identity;
pub mod import;
mod lead;
pub mod report;

use std::path::Path;

use gocua_domain::{
    AreaKind, Assignment, Blocker, Campaign, Correction, CorrectionId, HouseholdOutcome, Lang,
    Revisit, Timestamp, Visit, VisitId, Ward, WardId,
};
use gocua_store::queries::HouseholdDetail;
use gocua_store::{PlanEntry, Store};
use serde::Serialize;
use time::Date;

pub use commands::{COMMANDS, Command, Response};
pub use error::{CampaignProblem, CommandError, Error, Permission, Result};
/// Query row types, re-exported so adapters need not depend on the store.
pub use gocua_store::queries;
pub use identity::Identity;

use commands::*;

/// Which long-running step a progress event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading the rows of an imported file.
    Parse,
    /// Writing households into the replica.
    Households,
    /// Writing the visits of a generated ward.
    Visits,
    /// Rebuilding the projection from the documents.
    Rebuild,
}

impl Stage {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Stage::Parse => lang.pick("Đọc tệp", "Reading the file"),
            Stage::Households => lang.pick("Ghi hộ gia đình", "Writing households"),
            Stage::Visits => lang.pick("Ghi lượt thăm", "Writing visits"),
            Stage::Rebuild => lang.pick("Dựng lại dữ liệu tra cứu", "Rebuilding the projection"),
        }
    }
}

/// `done` of `total` units of `stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ProgressEvent {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// A replica and the person using it. `S` is how the app holds the store: its own (the CLI,
/// the phone) or a borrowed one (the hub runs office commands on the store it serves from,
/// under its own lock; see [`App::borrowed`]).
pub struct App<S = Box<Store>> {
    store: S,
    lang: Lang,
    identity: Identity,
    /// Fixed "now" for tests and reproducible demos; the system clock otherwise.
    clock: Option<Timestamp>,
}

impl App {
    pub fn new(store: Store, lang: Lang) -> Result<App> {
        let identity = Identity::load(&store)?;
        Ok(App {
            store: Box::new(store),
            lang,
            identity,
            clock: None,
        })
    }

    /// Opens (creating if needed) the replica at `path`.
    pub fn open(path: &Path, lang: Lang) -> Result<App> {
        App::new(Store::open(path)?, lang)
    }

    /// Gives the replica back (to pair it, or to wipe it after a revocation).
    pub fn into_store(self) -> Store {
        *self.store
    }
}

impl<'s> App<&'s mut Store> {
    /// An app over a store someone else holds, used as `identity` whatever the store's own
    /// identity says: the hub runs the office's web commands on its replica this way, as the
    /// office, while it holds the replica's lock.
    pub fn borrowed(store: &'s mut Store, lang: Lang, identity: Identity) -> App<&'s mut Store> {
        App {
            store,
            lang,
            identity,
            clock: None,
        }
    }
}

impl<S: std::ops::DerefMut<Target = Store>> App<S> {
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Pins the clock (tests, demos); `None` goes back to the system clock.
    pub fn set_clock(&mut self, now: Option<Timestamp>) {
        self.clock = now;
    }

    pub fn now(&self) -> Timestamp {
        self.clock.unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Timestamp(secs)
        })
    }

    /// Today in Vietnam: the date eligibility and daily figures are judged on.
    pub fn today(&self) -> Date {
        self.now().local_date()
    }

    /// Runs a command by wire name with JSON arguments, returning the JSON response or the
    /// error as users see it. This is what the HTTP API and Tauri's `invoke` call.
    pub fn dispatch_json(
        &mut self,
        name: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, CommandError> {
        let lang = self.lang;
        parse_command(name, args)
            .and_then(|cmd| self.dispatch_json_raw(cmd, &mut |_| {}))
            .map_err(|e| e.to_command_error(lang))
    }

    /// [`App::dispatch_json`] with the error itself, for transports that answer in both
    /// languages (the hub's office API); `progress` as in [`App::execute`].
    pub fn dispatch_json_raw(
        &mut self,
        cmd: Command,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<serde_json::Value> {
        let name = cmd.name();
        let response = self.run(cmd, progress)?;
        serde_json::to_value(&response).map_err(|e| Error::BadArgs {
            command: name.to_string(),
            detail: e.to_string(),
        })
    }

    /// The steering committee's report as XLSX bytes, as of today, in `lang`
    /// (see [`report::build`]).
    pub fn report_xlsx(&self, lang: Lang) -> Result<Vec<u8>> {
        report::build(&self.store, lang, self.today())
    }

    /// Runs one command. Long commands (import, demo, rebuild) report progress.
    pub fn execute(
        &mut self,
        cmd: Command,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<Response, CommandError> {
        self.run(cmd, progress)
            .map_err(|e| e.to_command_error(self.lang))
    }

    fn run(&mut self, cmd: Command, progress: &mut dyn FnMut(ProgressEvent)) -> Result<Response> {
        let today = self.today();
        Ok(match cmd {
            Command::CreateWard(a) => Response::Ward(self.create_ward(a)?),
            Command::Import(a) => Response::Import(self.import(a, progress)?),
            Command::GenerateDemo(a) => Response::Demo(self.generate_demo(a, progress)?),
            Command::ListStreets(a) => {
                Response::Streets(self.store.streets(a.team.as_ref(), today)?)
            }
            Command::ListHouseholds(a) => {
                Response::Households(self.store.households(&a.filter, today)?)
            }
            Command::HouseholdDetail(a) => {
                let detail = self.household_shown(&a.id)?;
                let area = self.area_of(&detail)?;
                let window = self.store.campaign()?.map(|c| c.window(area));
                Response::Household(Box::new(HouseholdView {
                    detail,
                    area,
                    window,
                }))
            }
            Command::RecordVisit(a) => Response::Visit(Box::new(self.record_visit(a)?)),
            Command::BookRevisit(a) => Response::Visit(Box::new(self.book_revisit(a)?)),
            Command::Correct(a) => Response::Correction(self.correct(a)?),
            Command::AssignStreet(a) => Response::Assigned(self.assign_street(a)?),
            Command::AssignHousehold(a) => Response::Assigned(self.assign_household(a)?),
            Command::Progress(a) => Response::Progress(self.store.progress(a.by, today)?),
            Command::Leaderboard(a) => Response::Progress(self.store.leaderboard(a.by, today)?),
            Command::DailyProgress => Response::Daily(self.store.daily_progress(today)?),
            Command::Search(a) => {
                Response::Search(self.store.search_residents(&a.query, a.limit.min(500))?)
            }
            Command::RebuildProjection => {
                let documents = self.store.rebuild_projection(|done, total| {
                    progress(ProgressEvent {
                        stage: Stage::Rebuild,
                        done,
                        total,
                    })
                })?;
                Response::Rebuilt(Rebuilt { documents })
            }
            Command::SetIdentity(a) => Response::Identity(self.set_identity(a)?),
            Command::Whoami => Response::Identity(self.whoami()?),
            Command::ListTeams => Response::Teams(self.teams()?),
            Command::FlagHardCase(a) => Response::HardCaseFlagged(self.flag_hard_case(a)?),
            Command::UnflagHardCase(a) => Response::HardCaseCleared(self.unflag_hard_case(a)?),
            Command::HardCases(a) => Response::HardCases(self.hard_cases(a)?),
            Command::SetTeamSchedule(a) => Response::Session(self.set_team_schedule(a)?),
            Command::RemoveTeamSchedule(a) => {
                Response::SessionRemoved(self.remove_team_schedule(a)?)
            }
            Command::TeamSchedule(a) => Response::Schedule(self.team_schedule(a)?),
            Command::TeamBoard(a) => Response::Board(Box::new(self.team_board(a)?)),
            Command::Campaign => Response::Campaign(self.campaign_info()?),
            Command::UpdateCampaign(a) => Response::Campaign(self.update_campaign(a)?),
            c @ (Command::ListDevices | Command::RevokeDevice(_) | Command::IssuePairing(_)) => {
                return Err(Error::HubOnly(c.name()));
            }
        })
    }

    fn require(&self, permission: Permission) -> Result<()> {
        if self.identity.role.may_write_plan() {
            Ok(())
        } else {
            Err(Error::Forbidden(permission))
        }
    }

    fn household(&self, id: &gocua_domain::HouseholdId) -> Result<HouseholdDetail> {
        self.store
            .household_detail(id, self.today())?
            .ok_or_else(|| Error::NotFound {
                kind: "household",
                id: id.to_string(),
            })
    }

    /// A household as this user is shown it: a volunteer sees ID and phone numbers masked
    /// (they check the card itself at the door); leads and the office see them whole.
    fn household_shown(&self, id: &gocua_domain::HouseholdId) -> Result<HouseholdDetail> {
        let mut d = self.household(id)?;
        if self.identity.role == gocua_domain::Role::Volunteer {
            for r in &mut d.residents {
                r.cccd_number = gocua_domain::text::mask_id_number(&r.cccd_number);
                r.phone = gocua_domain::text::mask_phone(&r.phone);
            }
        }
        Ok(d)
    }

    fn campaign(&self) -> Result<Campaign> {
        self.store.campaign()?.ok_or(Error::NoCampaign)
    }

    /// Urban or rural, from the household's residential group; urban when unknown.
    fn area_of(&self, d: &HouseholdDetail) -> Result<AreaKind> {
        Ok(self
            .store
            .groups()?
            .into_iter()
            .find(|g| g.id == d.row.group)
            .map(|g| g.kind.area())
            .unwrap_or(AreaKind::Urban))
    }

    fn create_ward(&mut self, a: CreateWard) -> Result<WardCreated> {
        self.require(Permission::WritePlan)?;
        if self.store.ward()?.is_some() {
            return Err(gocua_store::Error::PlanExists.into());
        }
        let name = gocua_domain::text::normalize_display(&a.ward_name);
        if name.is_empty() {
            return Err(gocua_domain::Error::Missing { field: "ward_name" }.into());
        }
        let ward = Ward {
            id: WardId::random(rand::random()),
            name,
            district: gocua_domain::text::normalize_display(&a.district),
        };
        let mut campaign = Campaign::new(&a.campaign, a.start, a.end)?;
        campaign.targets = a.targets;
        if let Some(age) = a.eligible_age {
            campaign.eligible_age = age;
        }
        if let Some(q) = a.quota_per_volunteer {
            campaign.quota_per_volunteer = q;
        }
        self.store.put_plan(&[
            PlanEntry::Ward(ward.clone()),
            PlanEntry::Campaign(campaign.clone()),
        ])?;
        Ok(WardCreated { ward, campaign })
    }

    fn import(
        &mut self,
        a: Import,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<ImportReport> {
        self.require(Permission::WritePlan)?;
        let parsed = import::parse_path(&a.path, self.lang, &mut |done, total| {
            progress(ProgressEvent {
                stage: Stage::Parse,
                done: done as u64,
                total: total as u64,
            })
        })?;
        let residents = parsed.households.iter().map(|h| h.residents.len()).sum();
        let mut report = ImportReport {
            rows: parsed.rows,
            households: parsed.households.len(),
            residents,
            new_groups: 0,
            new_streets: 0,
            summary: Default::default(),
            errors: parsed.errors,
            imported: false,
            shape: parsed.shape,
        };
        if !report.errors.is_empty() && !a.accept_valid_rows {
            return Ok(report);
        }
        let groups = self.store.groups()?;
        let streets = self.store.streets(None, self.today())?;
        report.new_groups = parsed
            .groups
            .iter()
            .filter(|g| !groups.iter().any(|x| x.id == g.id))
            .count();
        report.new_streets = parsed
            .streets
            .iter()
            .filter(|s| !streets.iter().any(|x| x.id == s.id))
            .count();
        let mut plan: Vec<PlanEntry> = parsed.groups.into_iter().map(PlanEntry::Group).collect();
        plan.extend(parsed.streets.into_iter().map(PlanEntry::Street));
        if !plan.is_empty() {
            self.store.put_plan(&plan)?;
        }
        report.summary = self
            .store
            .upsert_households(&parsed.households, |done, total| {
                progress(ProgressEvent {
                    stage: Stage::Households,
                    done: done as u64,
                    total: total as u64,
                })
            })?;
        report.imported = true;
        Ok(report)
    }

    fn generate_demo(
        &mut self,
        a: GenerateDemo,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<DemoReport> {
        self.require(Permission::WritePlan)?;
        if self.store.ward()?.is_some() {
            return Err(gocua_store::Error::PlanExists.into());
        }
        let identity_was_set = Identity::is_set(&self.store)?;
        let (mut report, lead) = demo::load(&mut self.store, a.seed, a.households, progress)?;
        if let (false, Some(identity)) = (identity_was_set, lead) {
            identity.save(&self.store)?;
            self.identity = identity.clone();
            report.identity = Some(identity);
        }
        Ok(report)
    }

    fn record_visit(&mut self, a: RecordVisit) -> Result<Visit> {
        let detail = self.household(&a.household)?;
        let volunteer = match (a.volunteer, &self.identity.volunteer) {
            (Some(v), Some(me)) if &v == me => v,
            (Some(v), _) => {
                self.require(Permission::ActForOthers)?;
                v
            }
            (None, Some(me)) => me.clone(),
            (None, None) => return Err(Error::NoIdentity),
        };
        // Entered for someone else (a paper list, say): the visit says who entered it.
        let recorded_by = self
            .identity
            .volunteer
            .clone()
            .filter(|me| *me != volunteer);
        let at = a.at.unwrap_or_else(|| self.now());
        let revisit = match a.revisit {
            Some(r) => {
                self.check_window(r.at, &detail)?;
                Some(Revisit {
                    at: r.at,
                    note: gocua_domain::text::normalize_display(&r.note),
                })
            }
            None => None,
        };
        for action in &a.residents {
            if !detail.residents.iter().any(|r| r.id == action.resident) {
                return Err(Error::NotFound {
                    kind: "resident",
                    id: action.resident.to_string(),
                });
            }
        }
        let mut household_blockers = a.household_blockers;
        // The outcome is itself the household's blocker for the next visit.
        let implied = match a.outcome {
            HouseholdOutcome::NobodyHome => Some(Blocker::NobodyHome),
            HouseholdOutcome::Refused => Some(Blocker::Refused),
            _ => None,
        };
        if let Some(b) = implied.filter(|b| !household_blockers.contains(b)) {
            household_blockers.push(b);
        }
        let visit = Visit {
            id: a.id.unwrap_or_else(|| VisitId::random(rand::random())),
            household: a.household,
            at,
            team: self.team_for(&volunteer, &detail)?,
            volunteer,
            device: self.identity.device.clone(),
            recorded_by,
            outcome: a.outcome,
            actions: a.residents,
            household_blockers,
            revisit,
            note: gocua_domain::text::normalize_display(&a.note),
        };
        self.store.record_visit(&visit)?;
        Ok(visit)
    }

    /// The team a visit is logged under: the identity's, else the volunteer's team in the plan,
    /// else whoever has the household.
    fn team_for(
        &self,
        volunteer: &gocua_domain::VolunteerId,
        d: &HouseholdDetail,
    ) -> Result<Option<gocua_domain::TeamId>> {
        if self.identity.volunteer.as_ref() == Some(volunteer) && self.identity.team.is_some() {
            return Ok(self.identity.team.clone());
        }
        let planned = self
            .store
            .volunteers()?
            .into_iter()
            .find(|v| &v.id == volunteer)
            .and_then(|v| v.team);
        Ok(planned.or_else(|| d.row.team.clone()))
    }

    fn check_window(&self, at: Timestamp, d: &HouseholdDetail) -> Result<()> {
        let area = self.area_of(d)?;
        Ok(self.campaign()?.check_revisit(at, area)?)
    }

    /// A booking is stored as a contact without funnel facts (the household document's only
    /// record of a booked return is a visit's `revisit`). It keeps the household blockers the
    /// latest visit found, so booking never makes a hard household look easy.
    fn book_revisit(&mut self, a: BookRevisit) -> Result<Visit> {
        let detail = self.household(&a.household)?;
        self.check_window(a.at, &detail)?;
        let volunteer = self.identity.volunteer.clone().ok_or(Error::NoIdentity)?;
        let note = gocua_domain::text::normalize_display(&a.note);
        let visit = Visit {
            id: VisitId::random(rand::random()),
            household: a.household,
            at: self.now(),
            team: self.team_for(&volunteer, &detail)?,
            volunteer,
            device: self.identity.device.clone(),
            recorded_by: None,
            outcome: HouseholdOutcome::Booking,
            actions: Vec::new(),
            household_blockers: Vec::new(),
            revisit: Some(Revisit {
                at: a.at,
                note: note.clone(),
            }),
            note,
        };
        self.store.record_visit(&visit)?;
        Ok(visit)
    }

    fn correct(&mut self, a: Correct) -> Result<Correction> {
        self.require(Permission::Correct)?;
        let by = self.identity.volunteer.clone().ok_or(Error::NoIdentity)?;
        let detail = self.household(&a.household)?;
        if !detail.residents.iter().any(|r| r.id == a.resident) {
            return Err(Error::NotFound {
                kind: "resident",
                id: a.resident.to_string(),
            });
        }
        let c = Correction::new(
            CorrectionId::random(rand::random()),
            a.resident,
            self.now(),
            by,
            a.set,
            &a.reason,
        )?;
        self.store.add_correction(&a.household, &c)?;
        Ok(c)
    }

    /// Checks a team and volunteer exist in the plan.
    fn check_assignee(
        &self,
        team: &gocua_domain::TeamId,
        volunteer: Option<&gocua_domain::VolunteerId>,
    ) -> Result<()> {
        if !self.store.teams()?.iter().any(|t| &t.id == team) {
            return Err(Error::NotFound {
                kind: "team",
                id: team.to_string(),
            });
        }
        let Some(v) = volunteer else { return Ok(()) };
        if !self.store.volunteers()?.iter().any(|x| &x.id == v) {
            return Err(Error::NotFound {
                kind: "volunteer",
                id: v.to_string(),
            });
        }
        Ok(())
    }

    fn assign_street(&mut self, a: AssignStreet) -> Result<Assigned> {
        self.require(Permission::Assign)?;
        if !self
            .store
            .streets(None, self.today())?
            .iter()
            .any(|s| s.id == a.street)
        {
            return Err(Error::NotFound {
                kind: "street",
                id: a.street.to_string(),
            });
        }
        self.check_assignee(&a.team, a.volunteer.as_ref())?;
        let assignment = Assignment {
            team: a.team.clone(),
            volunteer: a.volunteer.clone(),
            at: self.now(),
            by: self.identity.volunteer.clone(),
        };
        self.store.put_plan(&[PlanEntry::StreetAssignment {
            street: a.street.clone(),
            assignment,
        }])?;
        Ok(Assigned {
            kind: "street",
            id: a.street.to_string(),
            team: Some(a.team),
            volunteer: a.volunteer,
        })
    }

    fn assign_household(&mut self, a: AssignHousehold) -> Result<Assigned> {
        self.require(Permission::Assign)?;
        self.household(&a.household)?;
        let assignment = match &a.team {
            Some(team) => {
                self.check_assignee(team, a.volunteer.as_ref())?;
                Some(Assignment {
                    team: team.clone(),
                    volunteer: a.volunteer.clone(),
                    at: self.now(),
                    by: self.identity.volunteer.clone(),
                })
            }
            None => None,
        };
        self.store.put_plan(&[PlanEntry::HouseholdAssignment {
            household: a.household.clone(),
            assignment,
        }])?;
        let volunteer = if a.team.is_some() { a.volunteer } else { None };
        Ok(Assigned {
            kind: "household",
            id: a.household.to_string(),
            team: a.team,
            volunteer,
        })
    }

    fn set_identity(&mut self, a: SetIdentity) -> Result<WhoAmI> {
        if Identity::is_paired(&self.store)? {
            return Err(Error::IdentityFromPairing);
        }
        let volunteers = self.store.volunteers()?;
        let mut team = a.team;
        if let Some(v) = &a.volunteer {
            // A replica without a plan yet (a phone before its first sync) cannot check.
            if !volunteers.is_empty() {
                let found =
                    volunteers
                        .iter()
                        .find(|x| &x.id == v)
                        .ok_or_else(|| Error::NotFound {
                            kind: "volunteer",
                            id: v.to_string(),
                        })?;
                if team.is_none() {
                    team = found.team.clone();
                }
            }
        }
        if let Some(t) = &team {
            let teams = self.store.teams()?;
            if !teams.is_empty() && !teams.iter().any(|x| &x.id == t) {
                return Err(Error::NotFound {
                    kind: "team",
                    id: t.to_string(),
                });
            }
        }
        let identity = Identity {
            volunteer: a.volunteer,
            team,
            role: a.role,
            device: a.device,
        };
        identity.save(&self.store)?;
        self.identity = identity;
        self.whoami()
    }

    /// The plan's teams in Vietnamese order, each with its lead and members.
    fn teams(&self) -> Result<Vec<TeamRow>> {
        let volunteers = self.store.volunteers()?;
        Ok(self
            .store
            .teams()?
            .into_iter()
            .map(|t| TeamRow {
                members: volunteers
                    .iter()
                    .filter(|v| v.team.as_ref() == Some(&t.id))
                    .map(|v| TeamMember {
                        id: v.id.clone(),
                        name: v.name.clone(),
                        role: v.role,
                    })
                    .collect(),
                id: t.id,
                name: t.name,
                lead: t.lead,
                mobile: t.mobile,
            })
            .collect())
    }

    fn campaign_info(&self) -> Result<CampaignInfo> {
        let ward = self.store.ward()?.ok_or(Error::NoCampaign)?;
        Ok(CampaignInfo {
            ward: ward.name,
            district: ward.district,
            campaign: self.campaign()?,
        })
    }

    fn update_campaign(&mut self, a: UpdateCampaign) -> Result<CampaignInfo> {
        if self.identity.role != gocua_domain::Role::Office {
            return Err(Error::Forbidden(Permission::Campaign));
        }
        self.campaign()?;
        let mut c = a.campaign;
        c.name = gocua_domain::text::normalize_display(&c.name);
        check_campaign(&c)?;
        self.store.put_plan(&[PlanEntry::Campaign(c)])?;
        self.campaign_info()
    }

    fn whoami(&self) -> Result<WhoAmI> {
        let id = &self.identity;
        let volunteer_name = match &id.volunteer {
            Some(v) => self
                .store
                .volunteers()?
                .into_iter()
                .find(|x| &x.id == v)
                .map(|x| x.name),
            None => None,
        };
        let team_name = match &id.team {
            Some(t) => self
                .store
                .teams()?
                .into_iter()
                .find(|x| &x.id == t)
                .map(|x| x.name),
            None => None,
        };
        Ok(WhoAmI {
            identity: id.clone(),
            volunteer_name,
            team_name,
            ward: self.store.ward()?.map(|w| w.name),
            campaign: self.store.campaign()?.map(|c| c.name),
        })
    }
}

/// The rules a campaign's settings keep (`update_campaign`).
pub fn check_campaign(c: &Campaign) -> Result<()> {
    use error::CampaignProblem as P;
    let problem = if c.name.is_empty() {
        Some(P::Name)
    } else if c.end < c.start {
        Some(P::Dates)
    } else if c.targets.cccd == 0 || c.targets.level2 == 0 || c.targets.activated == 0 {
        Some(P::Targets)
    } else if !(14..=18).contains(&c.eligible_age) {
        Some(P::EligibleAge)
    } else if c.urban_window.start >= c.urban_window.end {
        Some(P::Window(AreaKind::Urban))
    } else if c.rural_window.start >= c.rural_window.end {
        Some(P::Window(AreaKind::Rural))
    } else if c.quota_per_volunteer < 1 {
        Some(P::Quota)
    } else {
        None
    };
    match problem {
        Some(p) => Err(Error::InvalidCampaign(p)),
        None => Ok(()),
    }
}

/// Builds a command from its wire name and arguments.
pub fn parse_command(name: &str, args: serde_json::Value) -> Result<Command> {
    if !COMMANDS.contains(&name) {
        return Err(Error::UnknownCommand(name.to_string()));
    }
    let empty = args.is_null() || args.as_object().is_some_and(|o| o.is_empty());
    let mut envelope = serde_json::Map::new();
    envelope.insert("cmd".into(), serde_json::Value::String(name.to_string()));
    if !(commands::UNIT_COMMANDS.contains(&name) && empty) {
        // Commands whose arguments all have defaults accept `null` like `{}`.
        let args = if args.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            args
        };
        envelope.insert("args".into(), args);
    }
    serde_json::from_value(serde_json::Value::Object(envelope)).map_err(|e| Error::BadArgs {
        command: name.to_string(),
        detail: e.to_string(),
    })
}
