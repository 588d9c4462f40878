//! Intake workers: decrypt, parse, split, clean and seal run in separate processes (the same
//! binary, `sygnal worker`), so that no message can take the gateway down with it (invariant 4).
//! A worker is confined before it reads mail (address space, CPU time, no core dumps, no new
//! privileges), gets each message's CPU time anew, and is killed when a message's time is up.
//! Its death becomes a coded outcome for the gateway to act on, never a gateway crash.
//!
//! A pool of workers (one per core by default) is started ahead, keys parsed, and kept: they
//! decide a batch's messages in parallel, each answering up to
//! [`child::MESSAGES_PER_WORKER`] messages before a fresh process takes its place.

pub mod child;
pub mod protocol;

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use zeroize::Zeroizing;

use protocol::{tokio_io, Answer, ProtocolError, Reply, Request, Setup};

use super::process::{Decision, Rejection};

use crate::config::Limits;
use crate::openpgp::IntakeKeyring;
use crate::readers::Readers;

/// How a worker ended without an answer: each its own quarantine reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Death {
    /// Killed by the gateway when the message's time was up, or by its own CPU-time limit.
    Timeout,
    /// An allocation failed against its address-space limit (the process aborted).
    OutOfMemory,
    /// Any other end: a signal from outside (the kernel's OOM killer, an operator), a crash.
    Killed(String),
}

impl Death {
    /// The stable quarantine reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Death::Timeout => "worker-timeout",
            Death::OutOfMemory => "worker-out-of-memory",
            Death::Killed(_) => "worker-killed",
        }
    }

    /// Whether another worker may get further: a kill from outside may not recur; running out
    /// of the message's own time or memory will.
    pub fn worth_retrying(&self) -> bool {
        matches!(self, Death::Killed(_))
    }

    /// What happened, for the quarantine entry (no content).
    pub fn detail(&self, limits: &Limits) -> String {
        match self {
            Death::Timeout => format!(
                "the worker handling this message used up its time ({} s wall clock or CPU) and \
                 was stopped",
                limits.message_timeout.as_secs()
            ),
            Death::OutOfMemory => format!(
                "the worker handling this message ran out of its {} MiB of address space",
                limits.worker_memory_bytes / (1024 * 1024)
            ),
            Death::Killed(how) => format!("the worker handling this message {how}"),
        }
    }
}

/// Worker trouble that is not the message's: the gateway cannot start or talk to a worker.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The worker program could not be started.
    #[error("cannot start an intake worker ({exe}): {source}; check that the sygnal binary is still in place (an upgrade replaces it: restart the service)")]
    Spawn {
        /// The program.
        exe: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The worker's keys could not be serialized.
    #[error("cannot prepare the intake keys for a worker: {0}")]
    Keys(String),
    /// A started worker did not get ready (confined, keys parsed).
    #[error("an intake worker could not get ready: {0}")]
    NotReady(String),
}

/// One message's outcome from a worker.
pub enum Outcome {
    /// The worker answered.
    Answered(Box<Reply>),
    /// The worker ended without an answer.
    Died(Death),
}

