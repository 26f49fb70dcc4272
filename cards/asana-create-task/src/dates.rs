//! Validation of the two date formats Asana takes: `YYYY-MM-DD` (`due_on`)
//! and RFC 3339 date-times (`due_at`).

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

/// Whether `s` is an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub fn is_valid_date_time(s: &str) -> bool {
    if s.len() < 20 || !s.is_char_boundary(10) || !is_valid_date(&s[..10]) {
        return false;
    }
    let b = s.as_bytes();
    if !matches!(b[10], b'T' | b't') {
        return false;
    }
    let Some((hour, minute, second)) = time(&b[11..19]) else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &frac[digits..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', offset @ ..] if offset.len() == 5 && offset[2] == b':' => {
            matches!((number(&offset[0..2]), number(&offset[3..5])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
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
    fn date_times() {
        for good in [
            "2024-02-29T23:59:59Z",
            "2024-02-29t00:00:00z",
            "2024-05-01T09:30:00.123+02:00",
            "2024-05-01T09:30:00-05:30",
            "2016-12-31T23:59:60Z",
        ] {
            assert!(is_valid_date_time(good), "{good}");
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
        ] {
            assert!(!is_valid_date_time(bad), "{bad}");
        }
    }
}
