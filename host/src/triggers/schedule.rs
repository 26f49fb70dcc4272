//! Schedule triggers: a cron expression in a time zone (parsed by `croner`
//! with the IANA database of `chrono-tz`), and the fire times it gives.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// Most fire times a schedule may have per hour: at most one a second.
/// Checked as the gap between two consecutive fire times.
const MIN_GAP_SECS: i64 = 1;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: Tz,
}

impl Schedule {
    /// Parse a cron expression (5 fields, or 6 with seconds first) and an
    /// IANA time zone. The error names the field at fault.
    pub fn parse(cron: &str, timezone: &str) -> Result<Schedule, (&'static str, String)> {
        if cron.trim().is_empty() || cron.len() > 200 {
            return Err((
                "trigger.cron",
                "a schedule needs a cron expression such as \"0 9 * * MON-FRI\"".into(),
            ));
        }
        let parsed = Cron::from_str(cron).map_err(|e| {
            (
                "trigger.cron",
                format!("{cron:?} is not a cron expression: {e}"),
            )
        })?;
        let tz = Tz::from_str(timezone).map_err(|_| {
            (
                "trigger.timezone",
                format!("{timezone:?} is not a time zone of the IANA database (e.g. Europe/Paris or UTC)"),
            )
        })?;
        let schedule = Schedule { cron: parsed, tz };
        let now = Utc::now();
        let first = schedule
            .next_after(now)
            .ok_or(("trigger.cron", format!("{cron:?} never fires")))?;
        if let Some(second) = schedule.next_after(first) {
            if (second - first).num_seconds() < MIN_GAP_SECS {
                return Err((
                    "trigger.cron",
                    "a schedule fires at most once a second".into(),
                ));
            }
        }
        Ok(schedule)
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last fire time at or before `until` that is after `after`, if any.
    pub fn last_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let local = until.with_timezone(&self.tz);
        let last = self
            .cron
            .find_previous_occurrence(&local, true)
            .ok()?
            .with_timezone(&Utc);
        (last > after).then_some(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn weekdays_at_nine_in_paris_skip_the_weekend_and_follow_summer_time() {
        let s = Schedule::parse("0 9 * * MON-FRI", "Europe/Paris").unwrap();
        // Friday 2026-03-27 10:00 UTC (11:00 in Paris, winter time): next is Monday 09:00,
        // which is 07:00 UTC because summer time starts on Sunday the 29th.
        let friday = Utc.with_ymd_and_hms(2026, 3, 27, 10, 0, 0).unwrap();
        let next = s.next_after(friday).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 3, 30, 7, 0, 0).unwrap());
    }

    #[test]
    fn six_fields_put_seconds_first() {
        let s = Schedule::parse("*/10 * * * * *", "UTC").unwrap();
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 3).unwrap();
        assert_eq!(
            s.next_after(t).unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 10).unwrap()
        );
    }

    #[test]
    fn the_last_missed_fire_time_is_found() {
        let s = Schedule::parse("0 * * * *", "UTC").unwrap();
        let down = Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap();
        let up = Utc.with_ymd_and_hms(2026, 1, 1, 3, 10, 0).unwrap();
        assert_eq!(
            s.last_between(down, up),
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap())
        );
        let soon = Utc.with_ymd_and_hms(2026, 1, 1, 0, 50, 0).unwrap();
        assert_eq!(s.last_between(down, soon), None);
    }

    #[test]
    fn bad_expressions_and_zones_name_their_field() {
        assert_eq!(
            Schedule::parse("61 * * * *", "UTC").unwrap_err().0,
            "trigger.cron"
        );
        assert_eq!(Schedule::parse("", "UTC").unwrap_err().0, "trigger.cron");
        assert_eq!(
            Schedule::parse("0 9 * * *", "Mars/Olympus").unwrap_err().0,
            "trigger.timezone"
        );
    }
}
