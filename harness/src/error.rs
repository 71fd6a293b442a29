//! One error type for the whole harness. Every variant says where (file, line,
//! column; or node and interface) and, where it can, what to do.

use std::fmt;

/// Every way a run can fail, by who must act on it.
#[derive(Debug)]
pub enum Error {
    /// Not allowed to create namespaces here: exit status 2, with the remedy.
    Privilege(String),
    /// A lab file or fixture is wrong: exit status 2. `at` is `file:line:col`.
    Input {
        /// `file:line:col` of the mistake.
        at: String,
        /// What is wrong there.
        msg: String,
    },
    /// The kernel lacks something a step needs: the step is skipped with this reason.
    Unsupported(String),
    /// A command of a lab step failed while it ran (netlink answer, missing device, ...).
    Command {
        /// The lab node (network namespace) the command ran in.
        node: String,
        /// The command as the lab step wrote it.
        cmd: String,
        /// Why it failed (the kernel's netlink answer, a missing device, ...).
        msg: String,
    },
    /// An I/O failure (a file, a socket, a process), with what was being done.
    Io {
        /// What was being done (`write the CNI config`, `[node] start ping`).
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A failure that only a message describes.
    Other(String),
    /// Code panicked while a step ran; the message is the panic's. The
    /// topology's state is then unknown: later steps are not run on it.
    Panicked(String),
    /// An error with the context that led to it.
    Context {
        /// What was being done when the inner error happened.
        context: String,
        /// The inner error.
        source: Box<Error>,
    },
}

/// The harness's result type: [`Error`] unless told otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`]: `what` was being done when `source` happened.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
    /// An [`Error::Input`] at `file:line:col`.
    pub fn input(at: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Input {
            at: at.into(),
            msg: msg.into(),
        }
    }
    /// An [`Error::Other`] with this message.
    pub fn other(msg: impl Into<String>) -> Self {
        Error::Other(msg.into())
    }
    /// The innermost error, skipping context layers.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            e => e,
        }
    }
    /// A kernel feature is missing: the caller reports a skip, never a pass.
    pub fn is_unsupported(&self) -> bool {
        matches!(self.root(), Error::Unsupported(_))
    }
    /// A panic caught while a step ran.
    pub fn is_panic(&self) -> bool {
        matches!(self.root(), Error::Panicked(_))
    }
    /// Bad input or missing privileges: the process exits with status 2.
    pub fn is_usage(&self) -> bool {
        matches!(self.root(), Error::Privilege(_) | Error::Input { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Privilege(m) => write!(f, "{m}"),
            // Escaped here, once for every message: input errors quote lab
            // files, and a control character must never reach a terminal
            // raw, whatever message quoted it.
            Error::Input { at, msg } => write!(f, "{}: {}", escaped(at), escaped(msg)),
            Error::Unsupported(m) => write!(f, "{m}"),
            Error::Command { node, cmd, msg } => write!(f, "[{node}] `{cmd}`: {msg}"),
            Error::Io { what, source } => write!(f, "{what}: {source}"),
            Error::Other(m) => write!(f, "{m}"),
            Error::Panicked(m) => write!(f, "panicked: {m}"),
            Error::Context { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {}

/// `s` with every control character (newlines too: a message is one line)
/// and bidirectional override shown as an escape, never obeyed.
fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    let odd =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(odd) {
        return s.into();
    }
    s.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            '\r' => "\\r".to_string(),
            c if odd(c) => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// Wrap an error with what was being done, netavark style.
pub trait Context<T> {
    /// Wraps an error with `what` was being done (only computed on error).
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| match e {
            // Input and privilege errors already say where and what to do.
            e if e.is_usage() => e,
            e => Error::Context {
                context: what(),
                source: Box::new(e),
            },
        })
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io {
            what: "i/o".into(),
            source: e,
        }
    }
}
