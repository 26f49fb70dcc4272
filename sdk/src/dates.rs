//! The two date formats Asana takes: `YYYY-MM-DD` (`due_on`, `start_on`)
//! and RFC 3339 date-times (`due_at`, `start_at`), which Asana wants in UTC:
//! [`to_utc`] checks one and writes it with `Z`. The `*_field` functions and
//! [`completed_since`] check a card's input and name the field at fault.

use crate::CardError;

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) =
        (number(&b[0..4]), number(&b[5..7]), number(&b[8..10]))
    else {
        return false;
    };
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// `s`, an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`), as
/// the same instant in UTC written with `Z`
/// (`2024-05-01T09:30:00.123+02:00` → `2024-05-01T07:30:00.123Z`); `None`
/// when `s` is not one, or the instant falls outside the years 0001 to 9999.
pub fn to_utc(s: &str) -> Option<String> {
    if s.len() < 20 || !s.is_char_boundary(10) || !is_valid_date(&s[..10]) {
        return None;
    }
    let b = s.as_bytes();
    if !matches!(b[10], b'T' | b't') {
        return None;
    }
    let (hour, minute, second) = time(&b[11..19])?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut fraction = "";
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        fraction = &rest[..=digits];
        rest = &frac[digits..];
    }
    let offset_minutes = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), offset @ ..] if offset.len() == 5 && offset[2] == b':' => {
            let (h, m) = (number(&offset[0..2])?, number(&offset[3..5])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::from(h * 60 + m);
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let (year, month, day) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    let local = i64::from(hour * 60 + minute) - offset_minutes;
    let days = days_from_civil(year, month, day) + local.div_euclid(24 * 60);
    let minutes = local.rem_euclid(24 * 60);
    let (year, month, day) = civil_from_days(days);
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{second:02}{fraction}Z",
        minutes / 60,
        minutes % 60
    ))
}

/// `value`, a date `YYYY-MM-DD` for Asana (`due_on`, `start_on`), or an
/// `invalid-input` error naming `field`.
pub fn date_field<'a>(field: &str, value: &'a str) -> Result<&'a str, CardError> {
    if is_valid_date(value) {
        Ok(value)
    } else {
        Err(CardError::invalid_input(
            field,
            format!("`{field}` must be a calendar date written YYYY-MM-DD"),
        ))
    }
}

/// `value`, an RFC 3339 date-time for Asana (`due_at`, `start_at`), in UTC
/// with `Z` (see [`to_utc`]), or an `invalid-input` error naming `field`.
pub fn date_time_field(field: &str, value: &str) -> Result<String, CardError> {
    to_utc(value).ok_or_else(|| {
        CardError::invalid_input(
            field,
            format!("`{field}` must be an RFC 3339 date-time such as 2024-05-01T17:00:00Z"),
        )
    })
}

/// Asana's `completed_since` filter of task lists ("only tasks that are
/// incomplete or were completed since"): the keyword `now` (only incomplete
/// tasks) or an RFC 3339 date-time, sent in UTC; anything else is an
/// `invalid-input` error naming `field`.
pub fn completed_since(field: &str, value: &str) -> Result<String, CardError> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("now") {
        return Ok("now".to_string());
    }
    to_utc(value).ok_or_else(|| {
        CardError::invalid_input(
            field,
            format!(
                "`{field}` must be `now` (incomplete tasks only) or an RFC 3339 date-time \
                 such as 2024-05-01T00:00:00Z"
            ),
        )
    })
}

/// Days from 1970-01-01 to a (valid) civil date.
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `HH:MM:SS` as numbers.
fn time(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((number(&b[0..2])?, number(&b[3..5])?, number(&b[6..8])?))
}

/// ASCII digits as a number.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for good in [
            "2024-02-29",
            "2000-02-29",
            "2023-12-31",
            "2023-01-01",
            "0001-04-30",
        ] {
            assert!(is_valid_date(good), "{good}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2023-04-31",
            "2023-13-01",
            "2023-00-10",
            "2023-01-00",
            "2023-1-01",
            "23-01-01",
            "2023/01/01",
            "2023-01-01T00:00:00Z",
            "",
            "２０２３-01-01",
            "2023-01-0a",
            "+023-01-01",
        ] {
            assert!(!is_valid_date(bad), "{bad}");
        }
    }

    #[test]
    fn date_times_are_written_in_utc() {
        for (given, utc) in [
            ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"),
            ("2024-02-29t00:00:00z", "2024-02-29T00:00:00Z"),
            ("2024-05-01T09:30:00.123+02:00", "2024-05-01T07:30:00.123Z"),
            ("2024-05-01T09:30:00-05:30", "2024-05-01T15:00:00Z"),
            ("2024-03-01T01:00:00+02:00", "2024-02-29T23:00:00Z"),
            ("2023-12-31T22:00:00-03:00", "2024-01-01T01:00:00Z"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ] {
            assert_eq!(to_utc(given).as_deref(), Some(utc), "{given}");
        }
        for bad in [
            "2024-05-01",
            "2024-05-01T09:30Z",
            "2024-05-01 09:30:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T09:60:00Z",
            "2024-05-01T09:30:00",
            "2024-05-01T09:30:00.Z",
            "2024-05-01T09:30:00+0200",
            "2024-05-01T09:30:00+24:00",
            "2023-02-29T09:30:00Z",
            "2024-05-01T09:30:00Zjunk",
            "2024-05-01T09:30:00ü",
            "2024-05-01ü09:30:00Z",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:30:00-01:00",
        ] {
            assert_eq!(to_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn fields_name_themselves() {
        assert_eq!(date_field("due_on", "2024-02-29").unwrap(), "2024-02-29");
        let e = date_field("due_on", "2023-02-29").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("due_on"));
        assert!(e.message.contains("`due_on`"), "{}", e.message);
        assert_eq!(
            date_time_field("due_at", "2024-05-01T09:30:00+02:00").unwrap(),
            "2024-05-01T07:30:00Z"
        );
        let e = date_time_field("due_at", "tomorrow").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("due_at"));
        assert_eq!(completed_since("c", " NOW ").unwrap(), "now");
        assert_eq!(
            completed_since("c", "2024-05-01T00:00:00-01:00").unwrap(),
            "2024-05-01T01:00:00Z"
        );
        for bad in ["", "today", "2024-05-01", "later than now"] {
            let e = completed_since("completed_since", bad).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::InvalidInput, "{bad}");
            assert_eq!(e.field.as_deref(), Some("completed_since"), "{bad}");
        }
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-719_162, -1, 0, 59, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y as u32, m, d), days, "{days}");
        }
    }
}
