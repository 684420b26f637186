//! Progress arithmetic: counts along the funnel and their ratios against targets.

use serde::{Deserialize, Serialize};

/// Counts for any slice of the ward (group, street, team, volunteer, organisation).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub households: u32,
    pub visited_households: u32,
    /// Residents counted towards targets (eligible age, not moved out, deceased or done elsewhere).
    pub eligible: u32,
    pub cccd: u32,
    pub level2: u32,
    pub activated: u32,
    pub guided: u32,
}

impl Progress {
    pub fn add(&mut self, other: &Progress) {
        self.households += other.households;
        self.visited_households += other.visited_households;
        self.eligible += other.eligible;
        self.cccd += other.cccd;
        self.level2 += other.level2;
        self.activated += other.activated;
        self.guided += other.guided;
    }

    /// Share of eligible residents activated, in percent with two decimals.
    pub fn activated_percent(&self) -> f64 {
        ratio_percent(self.activated, self.eligible)
    }
}

/// `part / whole` in percent, truncated to two decimals as steering-committee reports write it
/// ("607,583 / 859,549 (70.68%)", where rounding would say 70.69): a target is never shown as
/// reached before it is. Zero when there is nothing to divide by.
pub fn ratio_percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (u64::from(part) * 10_000 / u64::from(whole)) as f64 / 100.0
}

/// Formats a count with thousands separators in the user's language: 607.583 (vi), 607,583 (en).
pub fn format_count(n: u64, lang: crate::Lang) -> String {
    let sep = lang.pick(".", ",");
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    #[test]
    fn report_figures_round_like_the_steering_committee() {
        assert_eq!(ratio_percent(607_583, 859_549), 70.68);
        assert_eq!(ratio_percent(328_660, 502_775), 65.36);
        assert_eq!(ratio_percent(1, 0), 0.0);
        assert_eq!(format_count(859_549, Lang::En), "859,549");
        assert_eq!(format_count(859_549, Lang::Vi), "859.549");
        assert_eq!(format_count(12, Lang::Vi), "12");
    }
}
