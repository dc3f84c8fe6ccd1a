//! Sans-IO SIP user agent core for TTECPhone, an auto-answer WebRTC phone in Cisco Finesse.
//!
//! A plain state machine in the style of str0m and quinn-proto: no I/O, no clock, no
//! timers, no randomness of its own, no web-sys. The driver feeds it inputs, each carrying
//! `now` (`handle_*`), and drains its outputs after each (`poll_transmit`, `poll_event`,
//! `poll_timeout`). Every layer has its own file: `wire` (parsing and serialising, the
//! only place that sees text), `transaction`, `dialog`, `registration`, `digest`,
//! `keepalive`, `session_timer`, `policy` (auto-answer), `call` (per-call state) and
//! `agent` (routing); `subscription` and `presence` are the supervisor board's busy lamp
//! (RFC 6665 SUBSCRIBE/NOTIFY, RFC 4235 dialog-info, RFC 3680 reginfo). No network input
//! can panic it.
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod agent;
mod api;
pub mod backoff;
mod call;
mod caller;
mod config;
mod context;
mod dialog;
pub mod digest;
pub mod error;
mod keepalive;
pub mod policy;
pub mod presence;
mod registration;
pub mod sdp;
mod session_timer;
pub mod subscription;
mod time;
mod transaction;
mod watch;
pub mod wire;

pub use agent::UserAgent;
pub use api::{
    CallId, Caller, Command, EndReason, Event, MediaFailure, MediaRequest, MediaResult,
    RegistrationState, Stats,
};
pub use config::{AgentState, AutoAnswerConfig, Config, KeepAlive};
pub use error::{DigestError, ParseError};
pub use presence::PhoneStatus;
pub use time::{Instant, Random};
