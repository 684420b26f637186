//! The ward-office hub: HTTPS server with a self-signed certificate, QR pairing, devices and
//! roles outside the CRDT, access control per team, and the sync endpoint.

pub mod audit;
pub mod decode;
pub mod limits;
pub mod office;
pub mod qr;
pub mod run;
pub mod serve;
pub mod server;
pub mod tls;

pub use limits::HttpLimits;
pub use run::{
    DeviceFor, HubConfig, HubError, HubIdentity, RunningHub, clear_pairing_guard, new_pairing,
    revoke_device, start,
};
pub use server::{Hub, router};
