//! Clock timestamps (`01:02:03.500`, `02:03,5`, `0:08`) and where they sit on a line.

/// Seconds from a clock stamp: `h:mm:ss`, `mm:ss` or `m:ss`, with an optional fraction after
/// `.` or `,`. Hours-less stamps are minutes and seconds (`00:11.000` is 11 s).
pub(crate) fn parse_clock(stamp: &str) -> Option<f64> {
    let (whole, fraction) = match stamp.find(['.', ',']) {
        Some(at) => (&stamp[..at], Some(&stamp[at + 1..])),
        None => (stamp, None),
    };
    let parts: Vec<&str> = whole.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut seconds = 0u64;
    for (i, part) in parts.iter().enumerate() {
        let value = if i == 0 {
            leading_number(part)?
        } else {
            sexagesimal(part)?
        };
        seconds = seconds.checked_mul(60)?.checked_add(value)?;
    }
    Some(seconds as f64 + fraction.map_or(Some(0.0), parse_fraction)?)
}

/// A timestamp that is either a plain number of seconds (`12.5`) or a clock stamp.
pub(crate) fn parse_seconds(value: &str) -> Option<f64> {
    let value = value.trim();
    if value.contains(':') {
        return parse_clock(value);
    }
    let all_numeric = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.');
    let seconds: f64 = if all_numeric {
        value.parse().ok()?
    } else {
        return None;
    };
    seconds.is_finite().then_some(seconds)
}

/// A stamp in brackets or parentheses at the start of `line`: `[00:12] rest`, `(1:02:03) rest`.
pub(crate) fn bracketed_prefix(line: &str) -> Option<(f64, &str)> {
    let close = match line.chars().next()? {
        '[' => ']',
        '(' => ')',
        _ => return None,
    };
    let end = line.find(close)?;
    let seconds = parse_clock(line[1..end].trim())?;
    Some((seconds, line[end + 1..].trim_start()))
}

/// A bare stamp then whitespace at the start of `line`: `00:01:02 rest`.
pub(crate) fn bare_prefix(line: &str) -> Option<(f64, &str)> {
    let (stamp, rest) = line.split_once(char::is_whitespace)?;
    Some((parse_clock(stamp)?, rest.trim_start()))
}

/// A stamp at the end of `text`, bracketed or bare: `Maya [00:12]`, `Maya 0:08`.
pub(crate) fn suffix(text: &str) -> Option<(&str, f64)> {
    let text = text.trim_end();
    let open = match text.chars().last()? {
        ']' => '[',
        ')' => '(',
        _ => {
            let (head, stamp) = text.rsplit_once(char::is_whitespace)?;
            return Some((head.trim_end(), parse_clock(stamp)?));
        }
    };
    let start = text.rfind(open)?;
    let seconds = parse_clock(text[start + 1..text.len() - 1].trim())?;
    Some((text[..start].trim_end(), seconds))
}

/// The first field of a stamp: hours or minutes, 1 to 4 digits.
fn leading_number(part: &str) -> Option<u64> {
    let digits = !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit());
    if digits {
        part.parse().ok()
    } else {
        None
    }
}

/// A later field: exactly two digits, below 60.
fn sexagesimal(part: &str) -> Option<u64> {
    let value = if part.len() == 2 {
        leading_number(part)?
    } else {
        return None;
    };
    (value < 60).then_some(value)
}

/// The digits after the decimal mark, 1 to 9 of them.
fn parse_fraction(digits: &str) -> Option<f64> {
    let ok = !digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(value as f64 / 10f64.powi(digits.len() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clock_forms() {
        assert_eq!(parse_clock("00:00:05.000"), Some(5.0));
        assert_eq!(parse_clock("1:02:03.5"), Some(3723.5));
        assert_eq!(parse_clock("00:11.000"), Some(11.0));
        assert_eq!(parse_clock("0:08"), Some(8.0));
        assert_eq!(parse_clock("00:00:01,250"), Some(1.25));
        assert_eq!(parse_clock("125:03"), Some(7503.0));
    }

    #[test]
    fn rejects_non_clocks() {
        for bad in [
            "10",
            "1:2",
            "00:61",
            "a:00",
            "00:00:00:00",
            "00:00.",
            "-1:00",
            "",
        ] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_plain_seconds() {
        assert_eq!(parse_seconds("12.5"), Some(12.5));
        assert_eq!(parse_seconds("01:05"), Some(65.0));
        assert_eq!(parse_seconds("NaN"), None);
        assert_eq!(parse_seconds("inf"), None);
    }

    #[test]
    fn finds_stamps_on_lines() {
        assert_eq!(
            bracketed_prefix("[00:12] Maya: hi"),
            Some((12.0, "Maya: hi"))
        );
        assert_eq!(bare_prefix("00:01:02 Maya: hi"), Some((62.0, "Maya: hi")));
        assert_eq!(suffix("Maya [00:12]"), Some(("Maya", 12.0)));
        assert_eq!(suffix("Maya Chen  0:08"), Some(("Maya Chen", 8.0)));
        assert_eq!(suffix("Maya"), None);
    }
}
