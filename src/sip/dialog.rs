//! Dialog state (RFC 3261 §12): identifiers, route set, remote target, CSeq spaces.
//! Identified by Call-ID plus both tags.

use crate::api::CallId;
use crate::context::{Ctx, ALLOW};
use crate::wire::header::NameAddr;
use crate::wire::{name, MessageBuilder, Method};

#[derive(Clone, Debug)]
pub(crate) struct Dialog {
    pub call_id: CallId,
    pub local_tag: String,
    /// `None` for our own INVITE until a response carries the peer's tag.
    pub remote_tag: Option<String>,
    /// Our From/To value, without tag.
    pub local_addr: String,
    /// The peer's From/To value, without tag.
    pub remote_addr: String,
    /// Where in-dialog requests go (the peer's Contact URI).
    pub remote_target: String,
    /// Route set: Record-Route as received (UAS) or reversed (UAC).
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
}

impl Dialog {
    /// Does an in-dialog request (From tag = `from_tag`, To tag = `to_tag`) belong here?
    pub fn matches_request(&self, from_tag: Option<&str>, to_tag: Option<&str>) -> bool {
        to_tag == Some(self.local_tag.as_str()) && from_tag == self.remote_tag.as_deref()
    }

    pub fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.local_cseq
    }

    /// Starts an in-dialog request with the next CSeq. Returns the builder, the branch and
    /// the CSeq number.
    pub fn request(&mut self, method: Method, ctx: &mut Ctx<'_>) -> (MessageBuilder, String, u32) {
        let cseq = if method == Method::Ack {
            self.local_cseq
        } else {
            self.next_cseq()
        };
        let (b, branch) = self.request_with_cseq(method, cseq, ctx);
        (b, branch, cseq)
    }

    /// An in-dialog request with an explicit CSeq (ACK and CANCEL reuse the INVITE's).
    pub fn request_with_cseq(
        &self,
        method: Method,
        cseq: u32,
        ctx: &mut Ctx<'_>,
    ) -> (MessageBuilder, String) {
        self.build(method, cseq, None, None, ctx)
    }

    /// The ACK of a non-2xx final response to our in-dialog INVITE: part of that INVITE's
    /// transaction, so the same branch and Route set, and the To of the response
    /// (RFC 3261 §17.1.1.3).
    pub fn non_2xx_ack(
        &self,
        cseq: u32,
        branch: &str,
        to: Option<&str>,
        ctx: &mut Ctx<'_>,
    ) -> MessageBuilder {
        self.build(Method::Ack, cseq, Some(branch), to, ctx).0
    }

    fn build(
        &self,
        method: Method,
        cseq: u32,
        branch: Option<&str>,
        to: Option<&str>,
        ctx: &mut Ctx<'_>,
    ) -> (MessageBuilder, String) {
        // Loose routing (RFC 3261 §12.2.1.1) unless the first route is a strict router.
        let strict = self.route_set.first().is_some_and(|r| {
            NameAddr::parse(r)
                .map(|a| crate::wire::header::param(a.uri, "lr").is_none())
                .unwrap_or(false)
        });
        let target = if strict {
            self.route_set
                .first()
                .and_then(|r| NameAddr::parse(r).ok())
                .map_or(self.remote_target.as_str(), |a| a.uri)
        } else {
            self.remote_target.as_str()
        };
        let (mut b, branch) = match branch {
            None => ctx.request(method, target),
            Some(branch) => {
                let mut b = MessageBuilder::request(method.as_str(), target);
                b.header_fmt(
                    name::VIA,
                    format_args!("SIP/2.0/WSS {};branch={branch};rport", ctx.local.via_host),
                )
                .header(name::MAX_FORWARDS, "70");
                (b, branch.to_owned())
            }
        };
        let routes = if strict {
            self.route_set.get(1..).unwrap_or(&[])
        } else {
            &self.route_set[..]
        };
        for route in routes {
            b.header(name::ROUTE, route);
        }
        if strict {
            b.header_fmt(name::ROUTE, format_args!("<{}>", self.remote_target));
        }
        b.header_fmt(
            name::FROM,
            format_args!("{};tag={}", self.local_addr, self.local_tag),
        );
        match (to, &self.remote_tag) {
            (Some(to), _) => b.header(name::TO, to),
            (None, Some(tag)) => {
                b.header_fmt(name::TO, format_args!("{};tag={}", self.remote_addr, tag))
            }
            (None, None) => b.header(name::TO, &self.remote_addr),
        };
        b.header(name::CALL_ID, self.call_id.as_str());
        b.header_fmt(name::CSEQ, format_args!("{} {}", cseq, method.as_str()));
        if !matches!(method, Method::Ack | Method::Cancel) {
            b.header_fmt(name::CONTACT, format_args!("<{}>", ctx.local.contact_uri));
            b.header(name::ALLOW, ALLOW);
        }
        b.header(name::USER_AGENT, &ctx.config.user_agent);
        (b, branch)
    }
}

/// A From/To value with its `tag` parameter removed (the dialog adds tags itself).
pub(crate) fn without_tag(value: &str) -> String {
    let Ok(addr) = NameAddr::parse(value) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(value.len());
    if let Some(display) = &addr.display {
        out.push('"');
        out.push_str(&display.replace('"', ""));
        out.push_str("\" ");
    }
    out.push('<');
    out.push_str(addr.uri);
    out.push('>');
    for (k, v) in crate::wire::header::params(addr.params) {
        if k.eq_ignore_ascii_case("tag") {
            continue;
        }
        out.push(';');
        out.push_str(k);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}
