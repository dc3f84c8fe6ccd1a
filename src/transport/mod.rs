//! The WebSocket edge (RFC 7118): one SIP message per text frame, subprotocol
//! `sip`. It only moves frames and reports open/close; reconnecting is the
//! driver's decision (with `ttecphone_sip::backoff`).

use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the socket reports.
#[derive(Debug)]
pub enum TransportEvent {
    Open,
    Frame(String),
    /// Closed (or failed to open). `code` 1006 means abnormal: no close frame.
    Closed {
        code: u16,
        reason: String,
    },
}

/// One WebSocket connection. Dropping it closes the socket and detaches the handlers.
pub struct Connection {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Connection {
    /// Opens `url` with the `sip` subprotocol; every event goes to `sink`.
    pub fn open(url: &str, sink: impl Fn(TransportEvent) + 'static) -> Result<Self, String> {
        let socket = WebSocket::new_with_str(url, "sip")
            .map_err(|_| format!("cannot open a WebSocket to {url}"))?;
        let sink = std::rc::Rc::new(sink);
        let on_open = {
            let sink = sink.clone();
            Closure::<dyn FnMut()>::new(move || sink(TransportEvent::Open))
        };
        let on_message = {
            let sink = sink.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // SIP over WebSocket may use binary frames (RFC 7118 §5.1); both carry UTF-8 text.
                if let Some(text) = event.data().as_string() {
                    sink(TransportEvent::Frame(text));
                } else if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    sink(TransportEvent::Frame(
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ));
                }
            })
        };
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            sink(TransportEvent::Closed {
                code: event.code(),
                reason: event.reason(),
            })
        });
        socket.set_binary_type(web_sys::BinaryType::Arraybuffer);
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    pub fn is_open(&self) -> bool {
        self.socket.ready_state() == WebSocket::OPEN
    }

    pub fn send(&self, frame: &str) -> Result<(), String> {
        self.socket
            .send_with_str(frame)
            .map_err(|_| "the WebSocket refused the frame".to_string())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

/// Plain words for a close code, for the agent.
pub fn describe_close(code: u16, reason: &str) -> String {
    let what = match code {
        1000 => "closed by the phone system",
        1001 => "the phone system is going away",
        1006 => "the connection to the phone system was lost",
        1011 => "the phone system had an internal error",
        1015 => "the secure connection failed (certificate?)",
        _ => "the connection to the phone system closed",
    };
    if reason.is_empty() {
        format!("{what}, code {code}")
    } else {
        format!("{what}, code {code}: {reason}")
    }
}
