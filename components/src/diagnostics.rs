//! Diagnostics for QA and support: redaction of secrets and the text export.
//!
//! Everything that enters the trace goes through [`redact`] (the reducer calls
//! it on every [`crate::store::Action::Trace`]), so what the panel shows, copies
//! or downloads never holds a password, a digest `response=`/`cnonce=`, a
//! token, or an `Authorization`/`Proxy-Authorization` value. Pure string code:
//! tested natively, rule by rule.

use crate::store::{TraceEntry, TraceKind};

/// What replaces every secret.
pub const REDACTED: &str = "[redacted]";

/// Header lines whose whole value is secret (the auth scheme word is kept).
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-auth-token",
    "cookie",
    "set-cookie",
];

/// `key=value` (and `"key": "value"` in JSON) whose value is secret.
pub const SECRET_KEYS: &[&str] = &[
    "response",
    "cnonce",
    "rspauth",
    "password",
    "passwd",
    "secret",
    "token",
    "refresh_token",
    "access_token",
    "auth_token",
    "credential",
    "authorization",
];

/// Keys whose value follows a colon outside JSON (SDP attributes).
pub const COLON_KEYS: &[&str] = &["ice-pwd"];

/// Removes every secret from `text`. `known` are secrets the caller holds
/// (the SIP password): every occurrence is replaced, whatever surrounds it.
pub fn redact(text: &str, known: &[&str]) -> String {
    let out = remove_known(text, known);
    let mut lines = String::with_capacity(out.len());
    for line in out.split_inclusive('\n') {
        match redact_header_line(line) {
            Some(redacted) => lines.push_str(&redacted),
            None => lines.push_str(line),
        }
    }
    let out = redact_schemes(&lines);
    redact_keys(&out)
}

/// Every occurrence of the `known` secrets replaced, nothing else: the part of [`redact`]
/// only the caller can do (the store's reducer applies the rules to every trace line).
pub fn remove_known(text: &str, known: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in known.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, REDACTED);
    }
    out
}

/// `Authorization: Digest username=…` → `Authorization: Digest [redacted]`; `None`
/// for a line with nothing to redact (kept as it is, not copied).
fn redact_header_line(line: &str) -> Option<String> {
    let colon = line.find(':')?;
    let name = line[..colon].trim();
    if !SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        return None;
    }
    let ending = &line[line.trim_end_matches(['\r', '\n']).len()..];
    let value = line[colon + 1..].trim();
    let scheme = value
        .split_whitespace()
        .next()
        .filter(|w| {
            ["digest", "basic", "bearer"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(w))
        })
        .map(|w| format!("{w} "))
        .unwrap_or_default();
    Some(format!("{}: {scheme}{REDACTED}{ending}", &line[..colon]))
}

/// `Basic <base64>` / `Bearer <token>` anywhere (a header folded into a state
/// message, a URL in an error text).
fn redact_schemes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let hit = ["basic ", "bearer "]
            .iter()
            .filter_map(|s| find_word(&lower, s).map(|i| (i, s.len())))
            .min();
        let Some((at, len)) = hit else {
            out.push_str(rest);
            return out;
        };
        let value_start = at + len;
        let value_end = value_start
            + rest[value_start..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | ',' | ';'))
                .unwrap_or(rest.len() - value_start);
        out.push_str(&rest[..value_start]);
        if value_end > value_start && &rest[value_start..value_end] != REDACTED {
            out.push_str(REDACTED);
        } else {
            out.push_str(&rest[value_start..value_end]);
        }
        rest = &rest[value_end..];
    }
}

