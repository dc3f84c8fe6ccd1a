//! Zero-copy message parsing: start line, headers (compact names expanded, folded lines
//! joined, comma lists split), body bounded by Content-Length.

use std::borrow::Cow;

use super::header::split_list;
use super::name;
use crate::error::ParseError;

/// The SIP methods this core knows by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Info,
    Update,
    Prack,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    /// Any other (extension) method: answered with 501.
    Unknown,
}

impl Method {
    #[must_use]
    pub fn from_token(token: &str) -> Method {
        // Method names are case-sensitive (RFC 3261 §7.1).
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            _ => Method::Unknown,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request {
        method: Method,
        method_text: &'a str,
        uri: &'a str,
    },
    Response {
        status: u16,
        reason: &'a str,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Canonical spelling for known headers (compact forms expanded), else as received.
    pub name: &'a str,
    /// Trimmed value; owned only when folded lines had to be joined.
    pub value: Cow<'a, str>,
}

/// A parsed message borrowing from the received text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub start: StartLine<'a>,
    pub headers: Vec<Header<'a>>,
    pub body: &'a str,
}

/// A problem that makes a message invalid but still leaves a response buildable
/// (the caller answers a request with 400 instead of dropping it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Defect {
    ContentLengthExceedsBody { declared: usize, actual: usize },
    BadContentLength,
}

impl<'a> Message<'a> {
    /// The first value of a header (case-insensitive name).
    #[must_use]
    pub fn get<'s>(&'s self, header: &str) -> Option<&'s str> {
        self.get_all(header).next()
    }

    /// Every value of a header, comma lists already split, in message order.
    pub fn get_all<'s, 'h>(
        &'s self,
        header: &'h str,
    ) -> impl Iterator<Item = &'s str> + use<'s, 'h, 'a> {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(header))
            .map(|h| h.value.as_ref())
    }

    #[must_use]
    pub fn has(&self, header: &str) -> bool {
        self.get(header).is_some()
    }

    /// Does a list header (Supported, Require, Allow …) contain `token`?
    #[must_use]
    pub fn has_token(&self, header: &str, token: &str) -> bool {
        self.get_all(header)
            .any(|v| v.trim().eq_ignore_ascii_case(token))
    }

    #[must_use]
    pub fn method(&self) -> Option<Method> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { status, .. } => Some(status),
            StartLine::Request { .. } => None,
        }
    }

    /// The body's media type without parameters, lower-cased by comparison only.
    #[must_use]
    pub fn content_type_is(&self, media_type: &str) -> bool {
        self.get(name::CONTENT_TYPE)
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(media_type)
            })
            .unwrap_or(false)
    }
}

/// Parses one message; any defect is an error.
pub fn parse(text: &str) -> Result<Message<'_>, ParseError> {
    match parse_lenient(text)? {
        (message, None) => Ok(message),
        (_, Some(Defect::ContentLengthExceedsBody { declared, actual })) => {
            Err(ParseError::ContentLengthExceedsBody { declared, actual })
        }
        (_, Some(Defect::BadContentLength)) => Err(ParseError::BadContentLength),
    }
}

/// The largest message the phone accepts. Real ones are a few KiB (an INVITE
/// with a WebRTC offer is about 3 KiB); anything near this is hostile or broken,
/// and is dropped before any work is spent on it.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The most header lines (after unfolding) one message may carry.
pub const MAX_HEADER_LINES: usize = 256;

/// Parses one message, returning defects that still allow a 400 response separately.
pub fn parse_lenient(text: &str) -> Result<(Message<'_>, Option<Defect>), ParseError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge(text.len()));
    }
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    let text = text.trim_start_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let (head, body) = split_head_body(text);
    if head.split('\n').count() > MAX_HEADER_LINES + 1 {
        return Err(ParseError::TooManyHeaders);
    }
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = parse_start_line(lines.next().unwrap_or(""))?;
    let raw = parse_header_lines(lines)?;
    let mut headers = Vec::with_capacity(raw.len() + 4);
    for header in raw {
        push_split(&mut headers, header);
    }
    let (body, defect) = bound_body(&headers, body);
    Ok((
        Message {
            start,
            headers,
            body,
        },
        defect,
    ))
}

fn split_head_body(text: &str) -> (&str, &str) {
    if let Some(i) = text.find("\r\n\r\n") {
        return (text.get(..i).unwrap_or(""), text.get(i + 4..).unwrap_or(""));
    }
    if let Some(i) = text.find("\n\n") {
        return (text.get(..i).unwrap_or(""), text.get(i + 2..).unwrap_or(""));
    }
    // No blank line: headers only. Lenient, since a frame holds exactly one message.
    (text.trim_end_matches(['\r', '\n']), "")
}

fn parse_start_line(line: &str) -> Result<StartLine<'_>, ParseError> {
    if let Some(rest) = strip_prefix_ignore_case(line, "SIP/2.0 ") {
        let rest = rest.trim_start();
        let code = rest.get(..3).ok_or(ParseError::BadStartLine)?;
        let status: u16 = code.parse().map_err(|_| ParseError::BadStartLine)?;
        if !(100..=699).contains(&status) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadStartLine);
        }
        let reason = rest.get(3..).unwrap_or("").trim();
        return Ok(StartLine::Response { status, reason });
    }
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let (Some(method_text), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadStartLine);
    };
    if !version.eq_ignore_ascii_case("SIP/2.0") || !is_token(method_text) || !uri.contains(':') {
        return Err(ParseError::BadStartLine);
    }
    Ok(StartLine::Request {
        method: Method::from_token(method_text),
        method_text,
        uri,
    })
}

