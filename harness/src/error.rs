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
    /// A system call failed: what was being done, and the kernel's errno.
    Sys {
        /// What was being done (`unshare(CLONE_NEWNET)`, `mount sysfs`).
        what: String,
        /// The kernel's answer.
        errno: nix::errno::Errno,
    },
    /// The kernel's netlink answer (worded as iproute2 words it), with its
    /// errno when the kernel sent one.
    Netlink {
        /// The errno (`libc::ENODEV`, ...), when the answer carried one.
        errno: Option<i32>,
        /// The answer as a learner knows it (`RTNETLINK answers: File exists`).
        msg: String,
    },
    /// Something named is not there: a node, a device, a sysctl, a peer.
    NotFound(String),
    /// Text that does not parse as what it must be (JSON, a number, a placeholder).
    Parse {
        /// What was being read.
        what: String,
        /// Why it does not parse.
        msg: String,
    },
    /// A program vethlab started (a CNI plugin, `sh`, `bird -p`) failed.
    Process {
        /// The program and what it was asked.
        what: String,
        /// Its exit status, when it exited.
        status: Option<i32>,
        /// What it said (its stderr, or its result).
        output: String,
    },
    /// A live capture (libpcap) failed.
    Capture {
        /// `[node] capture on IFACE`, or its statistics.
        what: String,
        /// libpcap's error.
        source: pcap::Error,
    },
    /// A name a lab or a run wrote that vethlab refuses to use (an output
    /// path climbing out of its directory, a control character).
    Refused(String),
    /// A worker that runs jobs inside a namespace stopped (or panicked).
    Stopped(String),
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
    /// An [`Error::Sys`]: `what` was being done when the kernel said `errno`.
    pub fn sys(what: impl Into<String>, errno: nix::errno::Errno) -> Self {
        Error::Sys {
            what: what.into(),
            errno,
        }
    }
    /// An [`Error::Parse`]: `what` does not parse, because `msg`.
    pub fn parse(what: impl Into<String>, msg: impl std::fmt::Display) -> Self {
        Error::Parse {
            what: what.into(),
            msg: msg.to_string(),
        }
    }
    /// An [`Error::NotFound`] with this message.
    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
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
    /// Something named is not there (a node, a device, a sysctl).
    pub fn is_not_found(&self) -> bool {
        matches!(self.root(), Error::NotFound(_))
    }
    /// The errno of the system call or netlink answer that failed, if any.
    pub fn errno(&self) -> Option<i32> {
        match self.root() {
            Error::Sys { errno, .. } => Some(*errno as i32),
            Error::Netlink { errno, .. } => *errno,
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
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
            Error::Sys { what, errno } => write!(f, "{what}: {errno}"),
            Error::Netlink { msg, .. } => write!(f, "{msg}"),
            Error::NotFound(m) | Error::Refused(m) | Error::Stopped(m) => write!(f, "{m}"),
            Error::Parse { what, msg } => write!(f, "{what}: {msg}"),
            Error::Process {
                what,
                status: Some(n),
                output,
            } => write!(f, "{what} failed (exit {n}): {output}"),
            Error::Process { what, output, .. } => write!(f, "{what} failed: {output}"),
            Error::Capture { what, source } => write!(f, "{what}: {source}"),
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

/// Wrap a system call's error with what was being done.
impl<T> Context<T> for std::result::Result<T, nix::errno::Errno> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|errno| Error::sys(what(), errno))
    }
}

/// Wrap an I/O error with what was being done.
impl<T> Context<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::io(what(), e))
    }
}

/// Wrap a (de)serialisation error with what was being read or written.
impl<T> Context<T> for serde_json::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::parse(what(), e))
    }
}

/// Wrap a libpcap error with the capture it happened on.
impl<T> Context<T> for std::result::Result<T, pcap::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Capture {
            what: what(),
            source,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind survives every layer of context, and the text reads outward in.
    #[test]
    fn kinds_survive_context() {
        let sys: Result<()> = Err(nix::errno::Errno::EPERM).context(|| "setns".into());
        let e = sys.context(|| "[pod] enter".into()).unwrap_err();
        assert_eq!(e.errno(), Some(libc::EPERM));
        assert_eq!(
            e.to_string(),
            "[pod] enter: setns: EPERM: Operation not permitted"
        );
        let nf: Result<()> = Err(Error::not_found("no node `x` in this lab"));
        let e = nf
            .context(|| "placeholder {x.eth0.mac}".into())
            .unwrap_err();
        assert!(e.is_not_found() && !e.is_unsupported(), "{e:?}");
        let bad: serde_json::Result<u8> = serde_json::from_str("x");
        let e = bad.context(|| "the request".into()).unwrap_err();
        assert!(matches!(e.root(), Error::Parse { .. }), "{e:?}");
    }

    /// Input errors already say where: context does not bury them.
    #[test]
    fn input_errors_stay_first() {
        let r: Result<()> = Err(Error::input("lab.json:3:5", "unknown key"));
        let e = r.context(|| "load".into()).unwrap_err();
        assert_eq!(e.to_string(), "lab.json:3:5: unknown key");
    }
}
