//! A spinner on stderr while the cluster is read, only when stderr is a terminal: piped or
//! redirected output, and therefore scripts and CI logs, never see it.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A running spinner (or nothing, off a terminal).
pub struct Spinner {
    inner: Option<Inner>,
}

struct Inner {
    stop: Arc<AtomicBool>,
    message: Arc<Mutex<String>>,
    thread: JoinHandle<()>,
}

impl Spinner {
    /// Starts a spinner showing `message`, when stderr is a terminal.
    pub fn start(message: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self { inner: None };
        }
        let stop = Arc::new(AtomicBool::new(false));
        let text = Arc::new(Mutex::new(message.to_owned()));
        let (stop2, text2) = (stop.clone(), text.clone());
        let thread = std::thread::spawn(move || {
            let mut i = 0;
            while !stop2.load(Ordering::Relaxed) {
                let msg = text2.lock().map(|m| m.clone()).unwrap_or_default();
                let _ = write!(std::io::stderr(), "\r\x1b[2K{} {msg}…", FRAMES[i % FRAMES.len()]);
                let _ = std::io::stderr().flush();
                i += 1;
                std::thread::sleep(Duration::from_millis(80));
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
        Self { inner: Some(Inner { stop, message: text, thread }) }
    }

    /// Changes the text shown.
    pub fn set_message(&self, message: &str) {
        if let Some(inner) = &self.inner
            && let Ok(mut m) = inner.message.lock()
        {
            message.clone_into(&mut m);
        }
    }

    /// Stops and clears the line.
    pub fn stop(self) {
        if let Some(inner) = self.inner {
            inner.stop.store(true, Ordering::Relaxed);
            let _ = inner.thread.join();
        }
    }
}
