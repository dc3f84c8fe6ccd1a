//! The WebSocket edge (RFC 7118): one SIP message per text frame, subprotocol
//! `sip`. It only moves frames and reports open/close; reconnecting is the
//! driver's decision (with `ttecphone_sip::backoff`).

use std::cell::RefCell;
use std::rc::Rc;

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

/// Where a connection's events go: held back until the driver attaches (a
/// connection opened early, while the phone is still starting), then straight through.
enum Sink {
    Buffer(Vec<TransportEvent>),
    To(Rc<dyn Fn(TransportEvent)>),
}

fn deliver(sink: &Rc<RefCell<Sink>>, event: TransportEvent) {
    let to = match &mut *sink.borrow_mut() {
        Sink::Buffer(held) => {
            held.push(event);
            return;
        }
        Sink::To(to) => to.clone(),
    };
    to(event);
}

/// One WebSocket connection. Dropping it closes the socket and detaches the handlers.
pub struct Connection {
    socket: WebSocket,
    url: String,
    sink: Rc<RefCell<Sink>>,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Connection {
    /// Opens `url` with the `sip` subprotocol; every event goes to `sink`.
    pub fn open(url: &str, sink: impl Fn(TransportEvent) + 'static) -> Result<Self, String> {
        let connection = Self::open_early(url)?;
        connection.attach(sink);
        Ok(connection)
    }

    /// Opens `url` now and keeps its events until [`Connection::attach`]: start-up
    /// opens the socket as soon as the broker URL is known, while the Finesse user,
    /// the tab lock and the broker login are still on their way. The page's own early
    /// socket (see gadget.xml) is taken over when it is to `url`.
    pub fn open_early(url: &str) -> Result<Self, String> {
        let (socket, opened) = match take_page_socket(url) {
            Some(socket) => {
                let opened = socket.ready_state() == WebSocket::OPEN;
                (socket, opened)
            }
            None => (
                WebSocket::new_with_str(url, "sip")
                    .map_err(|_| format!("cannot open a WebSocket to {url}"))?,
                false,
            ),
        };
        publish(&socket);
        let held = if opened {
            vec![TransportEvent::Open]
        } else {
            Vec::new()
        };
        let sink = Rc::new(RefCell::new(Sink::Buffer(held)));
        let on_open = {
            let sink = sink.clone();
            Closure::<dyn FnMut()>::new(move || deliver(&sink, TransportEvent::Open))
        };
        let on_message = {
            let sink = sink.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // SIP over WebSocket may use binary frames (RFC 7118 §5.1); both carry UTF-8 text.
                if let Some(text) = event.data().as_string() {
                    deliver(&sink, TransportEvent::Frame(text));
                } else if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    deliver(
                        &sink,
                        TransportEvent::Frame(String::from_utf8_lossy(&bytes).into_owned()),
                    );
                }
            })
        };
        let on_close = {
            let sink = sink.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
                deliver(
                    &sink,
                    TransportEvent::Closed {
                        code: event.code(),
                        reason: event.reason(),
                    },
                )
            })
        };
        socket.set_binary_type(web_sys::BinaryType::Arraybuffer);
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            url: url.to_string(),
            sink,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends every event to `sink` from now on, first the ones held back since the open.
    pub fn attach(&self, sink: impl Fn(TransportEvent) + 'static) {
        let sink: Rc<dyn Fn(TransportEvent)> = Rc::new(sink);
        let held = match std::mem::replace(&mut *self.sink.borrow_mut(), Sink::To(sink.clone())) {
            Sink::Buffer(held) => held,
            Sink::To(_) => Vec::new(),
        };
        for event in held {
            sink(event);
        }
    }

    /// The URL this connection was opened to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// False once the socket is closing or closed (or its close event is held back).
    pub fn usable(&self) -> bool {
        let closed = matches!(&*self.sink.borrow(), Sink::Buffer(held)
            if held.iter().any(|e| matches!(e, TransportEvent::Closed { .. })));
        !closed
            && matches!(
                self.socket.ready_state(),
                WebSocket::CONNECTING | WebSocket::OPEN
            )
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

/// `window.TTEC.ws`: the socket gadget.xml opened before the wasm ran (or the phone's own,
/// once it has one).
fn page_socket() -> Option<WebSocket> {
    js_sys::Reflect::get(&crate::page::object()?, &"ws".into())
        .ok()?
        .dyn_into::<WebSocket>()
        .ok()
}

/// The page's socket, if it is to `url` (as the browser spells it) and still connecting
/// or open. Any other is closed.
fn take_page_socket(url: &str) -> Option<WebSocket> {
    let socket = page_socket()?;
    let wanted = web_sys::Url::new(url).map_or_else(|_| url.to_string(), |u| u.href());
    let live = matches!(
        socket.ready_state(),
        WebSocket::CONNECTING | WebSocket::OPEN
    );
    if live && socket.url() == wanted {
        return Some(socket);
    }
    let _ = socket.close();
    None
}

/// Closes the socket gadget.xml opened early, if the phone has not taken it (no phone
/// starts: the configuration is invalid).
pub fn close_page_socket() {
    if let Some(socket) = page_socket() {
        let _ = socket.close();
    }
}

/// The phone's socket is `window.TTEC.ws` from now on: gadget.xml closes it if the
/// wasm traps, and opens no early socket of its own once there is one.
fn publish(socket: &WebSocket) {
    if let Some(page) = crate::page::object() {
        let _ = js_sys::Reflect::set(&page, &"ws".into(), socket);
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
