//! WeChat chat exports: a header line `昵称 2024-01-01 12:00:00` (nickname, date, time), then
//! the message lines. Times become seconds since the first message of the file.

/// The nickname and the moment (seconds since 1970, no time zone) of a header line.
pub(crate) fn header(line: &str) -> Option<(&str, i64)> {
    let line = line.trim();
    let (rest, clock) = line.rsplit_once(char::is_whitespace)?;
    let (name, date) = rest.trim_end().rsplit_once(char::is_whitespace)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return None;
    }
    Some((name, date_seconds(date)? + clock_seconds(clock)?))
}

/// `2024-01-01` or `2024/1/1` as seconds since 1970-01-01.
fn date_seconds(date: &str) -> Option<i64> {
    let parts: Vec<&str> = date.split(['-', '/']).collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let year = number(year, 4, 4)?;
    let month = number(month, 1, 2).filter(|m| (1..=12).contains(m))?;
    let day = number(day, 1, 2).filter(|d| (1..=31).contains(d))?;
    Some(days_from_civil(year, month, day) * 86_400)
}

/// `12:00` or `12:00:59` as seconds since midnight.
fn clock_seconds(clock: &str) -> Option<i64> {
    let parts: Vec<&str> = clock.split(':').collect();
    let (hour, minute, second) = match parts.as_slice() {
        [h, m] => (h, m, &"00"),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    let hour = number(hour, 1, 2).filter(|h| *h < 24)?;
    let minute = number(minute, 2, 2).filter(|m| *m < 60)?;
    let second = number(second, 2, 2).filter(|s| *s < 60)?;
    Some(hour * 3600 + minute * 60 + second)
}

/// An unsigned number of `min..=max` ASCII digits.
fn number(text: &str, min: usize, max: usize) -> Option<i64> {
    let ok = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if ok {
        text.parse().ok()
    } else {
        None
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (years counted from March so that the
/// leap day falls at the end of the counting year).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers() {
        assert_eq!(
            header("王经理 2024-01-01 12:00:00"),
            Some(("王经理", 1_704_110_400))
        );
        assert_eq!(
            header("Li Wei 2024/1/1 12:00"),
            Some(("Li Wei", 1_704_110_400))
        );
        assert_eq!(header("2024-01-01 12:00:00"), None);
        assert_eq!(header("王经理 2024-13-01 12:00:00"), None);
        assert_eq!(header("我们 明天 12:00"), None);
    }

    #[test]
    fn counts_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
    }
}
