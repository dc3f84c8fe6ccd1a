//! Typed, borrowed views of the header values the core reads. Every function here is
//! total: bad input gives `None` or an error, never a panic.

use std::borrow::Cow;

use crate::error::ParseError;

/// Splits a comma-separated header value, ignoring commas inside quotes and `<…>`.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(value);
    core::iter::from_fn(move || loop {
        let s = rest?;
        let (mut quoted, mut angle, mut escaped) = (false, false, false);
        let mut cut = None;
        for (i, c) in s.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                '<' if !quoted => angle = true,
                '>' if !quoted => angle = false,
                ',' if !quoted && !angle => {
                    cut = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let item = match cut {
            Some(i) => {
                rest = s.get(i + 1..);
                s.get(..i).unwrap_or("")
            }
            None => {
                rest = None;
                s
            }
        };
        let item = item.trim();
        if !item.is_empty() {
            return Some(item);
        }
    })
}

/// Iterates `;name=value` parameters (value optional, quotes kept) of a parameter string.
pub fn params(s: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    split_outside_quotes(s, ';').filter_map(|p| {
        let p = p.trim();
        if p.is_empty() {
            return None;
        }
        Some(match p.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (p, None),
        })
    })
}

/// The value of parameter `name` (case-insensitive), surrounding quotes removed.
/// `Some("")` for a flag parameter without value.
#[must_use]
pub fn param<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    params(s)
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| unquote(v.unwrap_or("")))
}

/// Removes one pair of surrounding double quotes, if present.
#[must_use]
pub fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

fn split_outside_quotes(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        let mut angle = false;
        for (i, c) in s.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '<' if !quoted => angle = true,
                '>' if !quoted => angle = false,
                c if c == sep && !quoted && !angle => {
                    rest = s.get(i + c.len_utf8()..);
                    return s.get(..i);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

/// `"Display" <uri>;params`, `Display <uri>;params` or `uri;params` (From, To, Contact,
/// Route, Record-Route, P-Asserted-Identity, Remote-Party-ID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    pub display: Option<Cow<'a, str>>,
    pub uri: &'a str,
    /// Header parameters after the address, starting at the first `;` (or empty).
    pub params: &'a str,
}

impl<'a> NameAddr<'a> {
    pub fn parse(value: &'a str) -> Result<NameAddr<'a>, ParseError> {
        let value = value.trim();
        let (display, rest) = if let Some(after_quote) = value.strip_prefix('"') {
            let end = closing_quote(after_quote).ok_or(ParseError::BadAddress)?;
            let raw = after_quote.get(..end).ok_or(ParseError::BadAddress)?;
            let display = if raw.contains('\\') {
                Cow::Owned(unescape_quoted(raw))
            } else {
                Cow::Borrowed(raw)
            };
            (
                Some(display),
                after_quote
                    .get(end + 1..)
                    .ok_or(ParseError::BadAddress)?
                    .trim_start(),
            )
        } else if let Some(lt) = value.find('<') {
            let raw = value.get(..lt).unwrap_or("").trim();
            (
                (!raw.is_empty()).then_some(Cow::Borrowed(raw)),
                value.get(lt..).unwrap_or(""),
            )
        } else {
            (None, value)
        };
        if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner.find('>').ok_or(ParseError::BadAddress)?;
            let uri = inner.get(..gt).ok_or(ParseError::BadAddress)?.trim();
            let params = inner.get(gt + 1..).unwrap_or("").trim();
            check_uri(uri)?;
            return Ok(NameAddr {
                display: display.filter(|d| !d.is_empty()),
                uri,
                params,
            });
        }
        if display.is_some() {
            return Err(ParseError::BadAddress); // a display name needs <uri>
        }
        let (uri, params) = match rest.find(';') {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
            None => (rest, ""),
        };
        check_uri(uri.trim())?;
        Ok(NameAddr {
            display: None,
            uri: uri.trim(),
            params,
        })
    }

    #[must_use]
    pub fn param(&self, name: &str) -> Option<&'a str> {
        param(self.params, name)
    }

    #[must_use]
    pub fn tag(&self) -> Option<&'a str> {
        self.param("tag").filter(|t| !t.is_empty())
    }
}

fn check_uri(uri: &str) -> Result<(), ParseError> {
    let (scheme, rest) = uri.split_once(':').ok_or(ParseError::BadAddress)?;
    if scheme.is_empty()
        || rest.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(ParseError::BadAddress);
    }
    Ok(())
}

fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// The parts of a SIP or tel URI the core needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: &'a str,
    pub user: Option<&'a str>,
    /// Host (with port, if any).
    pub host_port: &'a str,
    /// URI parameters, starting at the first `;` (or empty).
    pub params: &'a str,
}

impl<'a> Uri<'a> {
    pub fn parse(uri: &'a str) -> Result<Uri<'a>, ParseError> {
        let (scheme, rest) = uri.trim().split_once(':').ok_or(ParseError::BadAddress)?;
        let rest = rest.split('?').next().unwrap_or("");
        if scheme.eq_ignore_ascii_case("tel") {
            let (number, params) = match rest.find(';') {
                Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
                None => (rest, ""),
            };
            return Ok(Uri {
                scheme,
                user: Some(number),
                host_port: "",
                params,
            });
        }
        let (user, host_part) = match rest.rfind('@') {
            Some(at) => (
                rest.get(..at).map(|u| u.split(':').next().unwrap_or(u)),
                rest.get(at + 1..).unwrap_or(""),
            ),
            None => (None, rest),
        };
        let (host_port, params) = match host_part.find(';') {
            Some(i) => (
                host_part.get(..i).unwrap_or(""),
                host_part.get(i..).unwrap_or(""),
            ),
            None => (host_part, ""),
        };
        if host_port.is_empty() {
            return Err(ParseError::BadAddress);
        }
        Ok(Uri {
            scheme,
            user: user.filter(|u| !u.is_empty()),
            host_port,
            params,
        })
    }
}

/// One Via value: `SIP/2.0/WSS host:port;branch=…;rport`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    pub transport: &'a str,
    pub sent_by: &'a str,
    pub params: &'a str,
}

impl<'a> Via<'a> {
    pub fn parse(value: &'a str) -> Result<Via<'a>, ParseError> {
        let value = value.trim();
        let (protocol, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or(ParseError::BadVia)?;
        let mut parts = protocol.split('/').map(str::trim);
        let (Some(name), Some(version), Some(transport), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::BadVia);
        };
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || transport.is_empty() {
            return Err(ParseError::BadVia);
        }
        let rest = rest.trim_start();
        let (sent_by, params) = match rest.find(';') {
            Some(i) => (
                rest.get(..i).unwrap_or("").trim(),
                rest.get(i..).unwrap_or(""),
            ),
            None => (rest.trim(), ""),
        };
        if !is_sent_by(sent_by) {
            return Err(ParseError::BadVia);
        }
        Ok(Via {
            transport,
            sent_by,
            params,
        })
    }

    #[must_use]
    pub fn branch(&self) -> Option<&'a str> {
        param(self.params, "branch").filter(|b| !b.is_empty())
    }
}

/// RFC 3261 `sent-by = host [ COLON port ]`: a host name, IPv4 address or `[IPv6]`
/// reference, then an optional decimal port. Anything else (whitespace inside, a `/`,
/// a second address spliced in) is not a Via a response could be routed back along.
fn is_sent_by(sent_by: &str) -> bool {
    let (host, port) = if let Some(v6) = sent_by.strip_prefix('[') {
        let Some((addr, rest)) = v6.split_once(']') else {
            return false;
        };
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match (rest, rest.strip_prefix(':')) {
            ("", _) => return true,
            (_, Some(port)) => ("v6", Some(port)),
            (_, None) => return false,
        }
    } else {
        match sent_by.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (sent_by, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let port_ok = port.is_none_or(|p| {
        let p = p.trim();
        !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
    });
    host_ok && port_ok
}

/// `CSeq: 42 INVITE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    pub fn parse(value: &'a str) -> Result<CSeq<'a>, ParseError> {
        let mut parts = value.split_ascii_whitespace();
        let (Some(seq), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ParseError::BadCSeq);
        };
        // RFC 3261 §8.1.1.5: the sequence number is below 2**31.
        let seq: u32 = seq.parse().map_err(|_| ParseError::BadCSeq)?;
        if seq >= 1 << 31 || !super::parse::is_token(method) {
            return Err(ParseError::BadCSeq);
        }
        Ok(CSeq { seq, method })
    }
}

/// A digest challenge from `WWW-Authenticate` or `Proxy-Authenticate`.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// As received (e.g. "MD5", "SHA-256", "MD5-sess"); `None` means MD5.
    pub algorithm: Option<String>,
    /// The qop options offered (e.g. ["auth", "auth-int"]); empty for RFC 2069 digest.
    pub qop: Vec<String>,
    pub stale: bool,
}

// Nonces are not secrets, but they are credentials material: keep them out of logs.
impl core::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Challenge")
            .field("realm", &self.realm)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop)
            .field("stale", &self.stale)
            .finish_non_exhaustive()
    }
}

