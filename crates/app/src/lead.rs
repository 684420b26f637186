//! A team lead's commands: flag hard cases and route them to a mobile team, plan the team's
//! schedule, and read the team board. Who may do what is checked here, before anything is
//! written; the hub checks it again on what a device sends.

use gocua_domain::{Assignment, HardCaseMark, Role, SessionId, TeamId, TeamSession};
use gocua_store::PlanEntry;
use gocua_store::queries::{HardCaseRow, TeamBoard};

use crate::commands::*;
use crate::{App, Error, Permission, Result};

impl<S: std::ops::DerefMut<Target = gocua_store::Store>> App<S> {
    /// A lead may act for their own team (a lead paired without a team, like the office, for
    /// every team); volunteers for none.
    fn require_lead_of(&self, team: Option<&TeamId>, permission: Permission) -> Result<()> {
        self.require(permission)?;
        match (self.identity.role, &self.identity.team, team) {
            (Role::Office, _, _) | (_, None, _) => Ok(()),
            (_, Some(mine), Some(t)) if mine == t => Ok(()),
            (_, Some(_), t) => Err(Error::NotYourTeam {
                team: t.map(|t| t.to_string()).unwrap_or_default(),
            }),
        }
    }

    fn team_exists(&self, team: &TeamId) -> Result<gocua_domain::Team> {
        self.store
            .teams()?
            .into_iter()
            .find(|t| &t.id == team)
            .ok_or_else(|| Error::NotFound {
                kind: "team",
                id: team.to_string(),
            })
    }

    /// Where a flagged household goes: the chosen mobile team, else the ward's only one; nowhere
    /// when it is with a mobile team already or the ward has none.
    fn mobile_route(
        &self,
        current: Option<&TeamId>,
        to: Option<&TeamId>,
    ) -> Result<Option<TeamId>> {
        let teams = self.store.teams()?;
        let target = match to {
            Some(t) => {
                let team = self.team_exists(t)?;
                if !team.mobile {
                    return Err(Error::NotMobileTeam {
                        team: t.to_string(),
                    });
                }
                Some(team.id)
            }
            None => {
                if current.is_some_and(|c| teams.iter().any(|t| &t.id == c && t.mobile)) {
                    return Ok(None);
                }
                let mobile: Vec<&gocua_domain::Team> = teams.iter().filter(|t| t.mobile).collect();
                match mobile.as_slice() {
                    [] => None,
                    [one] => Some(one.id.clone()),
                    many => {
                        return Err(Error::ChooseMobileTeam {
                            teams: many
                                .iter()
                                .map(|t| format!("{} ({})", t.name, t.id))
                                .collect(),
                        });
                    }
                }
            }
        };
        Ok(target.filter(|t| Some(t) != current))
    }

    pub(crate) fn flag_hard_case(&mut self, a: FlagHardCase) -> Result<HardCaseFlagged> {
        self.require(Permission::HardCase)?;
        let mut reasons = a.reasons;
        reasons.sort();
        reasons.dedup();
        if reasons.is_empty() {
            return Err(Error::NoHardCaseReason);
        }
        let detail = self.household(&a.household)?;
        let current = detail.row.team.clone();
        self.require_lead_of(current.as_ref(), Permission::HardCase)?;
        let routed_to = self.mobile_route(current.as_ref(), a.to_team.as_ref())?;
        let now = self.now();
        let by = self.identity.volunteer.clone();
        let note = gocua_domain::text::normalize_display(&a.note);
        let marks: Vec<HardCaseMark> = reasons
            .iter()
            .map(|&reason| HardCaseMark {
                reason,
                at: now,
                by: by.clone(),
                note: note.clone(),
            })
            .collect();
        let route = routed_to.clone().map(|team| Assignment {
            team,
            volunteer: None,
            at: now,
            by: by.clone(),
        });
        self.store.flag_hard_case(&a.household, &marks, route)?;
        let state = self.store.household_state(&a.household)?;
        Ok(HardCaseFlagged {
            household: a.household,
            reasons: state.hard_cases,
            team: routed_to.clone().or(current),
            routed_to,
        })
    }

    pub(crate) fn unflag_hard_case(&mut self, a: UnflagHardCase) -> Result<HardCaseCleared> {
        self.require(Permission::HardCase)?;
        let detail = self.household(&a.household)?;
        self.require_lead_of(detail.row.team.as_ref(), Permission::HardCase)?;
        let cleared = self
            .store
            .clear_hard_cases(&a.household, &a.reasons, a.hand_back)?;
        let remaining = self
            .store
            .household_state(&a.household)?
            .hard_cases
            .into_iter()
            .map(|m| m.reason)
            .collect();
        Ok(HardCaseCleared {
            household: a.household,
            cleared,
            remaining,
            handed_back: a.hand_back,
        })
    }

    pub(crate) fn hard_cases(&self, a: ByTeam) -> Result<Vec<HardCaseRow>> {
        if let Some(t) = &a.team {
            self.team_exists(t)?;
        }
        Ok(self.store.hard_cases(a.team.as_ref(), self.today())?)
    }

    pub(crate) fn set_team_schedule(&mut self, a: SetTeamSchedule) -> Result<TeamSession> {
        self.require(Permission::Schedule)?;
        self.team_exists(&a.team)?;
        self.require_lead_of(Some(&a.team), Permission::Schedule)?;
        if let Some(id) = &a.id
            && let Some(old) = self.session(id)?
        {
            // Moving a session to another team needs the right to both.
            self.require_lead_of(Some(&old.team), Permission::Schedule)?;
        }
        let session = TeamSession {
            id: a.id.unwrap_or_else(|| SessionId::random(rand::random())),
            team: a.team,
            date: a.date,
            start: a.start,
            end: a.end,
            place: a.place,
            note: a.note,
            at: self.now(),
            by: self.identity.volunteer.clone(),
        }
        .check(&self.campaign()?)?;
        self.store.put_plan(&[PlanEntry::TeamSession {
            id: session.id.clone(),
            session: Some(session.clone()),
        }])?;
        Ok(session)
    }

    pub(crate) fn remove_team_schedule(&mut self, a: RemoveTeamSchedule) -> Result<SessionRemoved> {
        self.require(Permission::Schedule)?;
        let old = self.session(&a.id)?.ok_or_else(|| Error::NotFound {
            kind: "session",
            id: a.id.to_string(),
        })?;
        self.require_lead_of(Some(&old.team), Permission::Schedule)?;
        self.store.put_plan(&[PlanEntry::TeamSession {
            id: a.id.clone(),
            session: None,
        }])?;
        Ok(SessionRemoved {
            id: a.id,
            team: old.team,
        })
    }

    fn session(&self, id: &SessionId) -> Result<Option<TeamSession>> {
        Ok(self
            .store
            .team_sessions(None)?
            .into_iter()
            .find(|s| &s.id == id))
    }

    pub(crate) fn team_schedule(&self, a: ByTeam) -> Result<Vec<TeamSession>> {
        if let Some(t) = &a.team {
            self.team_exists(t)?;
        }
        Ok(self.store.team_sessions(a.team.as_ref())?)
    }

    pub(crate) fn team_board(&self, a: ByTeam) -> Result<TeamBoard> {
        let team = a
            .team
            .or_else(|| self.identity.team.clone())
            .ok_or(Error::NoTeam)?;
        self.store
            .team_board(&team, self.today())?
            .ok_or_else(|| Error::NotFound {
                kind: "team",
                id: team.to_string(),
            })
    }
}
