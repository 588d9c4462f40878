//! The worker's side: `sygnal worker`, started by the gateway, never by a person. It reads its
//! set-up, puts limits on itself before it reads a single byte of mail, opens the keys, waits
//! for messages, answers each, and exits after [`MESSAGES_PER_WORKER`].

use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};

use rustix::process::{Resource, Rlimit};

use super::protocol::{self, Answer, ProtocolError, Reply, Request, Setup};
use crate::config::Limits;
use crate::intake::process::{self, Decision, Rejection};
use crate::openpgp::{self, IntakeKeyring};
use crate::readers::Readers;
use crate::vault::ShredKey;

/// Largest set-up frame: keys and certificates, never mail.
const MAX_SETUP_BYTES: u64 = 64 * 1024 * 1024;

/// Why a worker gave no answer (it exits with 2; the gateway sees a worker that died).
#[derive(Debug, thiserror::Error)]
pub enum WorkerStartError {
    /// The pipe or a frame.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A resource limit could not be set: the worker refuses to run without it.
    #[error("cannot set the worker's {what}: {source}")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// Cause.
        source: std::io::Error,
    },
}

/// Runs the worker on the process's stdin and stdout. Returns the exit code.
pub fn main() -> u8 {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        let _ = writeln!(
            std::io::stderr(),
            "sygnal worker is started by `sygnal run` and `sygnal quarantine retry` on a pipe, \
             not by hand; to take mail, run `sygnal run`"
        );
        return 2;
    }
    // A panic message may quote what it choked on; the answer says "panic" and no more.
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    match serve(&mut input, &mut output, Confined) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "sygnal worker: {e}");
            2
        }
    }
}

/// Reads the set-up, confines the process with `confine`, then answers requests one after the
/// other until the gateway closes the pipe or [`MESSAGES_PER_WORKER`] are answered.
pub fn serve(
    input: &mut impl Read,
    output: &mut impl Write,
    mut confinement: impl Confinement,
) -> Result<(), WorkerStartError> {
    let setup = Setup::decode(&protocol::read_frame(input, MAX_SETUP_BYTES)?)?;
    confinement.before_mail(&setup.limits)?;
    let ready = ready(&setup);
    // Ready (or why not) before any mail: a worker that cannot work is the gateway's problem,
    // never counted against a message.
    let status = match &ready {
        Ok(_) => String::new(),
        Err(why) => why.clone(),
    };
    protocol::write_frame(output, status.as_bytes())?;
    let request_max = u64::try_from(setup.limits.max_message_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(64 * 1024);
    for _ in 0..MESSAGES_PER_WORKER {
        let Some(frame) = protocol::read_frame_or_end(input, request_max)? else {
            return Ok(());
        };
        confinement.before_message(&setup.limits)?;
        let request = Request::decode(&frame)?;
        let answer = match &ready {
            Ok((keyring, readers)) => answer(&request, keyring, readers, &setup),
            Err(why) => Answer::Failed(why.clone()),
        };
        drop(frame);
        let reply = Reply {
            answer,
            peak_rss_kib: crate::telemetry::peak_rss_kib(),
        };
        protocol::write_frame(output, &reply.encode())?;
    }
    Ok(())
}

/// How many messages one worker process answers before it exits and a fresh one takes its
/// place. A process per message costs more than opening a small report; a worker that lives
/// forever would carry one sender's effects (fragmented memory, a grown heap) to every later
/// message. Each message still has its own time and CPU limit, and a worker that dies takes
/// only the message in hand with it.
pub const MESSAGES_PER_WORKER: usize = 64;

/// What a worker does to itself: once before it reads any mail, and before each message.
pub trait Confinement {
    /// Before the first byte of mail.
    fn before_mail(&mut self, limits: &Limits) -> Result<(), WorkerStartError>;
    /// Before each message.
    fn before_message(&mut self, limits: &Limits) -> Result<(), WorkerStartError>;
}

/// The real confinement of a worker process: [`confine`], then each message's CPU time.
pub struct Confined;

impl Confinement for Confined {
    fn before_mail(&mut self, limits: &Limits) -> Result<(), WorkerStartError> {
        confine(limits)
    }
    fn before_message(&mut self, limits: &Limits) -> Result<(), WorkerStartError> {
        allow_cpu_for_one_message(limits)
    }
}

/// In tests, where the worker's code runs on a thread of the test process: a closure stands
/// for the start-up confinement and nothing limits the (shared) process per message.
impl<F: FnMut(&Limits) -> Result<(), WorkerStartError>> Confinement for F {
    fn before_mail(&mut self, limits: &Limits) -> Result<(), WorkerStartError> {
        self(limits)
    }
    fn before_message(&mut self, _limits: &Limits) -> Result<(), WorkerStartError> {
        Ok(())
    }
}

/// Raises the CPU-time soft limit to what this process has used so far plus one message's
/// time: each message gets its own `message-timeout` of CPU, not what earlier ones left over.
fn allow_cpu_for_one_message(limits: &Limits) -> Result<(), WorkerStartError> {
    let used = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let used = u64::try_from(used.tv_sec).unwrap_or(0).saturating_add(1);
    let (soft, hard) = cpu_limits(limits);
    let soft = used.saturating_add(soft).min(hard.saturating_sub(2));
    rustix::process::setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(soft),
            maximum: Some(hard),
        },
    )
    .map_err(|e| WorkerStartError::Limit {
        what: "CPU-time limit",
        source: e.into(),
    })
}

