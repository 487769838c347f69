//! Connection-level tests: whole requests and responses through
//! [`HttpConn`], well-formed, odd, truncated and hostile.

use super::*;
