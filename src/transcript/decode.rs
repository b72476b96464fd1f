//! Raw bytes to clean text: encoding checks, byte-order mark, line ends, invisible characters.

use super::clean::is_invisible;
use super::error::TranscriptError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Checks that `bytes` is UTF-8 text and returns it with `\n` line ends and no invisible
/// characters (zero-width spaces and joiners, stray byte-order marks).
pub(crate) fn decode(bytes: &[u8], file: &str) -> Result<String, TranscriptError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(TranscriptError::Encoding {
            file: file.to_string(),
            line: 1,
            found: "a UTF-16 byte-order mark".to_string(),
        });
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(TranscriptError::Binary {
            file: file.to_string(),
            line: line_at(bytes, at),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let at = err.valid_up_to();
        let byte = bytes.get(at).copied().unwrap_or_default();
        TranscriptError::Encoding {
            file: file.to_string(),
            line: line_at(bytes, at),
            found: format!("byte 0x{byte:02x}"),
        }
    })?;
    Ok(normalize(text))
}

/// CRLF and lone CR become LF (so line numbers stay right); invisible characters go.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else if !is_invisible(c) {
            out.push(c);
        }
    }
    out
}

/// The 1-based line holding byte `at`.
fn line_at(bytes: &[u8], at: usize) -> usize {
    bytes.iter().take(at).filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_bom_and_normalizes_line_ends() {
        let text = decode(b"\xEF\xBB\xBFa\r\nb\rc\n\xE2\x80\x8Bd", "x").unwrap();
        assert_eq!(text, "a\nb\nc\nd");
    }

    #[test]
    fn rejects_nul_with_line() {
        let err = decode(b"one\ntwo\0", "calls/a.txt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "calls/a.txt:2: binary data (NUL byte); a transcript must be UTF-8 text"
        );
    }

    #[test]
    fn rejects_latin1_with_line_and_byte() {
        let err = decode(b"ok\n\ncaf\xe9", "a.txt").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("a.txt:3: not valid UTF-8 (byte 0xe9)"),
            "{err}"
        );
    }

    #[test]
    fn rejects_utf16() {
        let err = decode(b"\xFF\xFEh\0i\0", "a.vtt").unwrap_err();
        assert!(err.to_string().contains("UTF-16"), "{err}");
    }
}