/// One message's CPU seconds (the soft limit's step), and the hard limit for the worker's
/// whole life: every message using all of its time, and a margin.
fn cpu_limits(limits: &Limits) -> (u64, u64) {
    let per = limits.message_timeout.as_secs().max(1);
    let messages = u64::try_from(MESSAGES_PER_WORKER).unwrap_or(u64::MAX);
    (per, per.saturating_mul(messages + 1).saturating_add(2))
}

/// Keys and readers, parsed while the worker waits for its message (the pool's head start).
fn ready(setup: &Setup) -> Result<(IntakeKeyring, Readers), String> {
    let keyring = IntakeKeyring::from_parts(&setup.keyring)
        .map_err(|e| format!("the intake keys did not reach the worker whole: {e}"))?;
    let certs = |list: &[Vec<u8>]| {
        list.iter()
            .map(|c| openpgp::parse_cert(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a reader certificate did not reach the worker whole: {e}"))
    };
    let readers = Readers::for_sealing(certs(&setup.handlers)?, certs(&setup.custodians)?);
    Ok((keyring, readers))
}

fn answer(request: &Request, keyring: &IntakeKeyring, readers: &Readers, setup: &Setup) -> Answer {
    let shred = ShredKey::from_bytes(request.shred_key);
    let Some(shred) = shred else {
        return Answer::Failed("the shred key is malformed".to_owned());
    };
    let pattern = setup
        .reply_pattern
        .as_deref()
        .and_then(|p| crate::contact::ReplyPattern::parse(p).ok());
    let decided = catch_unwind(AssertUnwindSafe(|| {
        process::decide(
            request.raw,
            keyring,
            readers,
            &setup.limits,
            &shred,
            request.received_at,
            pattern.as_ref(),
        )
    }));
    match decided {
        Ok(Ok(Decision::File(case))) => Answer::File(case),
        Ok(Ok(Decision::Quarantine(rejection))) => Answer::Quarantine(rejection),
        Ok(Err(e)) => Answer::Failed(e.to_string()),
        Err(_) => Answer::Quarantine(Rejection {
            code: "internal-error".to_owned(),
            detail: "processing stopped unexpectedly (panic)".to_owned(),
        }),
    }
}

/// The limits a worker puts on itself before it reads mail. Address space bounds memory (an
/// allocation past it fails and the process aborts: `worker-out-of-memory`); CPU time bounds a
/// loop even if the gateway's own timer did not fire; no core dumps (they would hold
/// plaintext), not dumpable (no ptrace by the same user), no new privileges, and killed with
/// the gateway.
pub fn confine(limits: &Limits) -> Result<(), WorkerStartError> {
    let limit = |what, e: rustix::io::Errno| WorkerStartError::Limit {
        what,
        source: e.into(),
    };
    let parent = rustix::process::getppid();
    // Tied to the thread that started the worker: the gateway starts workers from its async
    // runtime's threads, which live as long as the gateway.
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .map_err(|e| limit("parent-death signal", e))?;
    // The gateway may have gone between the fork and the line above.
    if rustix::process::getppid() != parent {
        return Err(limit("parent-death signal", rustix::io::Errno::SRCH));
    }
    rustix::thread::set_no_new_privs(true).map_err(|e| limit("no-new-privileges flag", e))?;
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| limit("dumpable flag", e))?;
    let set = |resource, soft: u64, hard: u64, what| {
        rustix::process::setrlimit(
            resource,
            Rlimit {
                current: Some(soft),
                maximum: Some(hard),
            },
        )
        .map_err(|e| limit(what, e))
    };
    set(Resource::Core, 0, 0, "core-dump limit")?;
    let memory = u64::try_from(limits.worker_memory_bytes).unwrap_or(u64::MAX);
    set(Resource::As, memory, memory, "address-space limit")?;
    // SIGXCPU at the soft limit (raised by one message's time before each message); the hard
    // limit (SIGKILL) only if that is ignored.
    let (cpu, hard) = cpu_limits(limits);
    set(Resource::Cpu, cpu, hard, "CPU-time limit")?;
    Ok(())
}
