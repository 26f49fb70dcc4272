//! The host's bindings of the card contract, one module per contract
//! version. Each version's WIT lives in `schemas/wit/since_v<version>/`: a
//! new version gets a directory and a module here beside the old ones, so
//! that cards built against an older contract keep loading.

mod v0_1_0;

pub use v0_1_0::*;