impl Outcome {
    /// What becomes of the message: the worker's verdict, or a quarantine coded by how the
    /// worker died. `Err` is a failure that is not the message's (sealing had no readers).
    pub fn into_decision(self, limits: &Limits) -> Result<Decision, String> {
        match self {
            Outcome::Answered(reply) => match reply.answer {
                Answer::File(case) => Ok(Decision::File(case)),
                Answer::Quarantine(rejection) => Ok(Decision::Quarantine(rejection)),
                Answer::Failed(why) => Err(why),
            },
            Outcome::Died(death) => Ok(Decision::Quarantine(Rejection {
                code: death.code().to_owned(),
                detail: death.detail(limits),
            })),
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    /// Whether it said it is confined and holds its keys.
    ready: bool,
    /// Messages it has answered.
    served: usize,
}

/// How long a started worker may take to confine itself and parse its keys.
const READY_WAIT: Duration = Duration::from_secs(60);

/// Pre-started workers holding one set of keys and readers, answering messages in parallel
/// (one message at a time each) and replaced after [`child::MESSAGES_PER_WORKER`] messages or
/// when one dies.
pub struct WorkerPool {
    exe: Runner,
    setup: Arc<Zeroizing<Vec<u8>>>,
    limits: Limits,
    idle: VecDeque<Worker>,
    /// How many messages are decided at once (and workers kept running).
    lanes: usize,
}

/// glibc's allocator settings for the gateway and its workers (ignored by other C libraries):
/// buffers of 256 KiB and more are mapped on their own and unmapped when freed.
pub const MALLOC_TUNABLES: &str = "glibc.malloc.mmap_threshold=262144";

/// What runs a worker.
#[derive(Debug, Clone)]
pub enum Runner {
    /// This program, started as `sygnal worker`.
    Program(PathBuf),
    /// Unit tests (no sygnal binary is built for them): the worker's code on a thread of this
    /// process, with no isolation. Never in a build that is not a test.
    #[cfg(test)]
    InProcess,
}

/// The binary to start workers from: this one.
pub fn this_binary() -> Result<Runner, WorkerError> {
    #[cfg(test)]
    return Ok(Runner::InProcess);
    #[cfg(not(test))]
    std::env::current_exe()
        .map(Runner::Program)
        .map_err(|source| WorkerError::Spawn {
            exe: PathBuf::from("(this program)"),
            source,
        })
}

impl WorkerPool {
    /// A pool whose workers open mail with `keyring` and seal to `readers`, `lanes` at a time.
    pub fn for_keys(
        exe: Runner,
        keyring: &IntakeKeyring,
        readers: &Readers,
        limits: &Limits,
        lanes: usize,
        contact: Option<&crate::contact::ReplyPattern>,
    ) -> Result<WorkerPool, WorkerError> {
        let keys = |e: crate::openpgp::KeyError| WorkerError::Keys(e.to_string());
        let certs = |list: &[crate::openpgp::Cert]| {
            list.iter()
                .map(crate::openpgp::cert_bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(keys)
        };
        let setup = Setup {
            keyring: keyring.to_parts().map_err(keys)?,
            handlers: certs(&readers.handlers)?,
            custodians: certs(&readers.custodians)?,
            limits: limits.clone(),
            reply_pattern: contact.map(crate::contact::ReplyPattern::as_text),
        };
        Ok(WorkerPool::new(exe, &setup, lanes))
    }

    /// Prepares a pool of `lanes` workers running `exe` (each given `setup` when started).
    /// Workers are started on first use, so a pass with no new mail starts none.
    pub fn new(exe: Runner, setup: &Setup, lanes: usize) -> WorkerPool {
        WorkerPool {
            exe,
            setup: Arc::new(setup.encode()),
            limits: setup.limits.clone(),
            idle: VecDeque::new(),
            lanes: lanes.max(1),
        }
    }

    /// Whether this pool's workers hold exactly what `other` would give them: then the running
    /// workers can go on serving instead of new ones being started.
    pub fn same_setup(&self, other: &WorkerPool) -> bool {
        self.setup.as_slice() == other.setup.as_slice()
    }

    async fn spawn(&self) -> Result<Worker, WorkerError> {
        #[allow(clippy::infallible_destructuring_match)] // not infallible in unit tests
        let exe = match &self.exe {
            Runner::Program(exe) => exe,
            #[cfg(test)]
            Runner::InProcess => {
                return Err(WorkerError::NotReady(
                    "no worker process in unit tests".into(),
                ))
            }
        };
        let mut command = Command::new(exe);
        command
            .arg("worker")
            // The worker needs nothing from the environment (passphrases live there).
            .env_clear()
            // A message's buffers (raw, plaintext, sealed copies) are mapped apart and go back
            // to the system when freed. Otherwise glibc raises its mmap threshold after the
            // first large free and keeps later ones in its heap: a worker that opened one
            // 12 MiB message would hold that memory for the rest of its 64 messages.
            .env("GLIBC_TUNABLES", MALLOC_TUNABLES)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        #[cfg(feature = "failpoints")]
        for name in ["SYGNAL_FAILPOINT", "SYGNAL_FAILPOINT_WHILE"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        let spawn_err = |source| WorkerError::Spawn {
            exe: exe.clone(),
            source,
        };
        let mut child = command.spawn().map_err(spawn_err)?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(spawn_err(std::io::Error::other("no pipe to the worker")));
        };
        tracing::debug!(worker = child.id().unwrap_or(0), "WorkerStarted");
        // A worker that cannot take its set-up is found out when it is given a message.
        let _ = tokio_io::write_frame(&mut stdin, &self.setup).await;
        Ok(Worker {
            child,
            stdin,
            stdout,
            ready: false,
            served: 0,
        })
    }

    /// Waits until `worker` says it is confined and holds its keys.
    async fn make_ready(worker: &mut Worker) -> Result<(), WorkerError> {
        if worker.ready {
            return Ok(());
        }
        let said = tokio::time::timeout(
            READY_WAIT,
            tokio_io::read_frame(&mut worker.stdout, 64 * 1024),
        )
        .await;
        let why = match said {
            Ok(Ok(status)) if status.is_empty() => {
                worker.ready = true;
                return Ok(());
            }
            Ok(Ok(status)) => String::from_utf8_lossy(&status).into_owned(),
            Ok(Err(e)) => {
                format!("it ended before it was ready ({e}); its error is in the log above")
            }
            Err(_) => format!("not ready within {} s", READY_WAIT.as_secs()),
        };
        Err(WorkerError::NotReady(why))
    }

    /// A started worker, ready: a waiting one, or a new one.
    async fn ready_worker(&self, waiting: Option<Worker>) -> Result<Worker, WorkerError> {
        let mut worker = match waiting {
            Some(w) => w,
            None => self.spawn().await?,
        };
        Self::make_ready(&mut worker).await?;
        Ok(worker)
    }

    /// Makes sure a worker is started, confined and holding its keys, and exactly as many
    /// others as `messages` can keep busy (up to the pool's lanes) are starting or waiting: one
    /// message does not keep a worker that would only wait. Called before messages' attempts are recorded: a
    /// worker that cannot get that far is the gateway's trouble (an error that stops intake and
    /// leaves the mail on the server), never counted against a message.
    pub async fn ready(&mut self, messages: usize) -> Result<(), WorkerError> {
        #[cfg(test)]
        if matches!(self.exe, Runner::InProcess) {
            return Ok(());
        }
        let wanted = self.lanes.min(messages.max(1));
        // Workers this batch cannot keep busy are let go: beside a lone large message they
        // would only hold memory. A later, larger batch starts them again.
        if self.idle.len() > wanted {
            tracing::debug!(workers = self.idle.len() - wanted, "IdleWorkersLetGo");
            self.idle.truncate(wanted);
        }
        while self.idle.len() < wanted {
            let worker = self.spawn().await?;
            self.idle.push_back(worker);
        }
        let Some(worker) = self.idle.front_mut() else {
            return Err(WorkerError::NotReady(
                "no worker could be started".to_owned(),
            ));
        };
        if let Err(e) = Self::make_ready(worker).await {
            self.idle.pop_front();
            return Err(e);
        }
        Ok(())
    }

    /// Hands one message to a worker and waits, at most the message's time, for its answer.
    pub async fn decide(&mut self, request: &Request<'_>) -> Result<Outcome, WorkerError> {
        let mut outcomes = self.decide_all(std::slice::from_ref(request)).await?;
        outcomes.pop().ok_or_else(|| {
            WorkerError::NotReady("no answer for the message handed over".to_owned())
        })
    }

    /// Decides `requests`, up to the pool's lanes at once, each by one worker within its own
    /// time; the outcomes in the order of the requests. A worker that dies takes only its
    /// message with it; the next message of its lane gets a new worker.
    pub async fn decide_all(
        &mut self,
        requests: &[Request<'_>],
    ) -> Result<Vec<Outcome>, WorkerError> {
        #[cfg(test)]
        if matches!(self.exe, Runner::InProcess) {
            return Ok(requests.iter().map(|r| self.decide_in_process(r)).collect());
        }
        let lanes = self.lanes.min(requests.len());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let waiting: Vec<Option<Worker>> = (0..lanes).map(|_| self.idle.pop_front()).collect();
        let pool = &*self;
        let lane = |mut worker: Option<Worker>| {
            let next = &next;
            async move {
                let mut answered = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(request) = requests.get(i) else {
                        return Ok::<_, WorkerError>((answered, worker));
                    };
                    let w = pool.ready_worker(worker.take()).await?;
                    let (outcome, kept) = pool.exchange(w, request).await;
                    answered.push((i, outcome));
                    worker = kept;
                }
            }
        };
        let results = futures::future::join_all(waiting.into_iter().map(lane)).await;
        let mut outcomes: Vec<Option<Outcome>> = requests.iter().map(|_| None).collect();
        let mut failure = None;
        for result in results {
            match result {
                Ok((answered, worker)) => {
                    for (i, outcome) in answered {
                        if let Some(slot) = outcomes.get_mut(i) {
                            *slot = Some(outcome);
                        }
                    }
                    self.idle.extend(worker);
                }
                Err(e) => failure = Some(e),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        outcomes
            .into_iter()
            .map(|o| {
                o.ok_or_else(|| WorkerError::NotReady("a message was left unanswered".to_owned()))
            })
            .collect()
    }

    /// One message through `worker`; the worker back if it may serve again.
    async fn exchange(
        &self,
        mut worker: Worker,
        request: &Request<'_>,
    ) -> (Outcome, Option<Worker>) {
        if let Some(pid) = worker.child.id() {
            tracing::debug!(worker = pid, "MessageHandedToWorker");
        }
        let max_answer = answer_bound(&self.limits);
        let exchange = async {
            tokio_io::write_request(&mut worker.stdin, request).await?;
            let frame = tokio_io::read_frame(&mut worker.stdout, max_answer).await?;
            Reply::decode(&frame)
        };
        match tokio::time::timeout(self.limits.message_timeout, exchange).await {
            Ok(Ok(reply)) => {
                worker.served += 1;
                let outcome = Outcome::Answered(Box::new(reply));
                if worker.served >= child::MESSAGES_PER_WORKER {
                    // It exits by itself after its last answer.
                    tokio::spawn(reap(worker.child));
                    return (outcome, None);
                }
                (outcome, Some(worker))
            }
            Ok(Err(e)) => (Outcome::Died(ended(worker.child, &e).await), None),
            Err(_) => {
                let _ = worker.child.start_kill();
                let _ = worker.child.wait().await;
                (Outcome::Died(Death::Timeout), None)
            }
        }
    }
}

#[cfg(test)]
impl WorkerPool {
    /// The worker's code over in-memory pipes (see [`Runner::InProcess`]).
    fn decide_in_process(&self, request: &Request<'_>) -> Outcome {
        let mut input = Vec::new();
        let _ = protocol::write_frame(&mut input, &self.setup);
        let _ = protocol::write_frame(&mut input, &request.encode());
        let mut output = Vec::new();
        let served = child::serve(&mut input.as_slice(), &mut output, |_: &Limits| Ok(()));
        match served.and_then(|()| {
            let mut out = output.as_slice();
            let _ready = protocol::read_frame(&mut out, u64::MAX)?;
            let frame = protocol::read_frame(&mut out, u64::MAX)?;
            Ok(Reply::decode(&frame)?)
        }) {
            Ok(reply) => Outcome::Answered(Box::new(reply)),
            Err(e) => Outcome::Died(Death::Killed(e.to_string())),
        }
    }
}

/// The largest answer a worker may send: two sealed records of at most the message's plaintext
/// (base64 inside JSON) and its headers, with room to spare; a bound, not an estimate.
fn answer_bound(limits: &Limits) -> u64 {
    let per = limits
        .max_plaintext_bytes
        .saturating_add(limits.max_message_bytes);
    u64::try_from(per.saturating_mul(4))
        .unwrap_or(u64::MAX)
        .saturating_add(16 * 1024 * 1024)
}

/// Waits briefly for an answered worker to exit; kills it if it lingers.
async fn reap(mut child: Child) {
    if tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .is_err()
    {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
}

/// How a worker that stopped answering ended.
async fn ended(mut child: Child, error: &ProtocolError) -> Death {
    let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) => status,
        _ => {
            // Alive but talking nonsense: not to be trusted with more time.
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Death::Killed(format!(
                "broke the worker protocol ({error}) and was killed"
            ));
        }
    };
    match status.signal() {
        Some(s) if s == rustix::process::Signal::XCPU.as_raw() => Death::Timeout,
        // Rust aborts when an allocation fails; panics are caught and answered.
        Some(s) if s == rustix::process::Signal::ABORT.as_raw() => Death::OutOfMemory,
        Some(s) => Death::Killed(format!("was killed by signal {s}")),
        None => Death::Killed(format!(
            "exited ({}) without an answer",
            status.code().map_or("?".to_owned(), |c| c.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openpgp::KeyringParts;

    fn setup() -> Setup {
        Setup {
            keyring: KeyringParts {
                certs: Vec::new(),
                retired: Vec::new(),
                trusted_signers: Vec::new(),
            },
            handlers: Vec::new(),
            custodians: Vec::new(),
            limits: Limits::default(),
            reply_pattern: None,
        }
    }

    /// A worker program that ends before it is ready is the gateway's error (intake stops, the
    /// mail stays on the server), not a message's death counted against it.
    #[tokio::test]
    async fn a_worker_that_cannot_get_ready_is_the_gateways_error_not_a_message_death() {
        let mut pool = WorkerPool::new(Runner::Program("/bin/false".into()), &setup(), 1);
        assert!(matches!(pool.ready(1).await, Err(WorkerError::NotReady(_))));
        let key = [0u8; 32];
        let request = Request {
            shred_key: &key,
            received_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default(),
            raw: b"Subject: x\r\n\r\ny",
        };
        assert!(matches!(
            pool.decide(&request).await,
            Err(WorkerError::NotReady(_))
        ));
        let missing = WorkerPool::new(Runner::Program("/nonexistent/sygnal".into()), &setup(), 1)
            .ready(1)
            .await;
        assert!(matches!(missing, Err(WorkerError::Spawn { .. })));
    }

    #[test]
    fn only_a_kill_from_outside_is_worth_another_worker() {
        assert!(Death::Killed("was killed by signal 9".into()).worth_retrying());
        assert!(!Death::Timeout.worth_retrying());
        assert!(!Death::OutOfMemory.worth_retrying());
        assert_eq!(Death::OutOfMemory.code(), "worker-out-of-memory");
    }
}