/// Index of `word` in `haystack` (both lower case) at a word start.
fn find_word(haystack: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = haystack[from..].find(word) {
        let at = from + i;
        let before = haystack[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric()) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn redact_keys(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let Some((key_len, quoted, colon_ok)) = key_at(&lower, i) else {
            i += 1;
            continue;
        };
        // After the key: optional closing quote, spaces, then `=` (or `:`).
        let mut j = i + key_len;
        let mut json = false;
        if quoted && bytes.get(j) == Some(&b'"') {
            j += 1;
            json = true;
        }
        while bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        let sep_ok = match bytes.get(j) {
            Some(b'=') => true,
            Some(b':') => json || colon_ok,
            _ => false,
        };
        if !sep_ok {
            i += 1;
            continue;
        }
        j += 1;
        while bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        let (start, end) = if bytes.get(j) == Some(&b'"') {
            let start = j + 1;
            let mut k = start;
            while k < bytes.len() && bytes[k] != b'"' {
                if bytes[k] == b'\\' {
                    k += 1;
                }
                k += 1;
            }
            (start, k.min(bytes.len()))
        } else {
            let end = text[j..]
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '&' | '"' | '}' | '>'))
                .map_or(text.len(), |n| j + n);
            (j, end)
        };
        if end > start && &text[start..end] != REDACTED {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// A secret key starting at `i` (at a word start)? Returns its length, whether
/// it is quoted (JSON), and whether a colon may separate its value.
fn key_at(lower: &str, i: usize) -> Option<(usize, bool, bool)> {
    // Most bytes start no key: one look instead of a comparison per key (this runs on
    // every byte of every SIP message). A byte of a multi-byte character is never one
    // of these letters.
    if !matches!(
        lower.as_bytes().get(i),
        Some(b'r' | b'c' | b'p' | b's' | b't' | b'a' | b'i')
    ) {
        return None;
    }
    if !lower.is_char_boundary(i) {
        return None;
    }
    let before = lower[..i].chars().next_back();
    if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let quoted = before == Some('"');
    let rest = &lower[i..];
    let word_end = |len: usize| {
        !rest[len..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some(key) = COLON_KEYS
        .iter()
        .find(|k| rest.starts_with(**k) && word_end(k.len()))
    {
        return Some((key.len(), quoted, true));
    }
    SECRET_KEYS
        .iter()
        .filter(|k| rest.starts_with(**k) && word_end(k.len()))
        .map(|k| (k.len(), quoted, false))
        .max()
}

/// `2026-11-25T07:04:05.123Z` for Unix milliseconds (UTC, no clock needed).
pub fn format_timestamp(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        unix_ms % 1000
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub fn kind_label(kind: TraceKind) -> &'static str {
    match kind {
        TraceKind::SipIn => "SIP in",
        TraceKind::SipOut => "SIP out",
        TraceKind::State => "state",
    }
}

/// One entry as text: `<timestamp> [<kind>] <first line>` then the rest indented.
pub fn format_entry(entry: &TraceEntry) -> String {
    let text = entry
        .text
        .trim_end_matches(['\r', '\n'])
        .replace("\r\n", "\n");
    let mut lines = text.lines();
    let mut out = format!(
        "{} [{}] {}",
        format_timestamp(entry.at),
        kind_label(entry.kind),
        lines.next().unwrap_or_default()
    );
    for line in lines {
        out.push_str("\n    ");
        out.push_str(line);
    }
    out
}

/// The whole trace as the text file support receives (redacted again, in case).
pub fn export<'a>(entries: impl IntoIterator<Item = &'a TraceEntry>, header: &str) -> String {
    let mut out = String::from(header.trim_end());
    out.push('\n');
    for entry in entries {
        out.push_str(&redact(&format_entry(entry), &[]));
        out.push('\n');
    }
    out
}

/// `ttecphone-diagnostics-20261125-070405.txt`
pub fn file_name(unix_ms: u64) -> String {
    let stamp = format_timestamp(unix_ms);
    let digits: String = stamp[..19].chars().filter(|c| c.is_ascii_digit()).collect();
    format!(
        "ttecphone-diagnostics-{}-{}.txt",
        &digits[..8],
        &digits[8..]
    )
}