fn parse_header_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> Result<Vec<Header<'a>>, ParseError> {
    let mut headers: Vec<Header<'a>> = Vec::with_capacity(16);
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // Obsolete line folding (RFC 3261 §7.3.1): join with a single space.
            let last = headers.last_mut().ok_or(ParseError::BadHeaderLine)?;
            let continuation = line.trim();
            if !continuation.is_empty() {
                let value = last.value.to_mut();
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(continuation);
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let (raw_name, value) = line.split_once(':').ok_or(ParseError::BadHeaderLine)?;
        let raw_name = raw_name.trim();
        if !is_token(raw_name) {
            return Err(ParseError::BadHeaderLine);
        }
        headers.push(Header {
            name: canonical_name(raw_name),
            value: Cow::Borrowed(value.trim()),
        });
    }
    Ok(headers)
}

/// Splits comma-joined values of list headers into one header each, so `Via: a, b`
/// reads like two Via headers.
fn push_split<'a>(out: &mut Vec<Header<'a>>, header: Header<'a>) {
    if !is_list_header(header.name) || !header.value.contains(',') {
        out.push(header);
        return;
    }
    match header.value {
        Cow::Borrowed(value) => {
            for part in split_list(value) {
                out.push(Header {
                    name: header.name,
                    value: Cow::Borrowed(part),
                });
            }
        }
        Cow::Owned(value) => {
            for part in split_list(&value) {
                out.push(Header {
                    name: header.name,
                    value: Cow::Owned(part.to_owned()),
                });
            }
        }
    }
}

fn bound_body<'a>(headers: &[Header<'a>], body: &'a str) -> (&'a str, Option<Defect>) {
    let Some(declared) = headers.iter().find(|h| h.name == name::CONTENT_LENGTH) else {
        // RFC 7118 §5: Content-Length is optional over WebSocket; the frame bounds the body.
        return (body, None);
    };
    let Ok(declared) = declared.value.trim().parse::<usize>() else {
        return (body, Some(Defect::BadContentLength));
    };
    if declared > body.len() {
        return (
            body,
            Some(Defect::ContentLengthExceedsBody {
                declared,
                actual: body.len(),
            }),
        );
    }
    match body.get(..declared) {
        Some(bounded) => (bounded, None),
        None => (body, Some(Defect::BadContentLength)), // not on a character boundary
    }
}

/// Compact forms (RFC 3261 §7.3.3 and extensions) and the usual spellings of the headers
/// we read, mapped to one canonical name.
fn canonical_name(raw: &str) -> &str {
    const COMPACT: &[(&str, &str)] = &[
        ("v", name::VIA),
        ("f", name::FROM),
        ("t", name::TO),
        ("i", name::CALL_ID),
        ("m", name::CONTACT),
        ("c", name::CONTENT_TYPE),
        ("l", name::CONTENT_LENGTH),
        ("k", name::SUPPORTED),
        ("x", name::SESSION_EXPIRES),
        ("s", "Subject"),
        ("e", "Content-Encoding"),
        ("o", "Event"),
        ("u", "Allow-Events"),
        ("r", "Refer-To"),
        ("b", "Referred-By"),
    ];
    const KNOWN: &[&str] = &[
        name::VIA,
        name::FROM,
        name::TO,
        name::CALL_ID,
        name::CSEQ,
        name::CONTACT,
        name::CONTENT_TYPE,
        name::CONTENT_LENGTH,
        name::MAX_FORWARDS,
        name::ROUTE,
        name::RECORD_ROUTE,
        name::ALLOW,
        name::ACCEPT,
        name::SUPPORTED,
        name::REQUIRE,
        name::UNSUPPORTED,
        name::EXPIRES,
        name::MIN_EXPIRES,
        name::WWW_AUTHENTICATE,
        name::PROXY_AUTHENTICATE,
        name::AUTHORIZATION,
        name::PROXY_AUTHORIZATION,
        name::SESSION_EXPIRES,
        name::MIN_SE,
        name::P_ASSERTED_IDENTITY,
        name::REMOTE_PARTY_ID,
        name::ANSWER_MODE,
        name::CALL_INFO,
        name::ALERT_INFO,
        name::RETRY_AFTER,
        name::PROXY_REQUIRE,
    ];
    if raw.len() == 1 {
        if let Some((_, full)) = COMPACT
            .iter()
            .find(|(short, _)| short.eq_ignore_ascii_case(raw))
        {
            return full;
        }
    }
    KNOWN
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(raw))
        .unwrap_or(raw)
}

fn is_list_header(header: &str) -> bool {
    [
        name::VIA,
        name::CONTACT,
        name::ROUTE,
        name::RECORD_ROUTE,
        name::ALLOW,
        name::SUPPORTED,
        name::REQUIRE,
        name::UNSUPPORTED,
        name::PROXY_REQUIRE,
        name::ACCEPT,
        name::P_ASSERTED_IDENTITY,
    ]
    .contains(&header)
}

/// RFC 3261 `token` characters.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}
