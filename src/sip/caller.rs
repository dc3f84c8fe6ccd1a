//! Caller identity for the agent's screen: P-Asserted-Identity (set by the trusted
//! network: CUCM, the broker), then Remote-Party-ID (older Cisco gear), then From.

use crate::api::Caller;
use crate::wire::header::{NameAddr, Uri};
use crate::wire::{name, Message};

#[must_use]
pub(crate) fn caller_of(msg: &Message<'_>) -> Caller {
    [name::P_ASSERTED_IDENTITY, name::REMOTE_PARTY_ID, name::FROM]
        .iter()
        .flat_map(|header| msg.get_all(header))
        .find_map(identity)
        .unwrap_or_default()
}

fn identity(value: &str) -> Option<Caller> {
    let addr = NameAddr::parse(value).ok()?;
    let uri = Uri::parse(addr.uri).ok()?;
    let number = uri.user?.to_owned();
    let display_name = addr
        .display
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    Some(Caller {
        number,
        display_name,
    })
}
