//! All SIP parsing and serialising lives here; the rest of the core sees typed values only.
//!
//! # Why our own parser and not rsip 0.4
//!
//! rsip 0.4.0 (the last release, 2022) was tried against the messages this phone really
//! receives, and it fails on six of them (see `unit_testing/sip/wire.rs`, one test each):
//! compact header names (`i:`, `f:`, `v:` …) come out as unknown headers so Call-ID/From
//! look missing; one obsolete folded line fails the whole message; the typed Contact rejects
//! `+sip.instance="<urn:uuid:…>"`, which is the Contact our REGISTER sends and the
//! registrar's 200 OK echoes with the `expires` we need; comma-joined `Via: a, b` is one
//! header; display names keep their quotes; the typed `WWW-Authenticate` rejects
//! `algorithm=SHA-256`; and a `Content-Length` larger than the body is accepted silently.
//! Working around that would mean a normalising pre-pass *plus* our own code for Contact,
//! Via lists and challenges — most of a parser, with rsip's own on top. rsip also pulls
//! `uuid` v4 (its own randomness: on wasm32 it needs `uuid/wasm-bindgen`, i.e. a hidden
//! `crypto.getRandomValues` call inside a core that must take randomness from its caller),
//! plus nom, bytes and bstr.
//!
//! So this module is a small zero-copy parser (~500 lines with the typed header views):
//! lenient where real servers are sloppy (compact names, folding, bare LF line ends,
//! comma lists, missing Content-Length over WebSocket, quoted or unquoted digest params),
//! strict where it matters (start line, CSeq, Content-Length beyond the body, header
//! syntax), and it never panics: every slice is taken with checked bounds.
//! The builder strips CR/LF from every value it writes, so no value from the network or
//! the configuration can inject a header.

mod build;
pub mod header;
mod parse;

pub use build::{reason_phrase, MessageBuilder, ResponseContext};
pub use parse::{
    parse, parse_lenient, Defect, Header, Message, Method, StartLine, MAX_HEADER_LINES,
    MAX_MESSAGE_BYTES,
};

/// Canonical header names, so the rest of the core never spells one twice.
pub mod name {
    pub const VIA: &str = "Via";
    pub const FROM: &str = "From";
    pub const TO: &str = "To";
    pub const CALL_ID: &str = "Call-ID";
    pub const CSEQ: &str = "CSeq";
    pub const CONTACT: &str = "Contact";
    pub const CONTENT_TYPE: &str = "Content-Type";
    pub const CONTENT_LENGTH: &str = "Content-Length";
    pub const MAX_FORWARDS: &str = "Max-Forwards";
    pub const ROUTE: &str = "Route";
    pub const RECORD_ROUTE: &str = "Record-Route";
    pub const ALLOW: &str = "Allow";
    pub const ACCEPT: &str = "Accept";
    pub const SUPPORTED: &str = "Supported";
    pub const REQUIRE: &str = "Require";
    pub const UNSUPPORTED: &str = "Unsupported";
    pub const EXPIRES: &str = "Expires";
    pub const MIN_EXPIRES: &str = "Min-Expires";
    pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";
    pub const PROXY_AUTHENTICATE: &str = "Proxy-Authenticate";
    pub const AUTHORIZATION: &str = "Authorization";
    pub const PROXY_AUTHORIZATION: &str = "Proxy-Authorization";
    pub const SESSION_EXPIRES: &str = "Session-Expires";
    pub const MIN_SE: &str = "Min-SE";
    pub const P_ASSERTED_IDENTITY: &str = "P-Asserted-Identity";
    pub const REMOTE_PARTY_ID: &str = "Remote-Party-ID";
    pub const ANSWER_MODE: &str = "Answer-Mode";
    pub const CALL_INFO: &str = "Call-Info";
    pub const ALERT_INFO: &str = "Alert-Info";
    pub const USER_AGENT: &str = "User-Agent";
    pub const SERVER: &str = "Server";
    pub const RETRY_AFTER: &str = "Retry-After";
    pub const REASON: &str = "Reason";
    pub const PROXY_REQUIRE: &str = "Proxy-Require";
    pub const RSEQ: &str = "RSeq";
    pub const RACK: &str = "RAck";
}
