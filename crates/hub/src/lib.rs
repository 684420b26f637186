//! The ward-office hub: HTTPS server with a self-signed certificate, QR pairing, devices and
//! roles outside the CRDT, access control per team, and the sync endpoint.

pub mod qr;
pub mod run;
pub mod serve;
pub mod server;
pub mod tls;

pub use run::{DeviceFor, HubConfig, HubError, HubIdentity, RunningHub, new_pairing, start};
pub use server::{Hub, router};
