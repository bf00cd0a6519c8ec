//! Reading a child process's stdout line by line, for the process-level
//! tests: a background thread forwards each line, telling whole lines from
//! one cut short by a kill.

use std::io::{BufRead, BufReader};
use std::process::ChildStdout;
use std::sync::mpsc::{self, Receiver};
use std::thread;

/// One line of a child's stdout.
pub enum Line {
    /// Ended by a newline: written in full.
    Complete(String),
    /// Cut short (the child was killed mid-write).
    Partial(String),
}

/// Forwards `stdout` line by line until it closes.
pub fn lines_of(stdout: ChildStdout) -> Receiver<Line> {
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut buf = Vec::new();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let complete = buf.last() == Some(&b'\n');
                    if complete {
                        buf.pop();
                    }
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    let line = if complete { Line::Complete(text) } else { Line::Partial(text) };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    lines
}
