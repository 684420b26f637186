//! Sync frames are decoded on a few dedicated threads. A decoded body can be as large as a
//! device's bound; decoding it on whichever blocking thread is free would leave that much memory
//! behind in each thread's allocator arena (32 concurrent bombs from paired devices then cost
//! the hub 200 MiB). On a fixed set of threads the same memory is reused: the hub holds at most
//! `decoders` bodies' worth.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use gocua_sync::wire::{self, SyncRequest, WireError};
use tokio::sync::oneshot;

type Job = (
    Vec<u8>,
    usize,
    oneshot::Sender<Result<SyncRequest, WireError>>,
);

/// A handle on the decoding threads; they stop when it is dropped.
pub struct Decoders {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Decoders {
    pub fn start(n: usize) -> Decoders {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("gocua-decode-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((frame, max_body, reply)) = job else {
                            return;
                        };
                        let decoded = wire::decode_limited::<SyncRequest>(&frame, max_body);
                        drop(frame);
                        let _ = reply.send(decoded);
                    }
                });
            if let Err(e) = spawned {
                eprintln!("gocua hub: cannot start a decoding thread: {e}");
            }
        }
        Decoders {
            jobs: Mutex::new(tx),
        }
    }

    /// Decodes a frame whose body may not exceed `max_body`. `None` if no decoding thread runs.
    pub async fn decode(
        &self,
        frame: Vec<u8>,
        max_body: usize,
    ) -> Option<Result<SyncRequest, WireError>> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((frame, max_body, tx))
            .ok()?;
        rx.await.ok()
    }
}
