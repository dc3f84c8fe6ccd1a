//! Serialising: one `String` per outgoing message, written in place.

use core::fmt::Write as _;

use super::header::NameAddr;
use super::name;
use super::parse::Message;

/// Writes a message line by line. CR and LF are removed from every value written, so a
/// value taken from the network or the configuration cannot inject a header.
#[derive(Debug)]
pub struct MessageBuilder {
    buf: String,
}

impl MessageBuilder {
    #[must_use]
    pub fn request(method: &str, uri: &str) -> MessageBuilder {
        let mut b = MessageBuilder {
            buf: String::with_capacity(768),
        };
        push_clean(&mut b.buf, method);
        b.buf.push(' ');
        push_clean(&mut b.buf, uri);
        b.buf.push_str(" SIP/2.0\r\n");
        b
    }

    #[must_use]
    pub fn response(status: u16, reason: &str) -> MessageBuilder {
        let mut b = MessageBuilder {
            buf: String::with_capacity(768),
        };
        let _ = write!(b.buf, "SIP/2.0 {status} ");
        push_clean(&mut b.buf, reason);
        b.buf.push_str("\r\n");
        b
    }

    pub fn header(&mut self, header: &str, value: &str) -> &mut Self {
        push_clean(&mut self.buf, header);
        self.buf.push_str(": ");
        push_clean(&mut self.buf, value);
        self.buf.push_str("\r\n");
        self
    }

    /// A header whose value is formatted in place (no intermediate `String`).
    pub fn header_fmt(&mut self, header: &str, value: core::fmt::Arguments<'_>) -> &mut Self {
        push_clean(&mut self.buf, header);
        self.buf.push_str(": ");
        let start = self.buf.len();
        let _ = self.buf.write_fmt(value);
        if self
            .buf
            .get(start..)
            .is_some_and(|v| v.contains(['\r', '\n']))
        {
            let cleaned: String = self
                .buf
                .get(start..)
                .unwrap_or("")
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect();
            self.buf.truncate(start);
            self.buf.push_str(&cleaned);
        }
        self.buf.push_str("\r\n");
        self
    }

    /// Appends lines already serialised by this module (see [`ResponseContext`]).
    pub(crate) fn raw_lines(&mut self, lines: &str) -> &mut Self {
        self.buf.push_str(lines);
        self
    }

    /// Ends the header section with Content-Length (and Content-Type if there is a body).
    #[must_use]
    pub fn finish(mut self, body: Option<(&str, &str)>) -> String {
        match body {
            Some((content_type, body)) => {
                self.header(name::CONTENT_TYPE, content_type);
                let _ = write!(self.buf, "{}: {}\r\n\r\n", name::CONTENT_LENGTH, body.len());
                self.buf.push_str(body);
            }
            None => self.buf.push_str("Content-Length: 0\r\n\r\n"),
        }
        self.buf
    }
}

fn push_clean(buf: &mut String, value: &str) {
    if value.contains(['\r', '\n']) {
        buf.extend(value.chars().filter(|c| !matches!(c, '\r' | '\n')));
    } else {
        buf.push_str(value);
    }
}

/// What every response to one request must echo (RFC 3261 §8.2.6.2): all Via headers in
/// order, From, To, Call-ID and CSeq; plus Record-Route for dialog-creating responses.
/// Kept serialised so later responses (180, 200, retransmissions) cost no re-parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseContext {
    /// Via, From, Call-ID and CSeq lines.
    echo: String,
    /// The To value as received.
    to: String,
    to_has_tag: bool,
    /// Record-Route lines, echoed in 1xx/2xx that create a dialog.
    record_route: String,
}

impl ResponseContext {
    /// `None` when the request lacks a header a response must echo; such requests are dropped.
    #[must_use]
    pub fn from_request(msg: &Message<'_>) -> Option<ResponseContext> {
        let to = msg.get(name::TO)?;
        let from = msg.get(name::FROM)?;
        let call_id = msg.get(name::CALL_ID)?;
        let cseq = msg.get(name::CSEQ)?;
        if !msg.has(name::VIA) {
            return None;
        }
        let mut echo = String::with_capacity(256);
        for via in msg.get_all(name::VIA) {
            line(&mut echo, name::VIA, via);
        }
        line(&mut echo, name::FROM, from);
        line(&mut echo, name::CALL_ID, call_id);
        line(&mut echo, name::CSEQ, cseq);
        let mut record_route = String::new();
        for rr in msg.get_all(name::RECORD_ROUTE) {
            line(&mut record_route, name::RECORD_ROUTE, rr);
        }
        let to_has_tag = NameAddr::parse(to)
            .ok()
            .and_then(|t| t.tag().map(|_| ()))
            .is_some();
        Some(ResponseContext {
            echo,
            to: to.to_owned(),
            to_has_tag,
            record_route,
        })
    }

    /// Starts a response. `to_tag` is added when the request's To has none; the
    /// Record-Route set is copied when `with_record_route` (1xx/2xx to a dialog-creating request).
    #[must_use]
    pub fn response(
        &self,
        status: u16,
        to_tag: Option<&str>,
        with_record_route: bool,
    ) -> MessageBuilder {
        let mut b = MessageBuilder::response(status, reason_phrase(status));
        b.raw_lines(&self.echo);
        match to_tag {
            Some(tag) if !self.to_has_tag && status > 100 => {
                b.header_fmt(name::TO, format_args!("{};tag={}", self.to, tag));
            }
            _ => {
                b.header(name::TO, &self.to);
            }
        }
        if with_record_route {
            b.raw_lines(&self.record_route);
        }
        b
    }
}

fn line(buf: &mut String, header: &str, value: &str) {
    buf.push_str(header);
    buf.push_str(": ");
    push_clean(buf, value);
    buf.push_str("\r\n");
}

/// Default reason phrases for the statuses this core sends.
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        422 => "Session Interval Too Small",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => match status / 100 {
            1 => "Progress",
            2 => "OK",
            3 => "Redirect",
            4 => "Request Failure",
            5 => "Server Failure",
            _ => "Global Failure",
        },
    }
}
