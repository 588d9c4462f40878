//! A loopback TCP proxy in front of a test server that breaks connections on purpose: the k-th
//! connection is cut, or stalled, after a chosen number of server-to-client bytes (deterministic:
//! the offsets are the test's, so a literal is cut at the same byte every run).
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What happens to one connection's server-to-client stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Everything passes.
    Pass,
    /// After this many bytes both directions are shut down (the client sees the server vanish).
    CutAt(usize),
    /// After this many bytes nothing passes for the duration, then everything does.
    StallAt(usize, Duration),
}

/// The proxy: listens on `port`, forwards to the upstream port; connection k gets `plan[k]`
/// (later ones pass).
pub struct Proxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    connections: AtomicUsize,
    cuts: AtomicUsize,
    stalls: AtomicUsize,
}

impl Proxy {
    /// Starts a proxy to 127.0.0.1:`upstream` with the given per-connection plan.
    pub fn start(upstream: u16, plan: Vec<Fault>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        {
            let (stop, counters) = (Arc::clone(&stop), Arc::clone(&counters));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let k = counters.connections.fetch_add(1, Ordering::Relaxed);
                            let fault = plan.get(k).copied().unwrap_or(Fault::Pass);
                            let counters = Arc::clone(&counters);
                            std::thread::spawn(move || serve(client, upstream, fault, &counters));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
        }
        Proxy {
            port,
            stop,
            counters,
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.counters.connections.load(Ordering::Relaxed)
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> usize {
        self.counters.cuts.load(Ordering::Relaxed)
    }

    /// Stalls that happened so far.
    pub fn stalls(&self) -> usize {
        self.counters.stalls.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(client: TcpStream, upstream: u16, fault: Fault, counters: &Counters) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    client.set_nonblocking(false).unwrap();
    let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    // Client to server: passes untouched.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut s_write);
        let _ = s_write.shutdown(Shutdown::Write);
    });
    let (mut s_read, mut c_write) = (server, client);
    let mut passed = 0usize;
    let mut fired = false;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match s_read.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        if !fired {
            let at = match fault {
                Fault::Pass => None,
                Fault::CutAt(at) | Fault::StallAt(at, _) => Some(at),
            };
            if let Some(at) = at {
                if passed + chunk.len() >= at {
                    let (head, tail) = chunk.split_at(at - passed);
                    if c_write.write_all(head).is_err() {
                        break;
                    }
                    passed += head.len();
                    fired = true;
                    match fault {
                        Fault::CutAt(_) => {
                            counters.cuts.fetch_add(1, Ordering::Relaxed);
                            let _ = c_write.shutdown(Shutdown::Both);
                            let _ = s_read.shutdown(Shutdown::Both);
                            return;
                        }
                        Fault::StallAt(_, pause) => {
                            counters.stalls.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(pause);
                        }
                        Fault::Pass => {}
                    }
                    chunk = tail;
                }
            }
        }
        if c_write.write_all(chunk).is_err() {
            break;
        }
        passed += chunk.len();
    }
    let _ = c_write.shutdown(Shutdown::Both);
    let _ = s_read.shutdown(Shutdown::Both);
}