impl Challenge {
    pub fn parse(value: &str) -> Result<Challenge, ParseError> {
        let value = value.trim();
        let (scheme, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or(ParseError::BadChallenge)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(ParseError::BadChallenge);
        }
        let (mut realm, mut nonce, mut opaque, mut algorithm, mut qop, mut stale) =
            (None, None, None, None, Vec::new(), false);
        for item in split_outside_quotes(rest, ',') {
            let Some((k, v)) = item.split_once('=') else {
                continue;
            };
            let v = unquote(v.trim());
            match k.trim().to_ascii_lowercase().as_str() {
                "realm" => realm = Some(v.to_owned()),
                "nonce" => nonce = Some(v.to_owned()),
                "opaque" => opaque = Some(v.to_owned()),
                "algorithm" => algorithm = Some(v.to_owned()),
                "qop" => {
                    qop = v
                        .split(',')
                        .map(|q| q.trim().to_ascii_lowercase())
                        .filter(|q| !q.is_empty())
                        .collect()
                }
                "stale" => stale = v.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        Ok(Challenge {
            realm: realm.ok_or(ParseError::BadChallenge)?,
            nonce: nonce.ok_or(ParseError::BadChallenge)?,
            opaque,
            algorithm,
            qop,
            stale,
        })
    }
}

/// The values of one `Authorization` / `Proxy-Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    /// Echoed as the challenge spelled it.
    pub algorithm: Option<String>,
    pub opaque: Option<String>,
    /// `Some((cnonce, nc))` when `qop=auth` is used.
    pub qop_auth: Option<(String, u32)>,
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("uri", &self.uri)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The header value: `Digest username="…", realm="…", …`.
    #[must_use]
    pub fn header_value(&self) -> String {
        use core::fmt::Write as _;
        let mut v = String::with_capacity(256);
        let _ = write!(
            v,
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\"",
            self.username, self.realm, self.nonce, self.uri, self.response
        );
        if let Some(algorithm) = &self.algorithm {
            let _ = write!(v, ", algorithm={algorithm}");
        }
        if let Some((cnonce, nc)) = &self.qop_auth {
            let _ = write!(v, ", qop=auth, cnonce=\"{cnonce}\", nc={nc:08x}");
        }
        if let Some(opaque) = &self.opaque {
            let _ = write!(v, ", opaque=\"{opaque}\"");
        }
        v
    }
}

/// `Session-Expires: 300;refresher=uac` (RFC 4028).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionExpires {
    pub delta_s: u32,
    pub refresher: Option<Refresher>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresher {
    Uac,
    Uas,
}

impl Refresher {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

impl SessionExpires {
    pub fn parse(value: &str) -> Result<SessionExpires, ParseError> {
        let (delta, rest) = match value.find(';') {
            Some(i) => (value.get(..i).unwrap_or(""), value.get(i..).unwrap_or("")),
            None => (value, ""),
        };
        let delta_s = delta
            .trim()
            .parse()
            .map_err(|_| ParseError::BadSessionExpires)?;
        let refresher = match param(rest, "refresher") {
            Some(r) if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(r) if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            _ => None,
        };
        Ok(SessionExpires { delta_s, refresher })
    }
}

/// `RAck: 776656 102 INVITE` (RFC 3262 §7.2): the RSeq and the CSeq of the reliable
/// provisional response a PRACK acknowledges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RAck<'a> {
    pub rseq: u32,
    pub cseq: u32,
    pub method: &'a str,
}

impl<'a> RAck<'a> {
    pub fn parse(value: &'a str) -> Result<RAck<'a>, ParseError> {
        let bad = || ParseError::Header("RAck");
        let mut parts = value.split_ascii_whitespace();
        let (Some(rseq), Some(cseq), Some(method), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        // Both numbers are 1..2**31-1 (RFC 3262 §7.1, RFC 3261 §8.1.1.5).
        let number = |text: &str| {
            text.parse::<u32>()
                .ok()
                .filter(|n| (1..1 << 31).contains(n))
        };
        let (Some(rseq), Some(cseq)) = (number(rseq), number(cseq)) else {
            return Err(bad());
        };
        if !super::parse::is_token(method) {
            return Err(bad());
        }
        Ok(RAck { rseq, cseq, method })
    }
}

/// A delta-seconds header value (Expires, Min-Expires, Min-SE), parameters ignored.
#[must_use]
pub fn delta_seconds(value: &str) -> Option<u32> {
    value.split(';').next()?.trim().parse().ok()
}
